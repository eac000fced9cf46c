"""Finding and exporting, in Debian's Chromium (issue 15): an SSW with 65 sessions over five
schools in two LAs filters the schedule's sessions by status and dates (GOV.UK date inputs),
pages through them with the filters kept, downloads them as an Excel workbook, and gets a
clear error at the field for a date that is not one; an LA lead filters take-up by SSW and
downloads it as CSV, where a school named like a formula opens as text. Every page passes
axe-core's WCAG 2.2 AA checks; screenshots go to /tmp/shots/programme-lists/ when that folder
exists."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from factories.schedules import FORMULA_SCHOOL, harsh_schedule
from threshold.model import restore_formulas
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.audit.models import AuditEvent
from threshold.web.programme.downloads import SESSION_COLUMNS, TAKE_UP_COLUMNS
from web.functional.browser import assert_accessible, checked_page, chromium, sign_in

pytestmark = pytest.mark.functional

SHOTS = Path("/tmp/shots/programme-lists")


def shot(page: Page, name: str) -> None:
    """Keep a screenshot of the page for a person to look at (when the folder exists)."""
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def fill_date(page: Page, legend: str, day: dt.date) -> None:
    """Type `day` into the GOV.UK date input whose legend is `legend`."""
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


@pytest.mark.django_db(transaction=True)
def test_an_ssw_finds_pages_and_downloads_sessions_and_a_lead_downloads_take_up(
    live_server: object,
    places: dict[str, object],
    make_user: Callable[..., User],
    authenticator: Callable[..., Callable[[], str]],
    tmp_path: Path,
) -> None:
    ssw = make_user(RoleName.SSW)
    ssw_code = authenticator(ssw)
    lead_code = authenticator(make_user(RoleName.LA_LEAD))
    schedule = harsh_schedule(places, ssw)
    today = timezone.localdate()
    start, end = today, today + dt.timedelta(weeks=20)
    planned = [
        s
        for s in schedule.sessions
        if s.ssw_id == ssw.pk
        and s.status == ""
        and start <= timezone.localdate(s.scheduled_for) <= end
    ]
    assert len(planned) > 25  # more than a page
    base = live_server.url
    with chromium() as browser:
        page = checked_page(browser)
        page.set_viewport_size({"width": 1100, "height": 900})
        sign_in(page, base, "ssw", ssw_code())
        page.get_by_role("link", name="Schedule").first.click()
        expect(page.get_by_role("heading", name="Supervision schedule")).to_be_visible()
        expect(page.get_by_text("5 schools")).to_be_visible()
        assert_accessible(page)
        shot(page, "01-schedule-schools")

        # The sessions: filtered by status and dates, a page at a time.
        page.get_by_role("link", name="Sessions", exact=True).click()
        expect(page.get_by_text("65 sessions")).to_be_visible()
        assert_accessible(page)
        shot(page, "02-sessions")
        page.get_by_label("Status").select_option("Planned")
        fill_date(page, "From", start)
        fill_date(page, "To", end)
        page.get_by_role("button", name="Find sessions").click()
        expect(page.get_by_text(f"{len(planned)} sessions")).to_be_visible()
        expect(page.locator("tbody tr")).to_have_count(25)
        assert_accessible(page)
        shot(page, "03-planned-page-1")
        page.get_by_role("link", name="Next").click()
        expect(page.locator("tbody tr")).to_have_count(len(planned) - 25)
        expect(page.get_by_label("Status")).to_have_value("planned")
        expect(page.get_by_role("group", name="To").get_by_label("Year")).to_have_value(
            str(end.year)
        )
        expect(page.get_by_role("cell", name="Held", exact=True)).to_have_count(0)
        assert_accessible(page)
        shot(page, "04-planned-page-2")

        # The download keeps the filters (not the page).
        with page.expect_download() as info:
            page.get_by_role("link", name="Excel workbook (XLSX)").click()
        workbook = tmp_path / info.value.suggested_filename
        info.value.save_as(workbook)
        assert workbook.name.startswith("supervision-schedule-")

        # A date that is not one: a specific error at the field and in the summary.
        group = page.get_by_role("group", name="From")
        group.get_by_label("Day").fill("31")
        group.get_by_label("Month").fill("2")
        page.get_by_role("button", name="Find sessions").click()
        expect(page.get_by_text("The ‘from’ date must be a real date")).to_have_count(2)
        expect(page).to_have_title(re.compile(r"^Error: "))
        assert_accessible(page)
        shot(page, "05-wrong-date")

        # No match: a way back.
        page.get_by_label("School name or URN").fill("Nowhere at all")
        page.get_by_role("group", name="From").get_by_label("Day").fill("1")
        page.get_by_role("button", name="Find sessions").click()
        expect(page.get_by_text("No sessions match")).to_be_visible()
        assert_accessible(page)
        shot(page, "06-no-match")
        page.get_by_role("link", name="clear the filters").click()
        expect(page.get_by_text("65 sessions")).to_be_visible()

        # The supervision records: the held sessions whose record is still to write.
        page.get_by_role("link", name="Supervision records").first.click()
        page.get_by_label("Status").select_option("Held, record not written")
        page.get_by_label("School name or URN").fill("thérèse")
        page.get_by_role("button", name="Find sessions").click()
        expect(page.get_by_role("link", name="Write the record").first).to_be_visible()
        expect(page.get_by_text("Record written", exact=True)).to_have_count(0)
        assert_accessible(page)
        shot(page, "06b-records-to-write")
        page.get_by_role("link", name="Community of practice").first.click()
        expect(page.get_by_text("0 meetings")).to_be_visible()
        assert_accessible(page)
        shot(page, "06c-meetings")
        page.get_by_role("button", name="Sign out").click()

        # The LA lead: take-up of their LA, filtered by SSW, downloaded as CSV.
        sign_in(page, base, "la_lead", lead_code())
        page.get_by_role("link", name="Take-up").first.click()
        expect(page.get_by_role("heading", name="Take-up")).to_be_visible()
        assert_accessible(page)
        shot(page, "07-take-up")
        ssw_choice = page.get_by_label("Supervising social worker", exact=True)
        ssw_choice.select_option(label="ssw")  # no name given
        page.get_by_role("button", name="Find schools").click()
        expect(page.get_by_text("3 schools match")).to_be_visible()
        page.get_by_role("link", name="Clear filters").click()
        with page.expect_download() as info:
            page.get_by_role("link", name="CSV", exact=True).click()
        take_up_csv = tmp_path / info.value.suggested_filename
        info.value.save_as(take_up_csv)
        page.get_by_role("link", name="Programmes").first.click()
        expect(page.get_by_text("1 programme", exact=True)).to_be_visible()
        assert_accessible(page)
        shot(page, "07b-programmes")
        page.get_by_role("link", name="Schedule").first.click()
        page.get_by_role("link", name="Sessions", exact=True).click()
        page.get_by_label("Supervising social worker", exact=True).select_option("Zoë Ångström")
        page.get_by_role("button", name="Find sessions").click()
        expect(page.get_by_text("4 sessions")).to_be_visible()
        assert_accessible(page)
        shot(page, "08-lead-sessions-by-ssw")
        page.locator("tbody a").first.click()  # a session's date: its school's schedule
        expect(page.get_by_role("heading", name="St Mary's C of E Primary")).to_be_visible()
        expect(page.get_by_text("Download this school's sessions as")).to_be_visible()
        assert_accessible(page)
        shot(page, "09-school-schedule")

    sheet = load_workbook(workbook).active
    assert [c.value for c in sheet[1]] == list(SESSION_COLUMNS)
    body = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(body) == len(planned)
    assert {row[7] for row in body} == {"Planned"}
    assert all(start <= row[4].date() <= end for row in body)

    frame = pd.read_csv(io.BytesIO(take_up_csv.read_bytes()), encoding="utf-8-sig", dtype=str)
    assert list(frame.columns) == list(TAKE_UP_COLUMNS)
    assert sorted(frame["URN"]) == ["990001", "990002", "990003", "990004"]
    formula = frame.loc[frame["URN"] == "990002", "School"].item()
    assert formula == "'" + FORMULA_SCHOOL  # opens as text, never as a formula
    assert restore_formulas(frame)["School"].tolist().count(FORMULA_SCHOOL) == 1

    downloads = AuditEvent.objects.filter(detail__has_key="download").order_by("sequence")
    assert [
        (e.actor, e.detail["download"], e.detail["format"], e.detail["rows"]) for e in downloads
    ] == [
        ("ssw", "schedule", "xlsx", len(planned)),
        ("la_lead", "take-up", "csv", 4),
    ]
