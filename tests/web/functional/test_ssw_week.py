"""An SSW's week, in Debian's Chromium: the home page shows this week's sessions and a held
session whose record is still to write; the SSW records today's session as held; days later the
reminders job (django-tasks' own worker, in a thread of its own) e-mails the records still to
write, linking to each; the SSW follows the link to today's, realises it was not held after all
and undoes "held" with a reason, and the home page no longer lists it as held. Every page
passes axe-core's WCAG 2.2 AA checks; screenshots go to /tmp/shots/jobs-week/ when that folder
exists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import Page, expect

from factories.forms import fill_date
from factories.jobs import run_jobs
from factories.sessions import programme_with_ssw
from threshold.model import SessionFormat, SessionMode, SessionStatus
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.audit.models import AuditEvent
from threshold.web.organisations.models import LocalAuthority
from threshold.web.programme import services
from threshold.web.programme.models import SupervisionSession
from threshold.web.programme.reminders import RECORD_DUE_SUBJECT, reminders_daily
from threshold.web.reminders.models import RECORD_DUE_DAYS
from web.functional.browser import assert_accessible, checked_page, chromium, in_thread, sign_in

pytestmark = pytest.mark.functional

SHOTS = Path("/tmp/shots/jobs-week")
SITE = "https://threshold.example.gov.uk"
REASON = "Cancelled on the morning: the school was closed for snow"


def shot(page: Page, name: str) -> None:
    """Keep a screenshot of the page for a person to look at (when the folder exists)."""
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def earlier_today(now: dt.datetime) -> dt.datetime:
    """A time today that has passed (an hour ago, or just after midnight)."""
    midnight = timezone.make_aware(dt.datetime.combine(timezone.localdate(now), dt.time.min))
    return max(now - dt.timedelta(hours=1), midnight + dt.timedelta(minutes=1))


@pytest.mark.django_db(transaction=True)
def test_an_ssws_week(
    live_server: object,
    places: dict[str, LocalAuthority],
    make_user: Callable[..., User],
    authenticator: Callable[..., Callable[[], str]],
    settings: object,
) -> None:
    settings.SITE_URL = SITE
    ssw = make_user(RoleName.SSW)
    ssw.email = "ssw@example.org"
    ssw.save(update_fields=["email"])
    dsl = make_user(RoleName.DSL_LEAD)
    dsl.email = "dsl@example.org"
    dsl.save(update_fields=["email"])
    code = authenticator(ssw)
    enrolment = programme_with_ssw(places["home_la"], places["home_school"], ssw)
    now = timezone.localtime()
    kind = {"format": SessionFormat.GROUP, "mode": SessionMode.FACE_TO_FACE, "by": ssw}
    last = services.session_plan(
        enrolment=enrolment,
        scheduled_for=now - dt.timedelta(days=3),
        late_reason="Arranged at the last meeting",
        weekend_confirmed=True,
        **kind,
    )
    services.session_record_held(session=last, attendees=3, duration_minutes=80, by=ssw)
    today = services.session_plan(
        enrolment=enrolment,
        scheduled_for=earlier_today(now),
        late_reason="Planned on the day",
        weekend_confirmed=True,
        **kind,
    )
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
    next_week = monday + dt.timedelta(weeks=1, days=1)  # next Tuesday
    base = live_server.url
    with chromium() as browser:
        page = checked_page(browser)
        page.set_viewport_size({"width": 1100, "height": 900})
        sign_in(page, base, "ssw", code())
        expect(page.get_by_role("heading", name="Your supervision caseload")).to_be_visible()
        expect(page.get_by_role("heading", name="This week's sessions")).to_be_visible()
        week = page.locator(".govuk-summary-list").first
        expect(week).to_contain_text("To record")
        expect(week).to_contain_text("Northmoor Academy, face to face in school")
        expect(page.get_by_text("Session 1, held")).to_be_visible()  # its record still to write
        expect(page.get_by_role("link", name="Write the record of session 1")).to_be_visible()
        assert_accessible(page)
        shot(page, "01-home-this-week")

        # Today's session: recorded as held from the home page.
        page.get_by_role("link", name="Record it as held").first.click()
        page.get_by_label("How many of the school's safeguarding team attended").fill("4")
        page.get_by_label("How long it lasted, in minutes").fill("90")
        assert_accessible(page)
        shot(page, "02-record-held")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Session 2 recorded as held")).to_be_visible()
        page.goto(f"{base}/")
        expect(page.locator(".govuk-summary-list").first).to_contain_text("Held")
        expect(page.get_by_role("link", name="Write the record of session 2")).to_be_visible()
        assert_accessible(page)
        shot(page, "03-home-held")

        # Days on: the morning's reminders, run by the real worker.
        due = timezone.localdate(today.scheduled_for) + dt.timedelta(days=RECORD_DUE_DAYS)
        in_thread(lambda: reminders_daily.enqueue(today=due.isoformat()))
        in_thread(run_jobs)
        (reminder,) = mail.outbox
        assert reminder.to == ["ssw@example.org"]
        assert reminder.subject == RECORD_DUE_SUBJECT
        assert f"{SITE}/supervision/sessions/{last.pk}/record/" in reminder.body
        link = f"{SITE}/supervision/sessions/{today.pk}/record/"
        assert link in reminder.body
        page.goto(base + link.removeprefix(SITE))
        expect(page.get_by_role("heading", name="Record of supervision")).to_be_visible()
        assert_accessible(page)
        shot(page, "04-followed-the-reminder")

        # It was not held after all: "held" undone, with the reason, from the schedule.
        page.get_by_role("link", name="Schedule").first.click()
        page.get_by_role("link", name="Northmoor Academy").click()
        page.get_by_role("link", name="Undo “held” of session 2").click()
        expect(page.get_by_role("heading", name="Undo “held”")).to_be_visible()
        page.get_by_role("button", name="Undo held").click()  # no reason: told to give one
        expect(page.locator(".govuk-error-summary")).to_be_visible()
        assert_accessible(page)
        shot(page, "05-undo-needs-a-reason")
        page.get_by_role("textbox", name="Why was it not held").fill(REASON)
        page.get_by_role("button", name="Undo held").click()
        expect(page.get_by_text("Session 2 is planned again: “held” undone")).to_be_visible()
        assert_accessible(page)
        shot(page, "06-undone")

        page.goto(f"{base}/")
        week = page.locator(".govuk-summary-list").first
        expect(week).to_contain_text("To record")
        expect(week).not_to_contain_text("Held")
        expect(page.get_by_role("link", name="Write the record of session 2")).to_have_count(0)
        expect(page.get_by_role("link", name="Write the record of session 1")).to_be_visible()
        assert_accessible(page)
        shot(page, "07-home-after-undo")

        # Next week's session, planned from the schedule: the DSL's invitation goes by the queue.
        page.get_by_role("link", name="Schedule").first.click()
        page.get_by_role("link", name="Northmoor Academy").click()
        page.get_by_role("button", name="Plan a session").click()
        fill_date(page, "Date of the session", next_week)
        page.get_by_label("Start time").fill("13:30")
        page.get_by_role("button", name="Plan session").click()
        expect(page.get_by_text("Session 3 planned for")).to_be_visible()
        assert_accessible(page)
        shot(page, "08-planned-next-week")
        in_thread(run_jobs)
        (invitation,) = [m for m in mail.outbox if m.to == ["dsl@example.org"]]
        assert invitation.subject.startswith("Invitation: supervision session 3 on ")
        calendar = Calendar.from_ical(invitation.attachments[0][1])
        (event,) = calendar.walk("VEVENT")
        assert str(calendar["method"]) == "REQUEST"
        assert timezone.localtime(event.decoded("dtstart")).strftime("%Y-%m-%d %H:%M") == (
            f"{next_week.isoformat()} 13:30"
        )

    today.refresh_from_db()
    assert (today.status, today.attendees) == ("", None)  # planned again, as it was
    assert AuditEvent.objects.filter(
        object_id=str(today.pk), actor_id=ssw.pk, detail__reason=REASON
    ).exists()
    assert SupervisionSession.objects.filter(status=SessionStatus.HELD).get() == last
