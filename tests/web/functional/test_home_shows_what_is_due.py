"""Each person's home page says what is due, in Debian's Chromium: the SSW sees this week's
session and a record to write and follows "Write the record"; the DSL sees the next session and
follows "Prepare your worksheet"; the LA lead sees take-up and an unsigned agreement and follows
"Update the agreements". Every page passes axe-core's WCAG 2.2 AA checks; screenshots go to
/tmp/shots/due/ when that folder exists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.insights.models import FrontDoorImport
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.programme.models import Enrolment, Programme, SupervisionSession
from threshold.web.surveys.models import Respondent, Wave
from web.functional.browser import assert_accessible, checked_page, chromium, sign_in

pytestmark = pytest.mark.functional

SHOTS = Path("/tmp/shots/due")


def shot(page: Page, name: str) -> None:
    """Keep a screenshot of the page for a person to look at (when the folder exists)."""
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def programme_of(places: dict[str, LocalAuthority], ssw: User) -> dict[str, SupervisionSession]:
    """Northmoor's programme: its academy held session 1 eight weeks ago (no record yet) and
    has session 2 planned in half an hour (online); St Bede's has its MOU sent but not
    signed; the baseline survey is open (6 invited at St Bede's, and the academy's DSL); the
    last front-door import was 60 days ago."""
    today = timezone.localdate()
    programme = Programme.objects.create(
        authority=places["home_la"],
        school_year="2026/27",
        starts_on=today - dt.timedelta(weeks=10),
        ends_on=today + dt.timedelta(weeks=30),
    )
    signed = {"mou_status": "signed", "supervision_agreement_status": "signed"}
    academy = Enrolment.objects.create(
        programme=programme, school=places["home_school"], arm="treatment", ssw=ssw, **signed
    )
    bede = School.objects.create(
        urn=990002, name="St Bede's", authority=places["home_la"], phase="primary"
    )
    Enrolment.objects.create(
        programme=programme,
        school=bede,
        arm="treatment",
        ssw=ssw,
        mou_status="sent",
        supervision_agreement_status="signed",
    )
    kind = {"enrolment": academy, "ssw": ssw, "format": "group"}
    held = SupervisionSession.objects.create(
        number=1,
        scheduled_for=at(today - dt.timedelta(weeks=8), 10),
        mode="face_to_face",
        status="held",
        **kind,
    )
    tonight = SupervisionSession.objects.create(
        number=2, scheduled_for=timezone.now() + dt.timedelta(minutes=30), mode="online", **kind
    )
    wave = Wave.objects.create(
        programme=programme,
        wave="baseline",
        opens_on=today - dt.timedelta(days=3),
        closes_on=today + dt.timedelta(days=10),
    )
    for n in range(6):
        Respondent.objects.create(token=f"R{n:015d}", school=bede, role="lead_dsl")
    dsl = User.objects.get(username="dsl_lead")
    Respondent.objects.create(
        token="D" * 16, school=places["home_school"], role="lead_dsl", user=dsl
    )
    imported = FrontDoorImport.objects.create(
        authority=places["home_la"],
        file_name="contacts.csv",
        file_sha256="0" * 64,
        format="csv",
        imported_by="test",
        records=1,
        loaded=1,
        quarantined=0,
    )
    FrontDoorImport.objects.filter(pk=imported.pk).update(
        imported_at=timezone.now() - dt.timedelta(days=60)
    )
    return {"held": held, "tonight": tonight, "wave": wave}


@pytest.mark.django_db(transaction=True)
def test_each_home_page_shows_what_is_due(
    live_server: object,
    places: dict[str, LocalAuthority],
    make_user: Callable[..., User],
    authenticator: Callable[..., Callable[[], str]],
) -> None:
    ssw = make_user(RoleName.SSW)
    ssw_code = authenticator(ssw)
    lead_code = authenticator(make_user(RoleName.LA_LEAD))
    make_user(RoleName.DSL_LEAD)
    sessions = programme_of(places, ssw)
    base = live_server.url
    with chromium() as browser:
        page = checked_page(browser)
        page.set_viewport_size({"width": 1100, "height": 900})

        # The SSW: this week's session, the record to write, St Bede's with no session yet.
        sign_in(page, base, "ssw", ssw_code())
        expect(page.get_by_role("heading", name="What's due")).to_be_visible()
        expect(page.get_by_text("Northmoor Academy, online")).to_be_visible()
        expect(page.get_by_text("56 days overdue")).to_be_visible()
        assert_accessible(page)
        shot(page, "01-ssw-home")
        page.get_by_role(
            "link", name="Write the record of session 1 with Northmoor Academy"
        ).click()
        expect(page.get_by_role("heading", name="Record of supervision")).to_be_visible()
        assert page.url.endswith(f"/sessions/{sessions['held'].pk}/record/")
        page.context.clear_cookies()

        # The DSL: the next session (in half an hour, online) and the worksheet to prepare.
        sign_in(page, base, "dsl_lead")
        expect(page.get_by_text("Designated safeguarding lead").first).to_be_visible()
        expect(page.get_by_text("Not written yet")).to_be_visible()
        expect(
            page.get_by_role("link", name="Answer the survey – Baseline (October)")
        ).to_be_visible()
        assert_accessible(page)
        shot(page, "02-dsl-home")
        page.get_by_role("link", name="Prepare your worksheet for session 2").click()
        expect(page.get_by_role("heading", name="Session worksheet")).to_be_visible()
        assert page.url.endswith(f"/sessions/{sessions['tonight'].pk}/worksheet/")
        page.context.clear_cookies()

        # The LA lead: take-up, the unsigned MOU, the open survey, stale front-door data.
        sign_in(page, base, "la_lead", lead_code())
        expect(page.get_by_text("MOU: sent, awaiting signature")).to_be_visible()
        expect(page.get_by_text("Fewer than 5 of 7 people invited have answered")).to_be_visible()
        expect(page.get_by_text("Older than 45 days")).to_be_visible()
        assert_accessible(page)
        shot(page, "03-lead-home")
        page.set_viewport_size({"width": 375, "height": 800})
        assert_accessible(page)
        shot(page, "04-lead-home-narrow")
        page.set_viewport_size({"width": 1100, "height": 900})
        page.get_by_role("link", name="Update the agreements of St Bede's").click()
        expect(page.get_by_text("St Bede's").first).to_be_visible()
        assert_accessible(page)
