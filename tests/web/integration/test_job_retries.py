"""E-mail jobs try again when the mail server fails: with a backoff (1, 5, 30 minutes), their
attempt in their JSON arguments, sending nothing twice; after the last attempt they fail for
real and are listed on /jobs/failed/ (arguments, attempts, error), where a system
administrator can run them again. All with django-tasks' own worker and the real database; the
clock is moved on so the worker finds the next attempt due."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from factories.clock import Clock
from factories.flaky_mail import FLAKY_BACKEND, MSG_DROPPED, FlakyEmailBackend, flaky
from factories.jobs import run_jobs, touch
from factories.sessions import at, school_people
from threshold.model import SessionFormat, SessionMode
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.audit.models import AuditEvent
from threshold.web.jobs.retries import ATTEMPTS, BACKOFF, JobGaveUp
from threshold.web.jobs.selectors import attempts_of
from threshold.web.jobs.services import MSG_NOT_AGAIN
from threshold.web.jobs.views import MSG_AGAIN
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.programme import services
from threshold.web.programme.models import Enrolment, SupervisionSession
from threshold.web.programme.reminders import reminders_daily
from threshold.web.reminders.models import SentReminder

SITE = "https://threshold.example.gov.uk"
ACTOR = "test"
DAILY = "threshold.web.programme.reminders.reminders_daily"


@pytest.fixture(autouse=True)
def mail_server(settings: object) -> Iterator[None]:
    settings.SITE_URL = SITE
    settings.EMAIL_BACKEND = FLAKY_BACKEND
    flaky(0)
    yield
    flaky(0)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, timezone.now().replace(microsecond=0))


@pytest.fixture
def people(
    places: dict[str, LocalAuthority | School], make_user: Callable[..., User]
) -> dict[str, object]:
    return school_people(places, make_user, (RoleName.SSW, RoleName.DSL_LEAD, RoleName.DSL_DEPUTY))


def plan(enrolment: Enrolment, day: dt.date, **extra: object) -> SupervisionSession:
    return services.session_plan(
        enrolment=enrolment,
        scheduled_for=at(day, 10),
        format=SessionFormat.GROUP,
        mode=SessionMode.ONLINE,
        weekend_confirmed=True,
        by=ACTOR,
        **extra,
    )


def held_without_record(enrolment: Enrolment, today: dt.date) -> SupervisionSession:
    """A session held three days ago whose record is still to write (its reminder is due)."""
    session = plan(enrolment, today - dt.timedelta(days=3), late_reason="Entered late")
    services.session_record_held(session=session, attendees=4, duration_minutes=90, by=ACTOR)
    return session


def jobs(task_path: str = DAILY) -> list[DBTaskResult]:
    """The task's jobs, first enqueued first (then by attempt: the test's clock stands still)."""
    rows = DBTaskResult.objects.filter(task_path=task_path)
    return sorted(rows, key=lambda row: (row.enqueued_at, attempts_of(row.args_kwargs)))


@pytest.mark.django_db(transaction=True)
def test_an_email_job_that_fails_is_tried_again_later_and_succeeds_once(
    people: dict[str, object], clock: Clock
) -> None:
    today = timezone.localdate()
    session = held_without_record(people["enrolment"], today)
    flaky(2)
    reminders_daily.enqueue(today=today.isoformat())
    run_jobs()
    assert mail.outbox == []
    first, second = jobs()
    assert first.status == TaskResultStatus.SUCCESSFUL  # it handed over to its next attempt
    assert first.return_value["retried"] is True
    assert first.return_value["error"] == f"SMTPServerDisconnected: {MSG_DROPPED}"
    assert first.return_value["next_job"] == str(second.pk)
    assert second.status == TaskResultStatus.READY
    assert second.args_kwargs == {"args": [], "kwargs": {"today": today.isoformat(), "attempt": 2}}
    assert second.run_after == clock.now + BACKOFF[0]
    assert not SentReminder.objects.exists()  # the failed sending recorded nothing

    run_jobs()  # not due yet: the worker leaves it
    assert jobs()[1].status == TaskResultStatus.READY
    clock.advance(BACKOFF[0])
    run_jobs()
    second, third = jobs()[1:]
    assert second.status == TaskResultStatus.SUCCESSFUL
    assert second.return_value["retried"]
    assert third.args_kwargs["kwargs"]["attempt"] == 3
    assert third.run_after == clock.now + BACKOFF[1]
    clock.advance(BACKOFF[1])
    run_jobs()
    (message,) = mail.outbox
    assert message.to == ["ssw@example.org"]
    assert f"{SITE}/supervision/sessions/{session.pk}/record/" in message.body
    assert jobs()[2].status == TaskResultStatus.SUCCESSFUL
    assert jobs()[2].return_value == {"record_due": 1}
    assert FlakyEmailBackend.refused == 2

    reminders_daily.enqueue(today=today.isoformat())  # the next run sends nothing again
    run_jobs()
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_retry_sends_only_what_had_not_gone(people: dict[str, object], clock: Clock) -> None:
    today = timezone.localdate()
    plan(people["enrolment"], today + dt.timedelta(days=3))
    run_jobs()  # the invitations planning a session sends
    mail.outbox.clear()
    flaky(1, after=1)  # the lead DSL's reminder goes; the deputy's fails
    reminders_daily.enqueue(today=today.isoformat())
    run_jobs()
    assert [m.to for m in mail.outbox] == [["dsl_lead@example.org"]]
    clock.advance(BACKOFF[0])
    run_jobs()
    assert [m.to for m in mail.outbox] == [["dsl_lead@example.org"], ["dsl_deputy@example.org"]]
    assert all(m.subject.startswith("Supervision session 1 on ") for m in mail.outbox)
    assert jobs()[-1].return_value == {"session_reminder": 1}


@pytest.mark.django_db(transaction=True)
def test_after_the_last_attempt_the_job_fails_and_an_administrator_runs_it_again(
    people: dict[str, object], clock: Clock, make_user: Callable[..., User], sign_in: Callable
) -> None:
    today = timezone.localdate()
    held_without_record(people["enrolment"], today)
    flaky(100)
    reminders_daily.enqueue(today=today.isoformat())
    run_jobs()
    for delay in BACKOFF:
        clock.advance(delay)
        run_jobs()
    rows = jobs()
    assert len(rows) == ATTEMPTS == 4
    assert [row.status for row in rows] == [TaskResultStatus.SUCCESSFUL] * 3 + [
        TaskResultStatus.FAILED
    ]
    last = rows[-1]
    assert last.exception_class_path == f"{JobGaveUp.__module__}.JobGaveUp"
    error = f"gave up after 4 attempts: the last failed with SMTPServerDisconnected: {MSG_DROPPED}"
    assert error in last.traceback
    assert mail.outbox == []
    clock.advance(dt.timedelta(hours=2))
    run_jobs()
    assert len(jobs()) == 4  # no fifth attempt

    admin = sign_in(Client(), make_user(RoleName.SYSTEM_ADMIN, username="admin"))
    page = admin.get(reverse("jobs:failed")).content.decode()
    assert "threshold.web.programme.reminders.reminders_daily" in page
    assert f"today=&#x27;{today.isoformat()}&#x27;" in page  # its arguments (the attempt apart)
    assert 'Attempts</dt><dd class="govuk-!-margin-left-0">4</dd>' in page
    assert "JobGaveUp: gave up after 4 attempts" in page
    assert "ssw@example.org" not in page  # ids, never personal data
    assert AuditEvent.objects.filter(actor="admin", object_type="jobs.job", action="read").exists()
    run_again = reverse("jobs:run_again", kwargs={"job_id": last.pk})
    assert run_again in page

    flaky(0)
    response = admin.post(run_again, follow=True)
    assert MSG_AGAIN in response.content.decode()
    again = jobs()[-1]
    assert again.args_kwargs == {"args": [], "kwargs": {"today": today.isoformat()}}
    assert AuditEvent.objects.filter(
        actor="admin", object_type="jobs.job", object_id=str(again.pk), action="create"
    ).exists()
    run_jobs()
    assert [m.to for m in mail.outbox] == [["ssw@example.org"]]
    assert DBTaskResult.objects.get(pk=again.pk).status == TaskResultStatus.SUCCESSFUL
    page = admin.get(reverse("jobs:failed")).content.decode()
    assert run_again not in page  # run again once: not offered again
    assert "Run again</strong>" in page


@pytest.mark.django_db(transaction=True)
def test_other_errors_fail_at_once_and_only_email_jobs_run_again(
    people: dict[str, object],
    make_user: Callable[..., User],
    sign_in: Callable,
    settings: object,
    tmp_path: Path,
) -> None:
    settings.SITE_URL = ""  # a mistake in the settings: trying again would not help
    reminders_daily.enqueue()
    touch.enqueue(str(tmp_path / "no-such-folder" / "file"))  # an OSError that is no network's
    run_jobs()
    (daily,) = jobs()
    (touched,) = jobs("factories.jobs.touch")
    assert daily.status == touched.status == TaskResultStatus.FAILED
    assert "ImproperlyConfigured" in daily.exception_class_path

    admin = sign_in(Client(), make_user(RoleName.SYSTEM_ADMIN, username="admin"))
    page = admin.get(reverse("jobs:failed")).content.decode()
    assert reverse("jobs:run_again", kwargs={"job_id": daily.pk}) in page
    assert reverse("jobs:run_again", kwargs={"job_id": touched.pk}) not in page
    response = admin.post(reverse("jobs:run_again", kwargs={"job_id": touched.pk}), follow=True)
    assert MSG_NOT_AGAIN in response.content.decode()
    assert len(jobs("factories.jobs.touch")) == 1
    ssw = sign_in(Client(), people["ssw"])
    assert ssw.post(reverse("jobs:run_again", kwargs={"job_id": daily.pk})).status_code == 403
    assert len(jobs()) == 1


@pytest.mark.django_db(transaction=True)
def test_a_session_invitation_is_retried_with_its_arguments(
    people: dict[str, object], clock: Clock
) -> None:
    today = timezone.localdate()
    flaky(1)  # the first sending (the lead DSL's) fails
    session = plan(people["enrolment"], today + dt.timedelta(days=20))
    run_jobs()
    assert mail.outbox == []
    invitations = "threshold.web.programme.reminders.session_invitation_send"
    first, second = jobs(invitations)
    assert first.return_value["retried"] is True
    assert second.args_kwargs == {"args": [session.pk], "kwargs": {"attempt": 2}}
    clock.advance(BACKOFF[0])
    run_jobs()
    assert sorted(m.to[0] for m in mail.outbox) == [
        "dsl_deputy@example.org",
        "dsl_lead@example.org",
    ]
    assert jobs(invitations)[1].return_value == 2
