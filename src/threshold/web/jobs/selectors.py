"""Reading background jobs: one job's state, and the jobs that failed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django_tasks import TaskResultStatus, default_task_backend
from django_tasks_db.models import DBTaskResult

from threshold.web.audit.models import AuditAction, AuditEvent
from threshold.web.jobs.retries import ATTEMPT, is_retrying

FAILED_SHOWN = 200
_DOTTED = re.compile(r"^(?:[A-Za-z_][\w]*\.)+(?=[A-Za-z_]\w*: )")


@dataclass(frozen=True)
class FailedJob:
    """A job that failed: what it was (its task and arguments: ids, never personal data),
    which attempt, when, and its error."""

    id: str
    task: str
    arguments: str
    attempts: int
    enqueued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str
    traceback: str
    can_run_again: bool
    run_again_at: datetime | None = None
    """When an administrator ran it again (then it is not offered again)."""


def job_status(task_id: str) -> TaskResultStatus:
    """Where the job with this id is: ready (queued), running, successful or failed."""
    return default_task_backend.get_result(task_id).status


def arguments_text(args_kwargs: dict[str, object]) -> str:
    """A job's JSON arguments as a call's (its attempt number apart): `12, today='2026-12-01'`."""
    args = [repr(value) for value in args_kwargs.get("args", [])]
    kwargs = args_kwargs.get("kwargs", {}) or {}
    args += [f"{name}={value!r}" for name, value in kwargs.items() if name != ATTEMPT]
    return ", ".join(args)


def attempts_of(args_kwargs: dict[str, object]) -> int:
    return int((args_kwargs.get("kwargs") or {}).get(ATTEMPT, 1))


def error_line(traceback: str, exception_class_path: str) -> str:
    """A traceback's last line, its exception named without its module (`JobGaveUp: …`)."""
    last = (traceback.strip().splitlines() or [exception_class_path])[-1]
    return _DOTTED.sub("", last)


def failed_jobs() -> list[FailedJob]:
    """The latest jobs that failed, newest first, each with the last line of its traceback."""
    rows = list(DBTaskResult.objects.failed().order_by("-finished_at")[:FAILED_SHOWN])
    again = {
        event.detail.get("again_of"): event.occurred_at
        for event in AuditEvent.objects.filter(
            object_type="jobs.job",
            action=AuditAction.CREATE,
            detail__again_of__in=[str(row.pk) for row in rows],
        ).order_by("sequence")
    }
    return [
        FailedJob(
            id=str(row.pk),
            task=row.task_path,
            arguments=arguments_text(row.args_kwargs),
            attempts=attempts_of(row.args_kwargs),
            enqueued_at=row.enqueued_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
            error=error_line(row.traceback, row.exception_class_path),
            traceback=row.traceback,
            can_run_again=is_retrying(row.task_path),
            run_again_at=again.get(str(row.pk)),
        )
        for row in rows
    ]
