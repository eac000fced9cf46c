"""Reading background jobs: one job's state, and the jobs that failed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django_tasks import TaskResultStatus, default_task_backend
from django_tasks_db.models import DBTaskResult

FAILED_SHOWN = 200


@dataclass(frozen=True)
class FailedJob:
    """A job that failed: what it was, when, and its error."""

    task: str
    enqueued_at: datetime
    finished_at: datetime | None
    error: str
    traceback: str


def job_status(task_id: str) -> TaskResultStatus:
    """Where the job with this id is: ready (queued), running, successful or failed."""
    return default_task_backend.get_result(task_id).status


def failed_jobs() -> list[FailedJob]:
    """The latest jobs that failed, newest first, each with the last line of its traceback."""
    rows = DBTaskResult.objects.failed().order_by("-finished_at")[:FAILED_SHOWN]
    return [
        FailedJob(
            task=row.task_path,
            enqueued_at=row.enqueued_at,
            finished_at=row.finished_at,
            error=(row.traceback.strip().splitlines() or [row.exception_class_path])[-1],
            traceback=row.traceback,
        )
        for row in rows
    ]
