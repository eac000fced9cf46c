"""A system administrator, in Debian's Chromium, finds on the failed jobs page an e-mail job
that gave up after its retries (the mail server was down) and a job stopped because its worker
ended; sees each one's arguments, attempts and error; runs the e-mail job again once the mail
server works, and the real worker sends it. Every page passes axe-core's WCAG 2.2 AA checks;
screenshots go to /tmp/shots/jobs-week/ when that folder exists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from playwright.sync_api import Page, expect

from factories.flaky_mail import FLAKY_BACKEND, flaky
from factories.jobs import run_jobs, touch
from factories.sessions import programme_with_ssw
from threshold.model import SessionFormat, SessionMode
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.jobs import retries
from threshold.web.jobs.stuck import stuck_jobs_fail
from threshold.web.jobs.views import MSG_AGAIN
from threshold.web.organisations.models import LocalAuthority
from threshold.web.programme import services
from threshold.web.programme.reminders import reminders_daily
from web.functional.browser import assert_accessible, checked_page, chromium, in_thread, sign_in

pytestmark = pytest.mark.functional

SHOTS = Path("/tmp/shots/jobs-week")


def shot(page: Page, name: str) -> None:
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(autouse=True)
def mail_server(settings: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    settings.SITE_URL = "https://threshold.example.gov.uk"
    settings.EMAIL_BACKEND = FLAKY_BACKEND
    monkeypatch.setattr(retries, "BACKOFF", (dt.timedelta(0),) * len(retries.BACKOFF))
    flaky(0)
    yield
    flaky(0)


@pytest.mark.django_db(transaction=True)
def test_an_administrator_sees_failed_jobs_and_runs_an_email_job_again(
    live_server: object,
    places: dict[str, LocalAuthority],
    make_user: Callable[..., User],
    authenticator: Callable[..., Callable[[], str]],
    tmp_path: Path,
) -> None:
    ssw = make_user(RoleName.SSW)
    ssw.email = "ssw@example.org"
    ssw.save(update_fields=["email"])
    code = authenticator(make_user(RoleName.SYSTEM_ADMIN, username="admin"))
    enrolment = programme_with_ssw(places["home_la"], places["home_school"], ssw)
    session = services.session_plan(
        enrolment=enrolment,
        scheduled_for=timezone.now() - dt.timedelta(days=3),
        format=SessionFormat.GROUP,
        mode=SessionMode.ONLINE,
        late_reason="Entered late",
        weekend_confirmed=True,
        by="test",
    )
    services.session_record_held(session=session, attendees=4, duration_minutes=90, by="test")
    flaky(100)  # the mail server is down through every attempt
    reminders_daily.enqueue(today=timezone.localdate().isoformat())
    run_jobs()
    stuck = touch.enqueue(str(tmp_path / "never"))
    DBTaskResult.objects.filter(pk=stuck.id).update(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - dt.timedelta(hours=5),
        worker_ids=["killed"],
    )
    stuck_jobs_fail()
    flaky(0)  # the mail server works again
    base = live_server.url
    with chromium() as browser:
        page = checked_page(browser)
        page.set_viewport_size({"width": 1100, "height": 900})
        sign_in(page, base, "admin", code())
        page.goto(f"{base}/jobs/failed/")
        expect(page.get_by_role("heading", name="Failed jobs")).to_be_visible()
        rows = page.locator("tbody .govuk-table__row")
        expect(rows).to_have_count(2)
        errors = page.locator(".job-error")  # each job's error (its traceback folded away)
        expect(errors.filter(has_text="JobGaveUp: gave up after 4 attempts")).to_be_visible()
        expect(errors.filter(has_text="stopped: the worker ended while running it")).to_be_visible()
        expect(rows.filter(has_text="reminders_daily")).to_contain_text("Attempts4")
        expect(page.get_by_role("button", name="Run again")).to_have_count(1)  # e-mail jobs only
        assert_accessible(page)
        shot(page, "10-admin-failed-jobs")

        page.get_by_role("button", name="Run again").click()
        expect(page.get_by_text(MSG_AGAIN)).to_be_visible()
        expect(page.get_by_role("button", name="Run again")).to_have_count(0)
        assert_accessible(page)
        shot(page, "11-admin-run-again")
        in_thread(run_jobs)
        (message,) = mail.outbox
        assert message.to == ["ssw@example.org"]
