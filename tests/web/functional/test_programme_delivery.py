"""An LA lead enrols schools from an allocation file, assigns the SSW and reads take-up; the SSW
plans a session on a suggested date and records it held, and is warned about a child named in
a community-of-practice meeting's topics. In Debian's Chromium; every page visited passes
axe-core's WCAG 2.2 AA checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from factories.forms import fill_date, read_date
from threshold.web.accounts.roles import RoleName
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.programme.services import programme_create
from web.functional.browser import assert_accessible, checked_page, chromium, sign_in

pytestmark = pytest.mark.functional

ALLOCATIONS = (
    "urn,block,arm,random_number,order,withdrawn_on\n"
    "990001,990-high,treatment,0.1,1,\n"
    "990002,990-high,control,0.4,2,\n"
)


def sign_in_to_home(page: Page, base: str, username: str, token: str) -> None:
    """Sign in with a code and check the home page."""
    sign_in(page, base, username, token)
    expect(page.get_by_role("heading", name="What you can do")).to_be_visible()
    assert_accessible(page)


@pytest.mark.django_db(transaction=True)
def test_lead_enrols_schools_and_ssw_plans_and_records_a_session(
    live_server: object,
    places: dict[str, LocalAuthority],
    make_user: Callable[..., object],
    authenticator: Callable[..., Callable[[], str]],
    tmp_path: Path,
) -> None:
    School.objects.create(
        urn=990002, name="St Bede's", authority=places["home_la"], phase="secondary"
    )
    today = timezone.localdate()
    programme_create(
        authority=places["home_la"],
        school_year="2024/25",
        starts_on=today - dt.timedelta(weeks=8),
        ends_on=today + dt.timedelta(weeks=30),
        by="test",
    )
    lead_code = authenticator(make_user(RoleName.LA_LEAD))
    ssw_code = authenticator(make_user(RoleName.SSW))
    allocations = tmp_path / "allocations.csv"
    allocations.write_text(ALLOCATIONS, encoding="utf-8")
    base = live_server.url
    with chromium() as browser:
        page = checked_page(browser)
        sign_in_to_home(page, base, "la_lead", lead_code())

        page.get_by_role("link", name="Programmes").first.click()
        page.get_by_role("link", name="Northmoor 2024/25").click()
        expect(page.get_by_role("heading", name="Northmoor 2024/25")).to_be_visible()
        assert_accessible(page)

        page.get_by_role("link", name="Enrol schools from an allocation file").click()
        assert_accessible(page)
        page.get_by_label("Allocation file").set_input_files(str(allocations))
        page.get_by_role("button", name="Upload and enrol").click()
        expect(page.get_by_text("2 schools enrolled, 0 updated, 0 unchanged")).to_be_visible()
        expect(page.get_by_role("cell", name="St Bede's", exact=True)).to_be_visible()
        assert_accessible(page)

        page.get_by_role("link", name="Change SSW and agreements of Northmoor Academy").click()
        page.get_by_label("Supervising social worker").select_option(label="ssw")
        page.get_by_label("Memorandum of understanding").select_option("signed")
        assert_accessible(page)
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Northmoor Academy: saved")).to_be_visible()

        page.get_by_role("link", name="Take-up").first.click()
        expect(page.get_by_role("heading", name="No session yet (1)")).to_be_visible()
        expect(page.get_by_role("heading", name="Overdue (1)")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("button", name="Sign out").click()

        sign_in_to_home(page, base, "ssw", ssw_code())
        page.get_by_role("link", name="Schedule").first.click()
        assert_accessible(page)
        page.get_by_role("link", name="Northmoor Academy").click()
        expect(page.get_by_role("button", name="Plan a session")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("button", name="Plan a session").click()
        expect(page.get_by_role("heading", name="Suggested dates")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("link", name="Use ").first.click()
        assert read_date(page, "Date of the session") >= today
        # Today, at a time already past: only a session that has started can be held.
        fill_date(page, "Date of the session", today)
        page.get_by_label("Start time").fill("00:01")
        page.get_by_label("Where").select_option("online")
        page.get_by_role("button", name="Plan session").click()
        if today.weekday() >= 5:  # a weekend date is confirmed
            page.get_by_label("Yes, the session is on a weekend").check()
            page.get_by_role("button", name="Plan session").click()
        expect(page.get_by_text("Session 1 planned for")).to_be_visible()
        assert_accessible(page)

        page.get_by_role("link", name="Record as held session 1").click()
        assert_accessible(page)
        page.get_by_label("How many of the school's safeguarding team attended").fill("4")
        page.get_by_label("How long it lasted, in minutes").fill("110")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Held: 4 attended, 110 minutes")).to_be_visible()
        assert_accessible(page)


@pytest.mark.django_db(transaction=True)
def test_ssw_is_warned_about_a_child_named_in_meeting_topics(
    live_server: object,
    places: dict[str, LocalAuthority],
    make_user: Callable[..., object],
    authenticator: Callable[..., Callable[[], str]],
) -> None:
    ssw_code = authenticator(make_user(RoleName.SSW))
    base = live_server.url
    with chromium() as browser:
        page = checked_page(browser)
        sign_in_to_home(page, base, "ssw", ssw_code())
        page.get_by_role("link", name="Community of practice").first.click()
        page.get_by_role("button", name="Record a meeting").click()
        heading = page.get_by_role("heading", name="Record a community-of-practice meeting")
        expect(heading).to_be_visible()
        assert_accessible(page)
        fill_date(page, "Date of the meeting", "2024-12-03")
        page.get_by_label("ssw").check()
        page.get_by_label("Topics").fill(
            "How the DSL at Northmoor Academy supported KACPER NOWAK after his exclusion."
        )
        page.get_by_role("button", name="Save meeting").click()

        expect(page.get_by_text("This may identify someone")).to_be_visible()
        expect(
            page.get_by_text("Topics, characters 44 to 55: a personal name, “KACPER NOWAK”")
        ).to_be_visible()
        assert_accessible(page)

        page.get_by_role("textbox", name="Topics").fill(
            "How a DSL supported a pupil after an exclusion."
        )
        page.get_by_role("button", name="Save meeting").click()
        expect(page.get_by_text("Meeting recorded")).to_be_visible()
        expect(page.get_by_text("KACPER")).to_have_count(0)
        assert_accessible(page)
