"""Writes on background jobs: running a failed e-mail job again (system administrators)."""

from __future__ import annotations

from django.db import transaction
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult

from threshold.web.accounts.models import User
from threshold.web.audit.models import AuditAction
from threshold.web.audit.services import record_event
from threshold.web.jobs.retries import ATTEMPT, is_retrying

MSG_NO_SUCH_JOB = "There is no failed job with this id: it may have been run again or removed."
MSG_NOT_AGAIN = (
    "This job cannot be run again from here: only e-mail jobs, which send nothing twice, can. "
    "Correct what failed and start it again where it was started."
)
JOB_OBJECT = "jobs.job"


class JobError(Exception):
    """A job that cannot be run again."""


@transaction.atomic
def job_run_again(*, job_id: str, by: User) -> str:
    """Enqueue a failed e-mail job again with the same arguments, as its first attempt (its
    retries start afresh); audited. The new job's id."""
    row = DBTaskResult.objects.failed().filter(pk=job_id).first()
    if row is None:
        raise JobError(MSG_NO_SUCH_JOB)
    if not is_retrying(row.task_path):
        raise JobError(MSG_NOT_AGAIN)
    kwargs = {k: v for k, v in (row.args_kwargs.get("kwargs") or {}).items() if k != ATTEMPT}
    again = import_string(row.task_path).enqueue(*row.args_kwargs.get("args", []), **kwargs)
    record_event(
        by=by,
        action=AuditAction.CREATE,
        object_type=JOB_OBJECT,
        object_id=str(again.id),
        detail={"task": row.task_path, "again_of": str(row.pk)},
    )
    return str(again.id)
