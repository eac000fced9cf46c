"""A DSL adds their school's supervision sessions to their calendar: from the schedule to the
feed's page, a link made once, and a feed a calendar app reads without signing in, which
parses with `icalendar` and holds their school's sessions. In Debian's Chromium; every page
passes axe-core's WCAG 2.2 AA checks."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from factories.sessions import sessions_in_two_las
from threshold.web.accounts.roles import RoleName
from web.functional.browser import assert_accessible, checked_page, chromium, sign_in

pytestmark = pytest.mark.functional
SHOTS = Path("/tmp/shots/calendar")


@pytest.mark.django_db(transaction=True)
def test_a_dsl_adds_their_sessions_to_a_calendar(
    live_server: object, places: dict[str, object], make_user: Callable[..., object]
) -> None:
    sessions = sessions_in_two_las(places, make_user(RoleName.SSW))
    make_user(RoleName.DSL_LEAD)
    with chromium() as browser:
        page = checked_page(browser)
        sign_in(page, live_server.url, "dsl_lead")
        page.get_by_role("link", name="Schedule").first.click()
        page.get_by_role("link", name="Add these sessions to your calendar").click()
        expect(page.get_by_role("heading", name="Your calendar feed")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("button", name="Make my calendar link").click()
        expect(page.get_by_text("Your calendar link is ready")).to_be_visible()
        assert_accessible(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / "link-made.png", full_page=True)
        address = page.get_by_label("Calendar link").input_value()
        page.goto(page.url)  # the link is shown once
        expect(page.get_by_label("Calendar link")).to_have_count(0)
        expect(page.get_by_role("button", name="Make a new link")).to_be_visible()
    with urllib.request.urlopen(address, timeout=30) as feed:  # a calendar app
        calendar = Calendar.from_ical(feed.read())
    summaries = sorted(str(event["summary"]) for event in calendar.walk("VEVENT"))
    home = [sessions["held"], sessions["cancelled"], sessions["planned"]]
    assert summaries == sorted(f"Supervision session {s.number}: Northmoor Academy" for s in home)
