"""An SSW corrects mistakes in a school's schedule, in Debian's Chromium: undoes a session
recorded as held by mistake (after the identifying-details check of the reason), plans a
session on a Saturday before the others (confirming the weekend; the sessions are numbered
by date again), removes a session entered twice, and changes who cancelled a session. The LA
lead then sees the removed session nowhere. Every page passes axe-core's WCAG 2.2 AA checks;
screenshots go to /tmp/shots/records/ when that folder exists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from factories.forms import fill_date
from factories.sessions import enrol_with_ssw
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.audit.models import AuditEvent
from threshold.web.organisations.models import LocalAuthority
from threshold.web.programme import services
from threshold.web.programme.models import Programme, SupervisionSession
from web.functional.browser import assert_accessible, checked_page, chromium, sign_in

pytestmark = pytest.mark.functional

SHOTS = Path("/tmp/shots/records")
ACTOR = "test"


def shot(page: Page, name: str) -> None:
    """Keep a screenshot of the page for a person to look at (when the folder exists)."""
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def next_weekday(day: dt.date, weekday: int) -> dt.date:
    """The first `weekday` (0 Monday … 6 Sunday) after `day`."""
    return day + dt.timedelta(days=(weekday - day.weekday() - 1) % 7 + 1)


def schedule_of(places: dict[str, LocalAuthority], ssw: User) -> dict[str, SupervisionSession]:
    """The home school in a programme that started ten weeks ago, `ssw` its SSW: session 1
    held last week (recorded today, by mistake), session 2 cancelled "by the school" (it was
    the SSW), session 3 planned in three weeks and a copy of it entered twice."""
    today = timezone.localdate()
    programme = Programme.objects.create(
        authority=places["home_la"],
        school_year="2026/27",
        starts_on=today - dt.timedelta(weeks=10),
        ends_on=today + dt.timedelta(weeks=30),
    )
    enrolment = enrol_with_ssw(programme, places["home_school"], ssw)
    kind = {"format": "group", "mode": "face_to_face", "by": ssw}
    last_week = next_weekday(today - dt.timedelta(weeks=2), 1)  # a Tuesday last week
    held = services.session_plan(
        enrolment=enrolment,
        scheduled_for=at(last_week, 10),
        late_reason="Arranged at the last meeting",
        **kind,
    )
    services.session_record_held(session=held, attendees=4, duration_minutes=100, by=ssw)
    cancelled = services.session_plan(
        enrolment=enrolment,
        scheduled_for=at(next_weekday(today, 2), 14),
        **kind,
    )
    services.session_cancel(session=cancelled, changed_by="school", reason="Ill", by=ssw)
    later = next_weekday(today + dt.timedelta(weeks=3), 3)  # a Thursday
    planned = services.session_plan(enrolment=enrolment, scheduled_for=at(later, 13), **kind)
    twice = services.session_plan(enrolment=enrolment, scheduled_for=at(later, 13), **kind)
    return {"held": held, "cancelled": cancelled, "planned": planned, "twice": twice}


@pytest.mark.django_db(transaction=True)
def test_ssw_corrects_mistakes_in_a_schedule(
    live_server: object,
    places: dict[str, LocalAuthority],
    make_user: Callable[..., User],
    authenticator: Callable[..., Callable[[], str]],
) -> None:
    ssw = make_user(RoleName.SSW)
    ssw_code = authenticator(ssw)
    lead_code = authenticator(make_user(RoleName.LA_LEAD))
    sessions = schedule_of(places, ssw)
    saturday = next_weekday(timezone.localdate(), 5)
    base = live_server.url
    with chromium() as browser:
        page = checked_page(browser)
        page.set_viewport_size({"width": 1100, "height": 900})
        sign_in(page, base, "ssw", ssw_code())
        page.get_by_role("link", name="Schedule").first.click()
        page.get_by_role("link", name="Northmoor Academy").click()
        expect(page.get_by_text("Held: 4 attended, 100 minutes")).to_be_visible()
        expect(page.get_by_text("Entered late")).to_be_visible()
        assert_accessible(page)
        shot(page, "01-schedule")

        # Undo "held": the reason is checked for identifying details first.
        page.get_by_role("link", name="Undo “held” of session 1").click()
        expect(page.get_by_role("heading", name="Undo “held”")).to_be_visible()
        assert_accessible(page)
        page.get_by_label("Why was it not held").fill("KACPER NOWAK's session, not this school's")
        page.get_by_role("button", name="Undo held").click()
        expect(page.get_by_text("This may identify someone")).to_be_visible()
        assert_accessible(page)
        shot(page, "02-undo-identifying")
        page.get_by_role("textbox", name="Why was it not held").fill(
            "Recorded against the wrong school"
        )
        page.get_by_role("button", name="Undo held").click()
        expect(page.get_by_text("Session 1 is planned again: “held” undone")).to_be_visible()
        expect(page.get_by_text("Held: 4 attended")).to_have_count(0)
        assert_accessible(page)
        shot(page, "03-undone")

        # A Saturday before the others: confirmed, then numbered by date.
        page.get_by_role("button", name="Plan a session").click()
        fill_date(page, "Date of the session", saturday)
        page.get_by_label("Start time").fill("10:00")
        page.get_by_role("button", name="Plan session").click()
        expect(page.get_by_text("is a Saturday: confirm that the session is on a")).to_have_count(
            2  # in the error summary and at the box
        )
        assert_accessible(page)
        shot(page, "04-weekend")
        page.get_by_label("Yes, the session is on a weekend").check()
        page.get_by_role("button", name="Plan session").click()
        expect(page.get_by_text("Session 2 planned for")).to_be_visible()
        assert_accessible(page)
        shot(page, "05-renumbered")

        # Remove the session entered twice.
        page.get_by_role("link", name="Remove (entered in error)").last.click()
        expect(
            page.get_by_role("heading", name="Remove a session entered in error")
        ).to_be_visible()
        assert_accessible(page)
        page.get_by_role("button", name="Remove session").click()
        expect(page.get_by_text("Say why the session is removed").first).to_be_visible()
        assert_accessible(page)
        shot(page, "06-remove-error")
        page.get_by_label("Why is it removed").fill("Entered twice")
        page.get_by_role("button", name="Remove session").click()
        expect(page.get_by_text("removed", exact=False).first).to_be_visible()
        assert_accessible(page)

        # Who cancelled it: the SSW, not the school.
        page.get_by_role("link", name="Change who cancelled it").click()
        assert_accessible(page)
        shot(page, "07-canceller")
        page.get_by_label("Who cancelled it").select_option("ssw")
        page.get_by_label("Why is this changed").fill("I was ill, not the school")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("now recorded as cancelled by the supervising")).to_be_visible()
        expect(
            page.get_by_role("cell", name="Cancelled by the supervising social worker: Ill")
        ).to_be_visible()
        assert_accessible(page)
        shot(page, "08-corrected")
        page.get_by_role("button", name="Sign out").click()

        # The LA lead's view of the same school: three sessions, none removed.
        sign_in(page, base, "la_lead", lead_code())
        page.goto(f"{base}/schedule/990001/")
        expect(page.get_by_role("cell", name="Planned (120 minutes)")).to_have_count(3)
        assert_accessible(page)
        shot(page, "09-lead")

    twice = SupervisionSession.everything.get(pk=sessions["twice"].pk)
    assert (twice.removal_reason, twice.removed_by) == ("Entered twice", ssw)
    numbers = [
        (s.number, s.status)
        for s in SupervisionSession.objects.filter(status__in=("", "held")).order_by(
            "scheduled_for"
        )
    ]
    assert numbers == [(1, ""), (2, ""), (3, "")]
    undo = AuditEvent.objects.get(
        object_type="programme.supervisionsession",
        object_id=str(sessions["held"].pk),
        detail__undone="held",
    )
    assert (undo.actor, undo.detail["reason"]) == ("ssw", "Recorded against the wrong school")
