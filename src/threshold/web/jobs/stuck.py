"""Stuck jobs: a worker killed in the middle of a job (a restart, the machine going down, a
job over its memory) leaves the job's row "running" for ever. A scheduled sweep (hourly, in
`threshold.web.jobs.schedules`) marks as failed each job running longer than its limit, so it
shows on /jobs/failed/ and on its progress page (a front-door import's page follows its job).

Limits: `JOBS_STUCK_AFTER` (default 2 hours) for every job, or `JOBS_STUCK_AFTER_TASKS` (a task's
dotted path -> timedelta) for one task: front-door imports and trial analyses get 12 hours by
default, as a large export or a full analysis may run for hours. A job still running past its
limit (not stuck, only slow) is marked failed all the same; if it then finishes, its own
ending is what its row says.

A front-door import so stopped is also ended on its own record (`import_stopped`): its error in
plain words for the progress page and the uploader's e-mail (as any failed import), and the
uploaded files it kept removed (they hold child-level data and would otherwise stay). A trial
analysis run so stopped is marked failed the same way (`analysis_stopped`).
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from threshold.web.insights.models import ImportJob
from threshold.web.insights.services import MSG_IMPORT_FAILED, import_job_finish, job_folder
from threshold.web.trials.analysis import analysis_run_finish
from threshold.web.trials.models import AnalysisRun

logger = logging.getLogger(__name__)

ACTOR = "job:stuck-jobs"

STUCK_AFTER = dt.timedelta(hours=2)
STUCK_AFTER_TASKS = {
    "threshold.web.insights.services.import_job_run": dt.timedelta(hours=12),
    "threshold.web.trials.analysis.analysis_run_execute": dt.timedelta(hours=12),
}
MSG_STOPPED = (
    "stopped: the worker ended while running it, or it ran over {hours:g} hours "
    "(running since {since:%Y-%m-%d %H:%M} UTC)"
)


MSG_IMPORT_STOPPED = (
    "the import stopped before it finished: the service's worker ended while running it, or it "
    "ran over {hours:g} hours. Upload the file again; if it stops again, tell the service's "
    "administrators"
)

MSG_ANALYSIS_STOPPED = (
    "the analysis stopped before it finished: the service's worker ended while running it, or it "
    "ran over {hours:g} hours. Start it again; if it stops again, tell the service's "
    "administrators"
)


class JobStopped(Exception):
    """A job that was still "running" long after its worker should have finished it."""


STOPPED_CLASS = f"{JobStopped.__module__}.{JobStopped.__qualname__}"


def stuck_limits() -> tuple[dt.timedelta, dict[str, dt.timedelta]]:
    """The default limit and each task's own (settings over the defaults here)."""
    default = getattr(settings, "JOBS_STUCK_AFTER", STUCK_AFTER)
    return default, STUCK_AFTER_TASKS | getattr(settings, "JOBS_STUCK_AFTER_TASKS", {})


def stuck_jobs_fail(*, now: dt.datetime | None = None) -> list[str]:
    """Mark failed each job running longer than its limit; the ids of those marked."""
    now = now or timezone.now()
    default, limits = stuck_limits()
    stopped = []
    for row in DBTaskResult.objects.running().order_by("started_at"):
        limit = limits.get(row.task_path, default)
        if row.started_at is None or now - row.started_at <= limit:
            continue
        message = MSG_STOPPED.format(
            hours=limit.total_seconds() / 3600, since=row.started_at.astimezone(dt.UTC)
        )
        with transaction.atomic():
            # Only if it is still running: its worker may have finished it since.
            changed = DBTaskResult.objects.filter(
                pk=row.pk, status=TaskResultStatus.RUNNING
            ).update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=STOPPED_CLASS,
                traceback=f"{STOPPED_CLASS}: {message}\n",
                return_value=None,
            )
        if changed:
            stopped.append(str(row.pk))
            ending = ON_STOPPED.get(row.task_path)
            if ending is not None:
                try:
                    ending(*row.args_kwargs.get("args", []), limit=limit)
                except Exception:  # the job is failed all the same; the next sweeps go on
                    logger.exception("ending the stopped job %s failed", row.pk)
    return stopped


def import_stopped(job_id: int, *, limit: dt.timedelta) -> None:
    """End a front-door import job whose worker stopped: its error recorded (audited) and the
    uploader told, as for any failed import, and its kept files removed."""
    job = (
        ImportJob.objects.select_related("authority", "requested_by")
        .filter(pk=job_id, record__isnull=True, error="")
        .first()
    )
    if job is None:
        return
    shutil.rmtree(job_folder(job), ignore_errors=True)
    reason = MSG_IMPORT_STOPPED.format(hours=limit.total_seconds() / 3600)
    import_job_finish(job=job, error=MSG_IMPORT_FAILED.format(reason=reason), by=ACTOR)


def analysis_stopped(run_id: int, *, limit: dt.timedelta) -> None:
    """End a trial analysis run whose worker stopped: failed, with its error in plain words
    for the run's page and the requester's e-mail (audited), as for any failed run."""
    run = (
        AnalysisRun.objects.select_related("trial", "requested_by")
        .filter(pk=run_id, status__in=(AnalysisRun.Status.QUEUED, AnalysisRun.Status.RUNNING))
        .first()
    )
    if run is not None:
        hours = limit.total_seconds() / 3600
        analysis_run_finish(run=run, error=MSG_ANALYSIS_STOPPED.format(hours=hours))


ON_STOPPED = {
    "threshold.web.insights.services.import_job_run": import_stopped,
    "threshold.web.trials.analysis.analysis_run_execute": analysis_stopped,
}
"""What else ends with a job stopped so, by task: its own record of how it ended."""


@task()
def stuck_jobs_sweep() -> list[str]:
    """The scheduled sweep: fail the jobs stuck "running" (see the module)."""
    return stuck_jobs_fail()
