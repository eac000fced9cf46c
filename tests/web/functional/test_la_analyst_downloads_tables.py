"""Finding and exporting, in Debian's Chromium: an LA lead downloads the front-door dashboard's
table of schools as an Excel workbook (a school named like a spreadsheet command opens as
text), opens the LA's list of imports, and downloads the audit log, filtered, as CSV (which
shows the workbook's download was audited); an information-line worker searches the calls,
filters them and pages through them. Every page passes axe-core's WCAG 2.2 AA checks;
screenshots go to /tmp/shots/insights-lists/ when that folder exists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from factories.forms import fill_date
from threshold.model import restore_formulas
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.audit.models import AuditEvent
from threshold.web.audit.services import audit_read
from threshold.web.guidance.models import InformationLineCall
from threshold.web.insights.models import Contact, FrontDoorImport
from threshold.web.organisations.models import LocalAuthority, School
from web.functional.browser import assert_accessible, checked_page, chromium, sign_in

pytestmark = pytest.mark.functional

SHOTS = Path("/tmp/shots/insights-lists")
HOSTILE = "=cmd|' /C calc'!A0"
ACCENTED = "École Saint-Jérôme & Ørsted’s Academy"


def shot(page: Page, name: str) -> None:
    """Keep a screenshot of the page for a person to look at (when the folder exists)."""
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def front_door(places: dict[str, LocalAuthority | School]) -> dict[str, School]:
    """The home LA with a hostile and an accented school besides its own, 2024/25 contacts,
    and a few imports; the other LA with a contact of its own."""
    home = places["home_la"]
    hostile = School.objects.create(
        urn=990002, name=HOSTILE, authority=home, phase="primary", pupils_on_roll=300
    )
    accented = School.objects.create(
        urn=990003, name=ACCENTED, authority=home, phase="secondary", pupils_on_roll=900
    )
    days = ("2024-09-10", "2024-09-11", "2024-10-01")
    for n, (school, day) in enumerate(
        [(hostile, d) for d in days]
        + [(accented, "2024-10-02"), (places["other_school"], "2024-10-03")]
    ):
        Contact.objects.create(
            contact_id=f"c{n}",
            person_id="p",
            authority=school.authority,
            contact_date=dt.date.fromisoformat(day),
            source_code="2A",
            source_school=school,
            child_school=school,
            outcome="nfa" if n < 2 else "referral",
        )
    for n in range(3):
        FrontDoorImport.objects.create(
            authority=home,
            file_name=f"ssd_contacts_{n}.csv",
            file_sha256=f"{n}" * 64,
            format="ssd",
            imported_by="la_analyst",
            records=100 + n,
            loaded=100 + n - (n == 1),
            quarantined=int(n == 1),
        )
    return {"hostile": hostile, "accented": accented}


def calls(schools: dict[str, School], places: dict[str, School], by: User) -> None:
    """60 calls in the home LA over 60 days (every tenth about exploitation, at the accented
    school), and one in the other LA."""
    today = timezone.localdate()
    for n in range(60):
        InformationLineCall.objects.create(
            school=schools["accented"] if n % 10 == 0 else schools["hostile"],
            caller_role="dsl_lead",
            called_at=timezone.make_aware(
                dt.datetime.combine(today - dt.timedelta(days=n), dt.time(9))
            ),
            category="exploitation" if n % 10 == 0 else "neglect",
            advice_route="early_help",
            advice="Went through the county lines pathway." if n % 10 == 0 else "",
            follow_up="",
            minutes=15,
            recorded_by=by,
        )
    InformationLineCall.objects.create(
        school=places["other_school"],
        caller_role="dsl_lead",
        called_at=timezone.now(),
        category="exploitation",
        advice_route="early_help",
        advice="county lines",
        follow_up="",
        minutes=5,
        recorded_by=by,
    )


@pytest.mark.django_db(transaction=True)
def test_la_lead_downloads_tables_and_a_call_handler_pages_through_calls(
    live_server: object,
    places: dict[str, LocalAuthority | School],
    make_user: Callable[..., User],
    authenticator: Callable[..., Callable[[], str]],
    tmp_path: Path,
) -> None:
    lead_code = authenticator(make_user(RoleName.LA_LEAD))
    ssw = make_user(RoleName.SSW)
    ssw_code = authenticator(ssw)
    schools = front_door(places)
    calls(schools, places, ssw)
    for n in range(3):
        audit_read(
            by=HOSTILE, object_type="programme.session", object_id=str(n), authority_code="990"
        )
    base = live_server.url
    workbook, log = tmp_path / "schools.xlsx", tmp_path / "audit.csv"
    with chromium() as browser:
        page = checked_page(browser)
        page.set_viewport_size({"width": 1100, "height": 900})
        sign_in(page, base, "la_lead", lead_code())
        page.goto(f"{base}/insights/la/990/")
        expect(page.get_by_role("heading", name="Northmoor")).to_be_visible()
        expect(page.get_by_text("Download the table of schools as")).to_be_visible()
        assert_accessible(page)
        shot(page, "01-la-dashboard")

        # The table of schools, sorted by contacts (most first), as a workbook.
        headings = page.locator("#schools thead")
        headings.get_by_role("link", name="Contacts").click()  # fewest first
        headings.get_by_role("link", name="Contacts").click()  # most first
        expect(page.locator("#schools tbody tr").first).to_contain_text(HOSTILE)
        schools_download = page.locator("p", has_text="Download the table of schools as")
        with page.expect_download() as downloading:
            schools_download.get_by_role("link", name="Excel workbook (XLSX)").click()
        assert downloading.value.suggested_filename.startswith("front-door-schools-990-2024-25-")
        downloading.value.save_as(workbook)

        # The LA's imports, from the dashboard.
        page.get_by_role("link", name="Every import of the local authority's exports").click()
        expect(page.get_by_role("heading", name="Imports of front-door exports")).to_be_visible()
        expect(page.get_by_role("cell", name="Finished, some records quarantined")).to_be_visible()
        assert_accessible(page)
        shot(page, "02-imports")
        page.get_by_label("Status").select_option("quarantined")
        page.get_by_role("button", name="Filter imports").click()
        expect(page.get_by_text("1 import", exact=True)).to_be_visible()
        assert_accessible(page)

        # The audit log, filtered to one person, as CSV.
        page.get_by_role("link", name="Audit log").first.click()
        page.get_by_label("Who (username contains)").fill("la_lead")
        page.get_by_role("button", name="Filter events").click()
        expect(page.get_by_text("Download these events as")).to_be_visible()
        assert_accessible(page)
        shot(page, "03-audit-log")
        with page.expect_download() as downloading:
            page.get_by_role("link", name="CSV", exact=True).click()
        assert downloading.value.suggested_filename.startswith("audit-log-")
        downloading.value.save_as(log)
        page.get_by_role("button", name="Sign out").click()

        # The information line: search, filter, page through.
        sign_in(page, base, "ssw", ssw_code())
        page.goto(f"{base}/guidance/calls/")
        expect(page.get_by_text("60 calls, page 1 of 3")).to_be_visible()
        assert_accessible(page)
        shot(page, "04-calls")
        page.get_by_role("link", name="Next").click()
        expect(page.get_by_text("60 calls, page 2 of 3")).to_be_visible()
        assert_accessible(page)
        page.get_by_label("Search").fill("county lines")
        page.get_by_label("Concern").select_option("exploitation")
        fill_date(page, "From", timezone.localdate() - dt.timedelta(days=25))
        page.get_by_role("button", name="Search").click()
        expect(page.get_by_text("3 calls", exact=True)).to_be_visible()  # days 0, 10, 20
        expect(page.get_by_role("cell", name=ACCENTED)).to_have_count(3)
        assert_accessible(page)
        shot(page, "05-calls-found")
        fill_date(page, "To", timezone.localdate() - dt.timedelta(days=30))
        page.get_by_role("button", name="Search").click()
        expect(page.get_by_text("There is a problem")).to_be_visible()
        expect(page.get_by_text("Correct the problem above to see the calls.")).to_be_visible()
        assert_accessible(page)
        shot(page, "06-calls-wrong-dates")

    sheet = load_workbook(workbook).active
    assert [c.value for c in sheet[1]][:5] == ["School", "URN", "Pupils", "% FSM", "Contacts"]
    first = sheet.cell(row=2, column=1)
    assert (first.value, first.data_type) == ("'" + HOSTILE, "s")  # text, not a formula
    assert sheet.cell(row=2, column=5).value == 3
    assert sheet.cell(row=3, column=1).value == ACCENTED
    assert sheet.max_row == 4  # the home LA's three schools, not the other LA's
    read = restore_formulas(pd.read_csv(log, encoding="utf-8-sig", dtype=str))
    assert set(read["Who"]) == {"la_lead"}
    assert "organisations.localauthority 990" in set(read["Record"])  # the workbook's download
    (workbook_event,) = AuditEvent.objects.filter(detail__download="front-door schools table")
    assert (workbook_event.actor, workbook_event.detail["rows"]) == ("la_lead", 3)
    (log_event,) = AuditEvent.objects.filter(detail__download="audit log")
    assert log_event.detail["rows"] == len(read)
