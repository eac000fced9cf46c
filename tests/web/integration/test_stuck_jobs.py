"""Jobs left "running" by a worker that ended (killed, restarted, out of memory) are marked
failed by the hourly sweep, run by django-tasks' own worker on the real database, once they
have run longer than their limit (2 hours; front-door imports and analyses 12); they show on
/jobs/failed/, and a front-door import so ended shows as failed on its progress page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from factories.jobs import run_jobs, touch
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.audit.models import AuditEvent
from threshold.web.insights.models import ImportJob
from threshold.web.insights.services import import_job_run, job_folder
from threshold.web.jobs.schedules import SCHEDULES, schedule_tick
from threshold.web.jobs.stuck import STOPPED_CLASS, stuck_jobs_sweep
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.trials.analysis import analysis_run_execute
from threshold.web.trials.models import AnalysisRun, Trial


def left_running(task_result_id: str, *, hours: float) -> None:
    """The job as a worker leaves it when it is killed `hours` into running it."""
    DBTaskResult.objects.filter(pk=task_result_id).update(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - dt.timedelta(hours=hours),
        worker_ids=["worker-that-was-killed"],
    )


def status(task_result_id: str) -> str:
    return DBTaskResult.objects.get(pk=task_result_id).status


def test_the_sweep_runs_every_hour() -> None:
    (schedule,) = [s for s in SCHEDULES if s.name == "stuck-jobs"]
    assert schedule.task == "threshold.web.jobs.stuck.stuck_jobs_sweep"
    assert schedule.cadence == "every hour at 10 minutes past"
    now = timezone.make_aware(dt.datetime(2026, 12, 1, 14, 5))
    assert timezone.localtime(schedule.latest_slot(now)).strftime("%H:%M") == "13:10"


@pytest.mark.django_db
def test_the_scheduler_enqueues_the_sweep_each_hour() -> None:
    first = timezone.make_aware(dt.datetime(2026, 12, 1, 12, 0))
    schedule_tick(now=first)
    later = schedule_tick(now=first + dt.timedelta(hours=1))
    assert [run.name for run in later] == ["stuck-jobs"]


@pytest.mark.django_db(transaction=True)
def test_jobs_running_over_their_limit_are_failed_and_shown_to_administrators(
    tmp_path: Path, make_user: Callable[..., User], sign_in: Callable
) -> None:
    stuck = str(touch.enqueue(str(tmp_path / "a")).id)
    slow = str(touch.enqueue(str(tmp_path / "b")).id)
    left_running(stuck, hours=3)
    left_running(slow, hours=1)  # still within its 2 hours: perhaps still running
    stuck_jobs_sweep.enqueue()
    run_jobs()
    assert status(stuck) == TaskResultStatus.FAILED
    assert status(slow) == TaskResultStatus.RUNNING
    row = DBTaskResult.objects.get(pk=stuck)
    assert row.exception_class_path == STOPPED_CLASS
    assert row.finished_at is not None
    assert not (tmp_path / "a").exists()  # it was not run again

    admin = sign_in(Client(), make_user(RoleName.SYSTEM_ADMIN, username="admin"))
    page = admin.get(reverse("jobs:failed")).content.decode()
    assert "factories.jobs.touch" in page
    assert "JobStopped: stopped: the worker ended while running it, or it ran over 2 hours" in page
    assert reverse("jobs:run_again", kwargs={"job_id": stuck}) not in page  # no e-mail job


@pytest.mark.django_db(transaction=True)
def test_the_limit_is_a_setting_and_an_import_ended_so_shows_failed_on_its_page(
    settings: object,
    places: dict[str, LocalAuthority | School],
    make_user: Callable[..., User],
    sign_in: Callable,
) -> None:
    analyst = make_user(RoleName.LA_ANALYST)
    analyst.email = "analyst@example.org"
    analyst.save(update_fields=["email"])
    job = ImportJob.objects.create(
        authority=places["home_la"],
        requested_by=analyst,
        file_name="contacts.csv",
        format="ssd",
        site_url="https://threshold.example.gov.uk",
    )
    job.task_id = str(import_job_run.enqueue(job.pk).id)
    job.save(update_fields=["task_id"])
    kept = job_folder(job) / "export"
    kept.mkdir(parents=True)
    (kept / "contacts.csv").write_text("child-level rows\n")
    left_running(job.task_id, hours=3)
    client = sign_in(Client(), analyst)
    progress = reverse("insights:import_progress", kwargs={"pk": job.pk})
    assert "Importing" in client.get(progress).content.decode()

    stuck_jobs_sweep.enqueue()
    run_jobs()
    assert status(job.task_id) == TaskResultStatus.RUNNING  # imports may run for 12 hours

    settings.JOBS_STUCK_AFTER_TASKS = {
        "threshold.web.insights.services.import_job_run": dt.timedelta(hours=2)
    }
    stuck_jobs_sweep.enqueue()
    run_jobs()
    assert status(job.task_id) == TaskResultStatus.FAILED
    page = client.get(progress).content.decode()
    assert "The import of contacts.csv failed" in page
    assert "Importing: reading" not in page
    assert "the import stopped before it finished" in page  # on its own record, in plain words
    job.refresh_from_db()
    assert job.error.startswith("Nothing was imported: the import stopped before it finished")
    assert "ran over 2 hours" in job.error
    assert not job_folder(job).exists()  # the kept upload (child-level data) is removed
    (message,) = mail.outbox
    assert message.to == ["analyst@example.org"]
    assert message.subject == "Front-door import failed: contacts.csv"
    assert AuditEvent.objects.filter(
        actor="job:stuck-jobs", object_type="insights.importjob", object_id=str(job.pk)
    ).exists()


@pytest.mark.django_db(transaction=True)
def test_an_analysis_run_ended_so_is_failed_on_its_own_record(
    make_user: Callable[..., User],
) -> None:
    evaluator = make_user(RoleName.EVALUATOR)
    evaluator.email = "evaluator@example.org"
    evaluator.save(update_fields=["email"])
    trial = Trial.objects.create(name="North trial", created_by=evaluator)
    run = AnalysisRun.objects.create(trial=trial, requested_by=evaluator, status="running")
    task_id = str(analysis_run_execute.enqueue(run.pk).id)
    left_running(task_id, hours=13)

    stuck_jobs_sweep.enqueue()
    run_jobs()

    assert status(task_id) == TaskResultStatus.FAILED
    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.FAILED
    assert run.error.startswith("the analysis stopped before it finished")
    (message,) = mail.outbox
    assert message.to == ["evaluator@example.org"]
    assert "failed" in message.subject
