"""Retries of jobs whose failures are transient (sending e-mail), in one place (ADR 0009).

A task decorated with `retrying` (below `@task()`) that fails with a transient error (the mail
server refused or dropped the connection, a time-out, a name that did not resolve) enqueues
itself again with the same arguments, `run_after` a backoff from now (1, 5, then 30 minutes),
and its attempt number in its JSON arguments (`attempt`); the attempt that failed ends as
successful, its return value saying when the next runs. After the last backoff the job fails
for real (`JobGaveUp`, with the error) and is listed on /jobs/failed/, where an administrator
can run it again.

A retried task must send nothing twice: each task decorated here records what it sent in the
transaction that sends it (reminders' `SentReminder`, trial health's weekly record), so a
later attempt sends only what had not gone. Other errors (a fault in the code, data that
cannot be read) fail the job at once: trying them again would fail again.

    @task()
    @retrying
    def reminders_daily(today: str | None = None) -> dict[str, int]: ...
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import smtplib
import socket
from collections.abc import Callable
from typing import Any, TypeVar

from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

T = TypeVar("T")

ATTEMPT = "attempt"
"""The keyword argument (in the job's JSON arguments) numbering the attempt, from 1."""
BACKOFF = (dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=30))
"""How long after each failed attempt the next runs; attempts = len(BACKOFF) + 1."""
ATTEMPTS = len(BACKOFF) + 1
TRANSIENT: tuple[type[BaseException], ...] = (
    smtplib.SMTPException,
    ConnectionError,
    TimeoutError,
    socket.gaierror,
)
"""The errors worth trying again later: the mail server's, the network's."""
MSG_GAVE_UP = "gave up after {attempts} attempts: the last failed with {error}"
MSG_RETRY = "{task}: attempt {attempt} failed with {error}; attempt {next} runs after {when}"


class JobGaveUp(Exception):
    """A job whose transient failures went on through every attempt."""


def describe(error: BaseException) -> str:
    """An error as one line: its class and its message."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def retrying(func: Callable[..., T]) -> Callable[..., T | dict[str, Any]]:
    """Make a task's transient failures re-enqueue it with a backoff (see the module)."""

    @functools.wraps(func)
    def attempt_run(*args: Any, **kwargs: Any) -> T | dict[str, Any]:
        attempt = int(kwargs.pop(ATTEMPT, 1))
        try:
            return func(*args, **kwargs)
        except TRANSIENT as error:
            if attempt >= ATTEMPTS:
                raise JobGaveUp(
                    MSG_GAVE_UP.format(attempts=attempt, error=describe(error))
                ) from error
            when = timezone.now() + BACKOFF[attempt - 1]
            this = import_string(f"{func.__module__}.{func.__qualname__}")
            again = this.using(run_after=when).enqueue(*args, **kwargs, **{ATTEMPT: attempt + 1})
            logger.warning(
                MSG_RETRY.format(
                    task=this.name,
                    attempt=attempt,
                    error=describe(error),
                    next=attempt + 1,
                    when=when.isoformat(),
                )
            )
            return {
                "retried": True,
                "attempt": attempt,
                "error": describe(error),
                "next_attempt": attempt + 1,
                "next_job": str(again.id),
                "run_after": when.isoformat(),
            }

    attempt_run.retrying = True  # type: ignore[attr-defined]
    return attempt_run


def is_retrying(task_path: str) -> bool:
    """Whether the task at this dotted path retries its transient failures (and so may be run
    again by hand: it sends nothing twice)."""
    try:
        found = import_string(task_path)
    except ImportError:
        return False
    return bool(getattr(getattr(found, "func", None), "retrying", False))
