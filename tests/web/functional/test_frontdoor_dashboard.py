"""An LA analyst imports an export (following its background job's progress to the result, run
by the library's worker, and the quarantine), reads the LA's
front-door dashboard, sorts it, and opens a school's dashboard, in Debian's Chromium; every
page passes axe-core's WCAG 2.2 AA checks, and the dashboards keep the content security
policy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from factories.jobs import run_jobs
from threshold.web.accounts.roles import RoleName
from threshold.web.organisations.models import LocalAuthority, School
from web.functional import browser
from web.functional.browser import assert_accessible, checked_page, chromium

pytestmark = pytest.mark.functional

HEADER = (
    "cont_contact_id,cont_person_id,cont_contact_date,cont_contact_source_code,"
    "cont_contact_outcome_json,cont_source_school_urn\n"
)
BAD_ROW = 'C0,P100,31/02/2024,2A,"{}",990001\n'


def sign_in(page: Page, base: str, username: str, token: str) -> None:
    browser.sign_in(page, base, username, token)
    expect(page.get_by_role("heading", name="What you can do")).to_be_visible()


def front_door(places: dict[str, LocalAuthority | School]) -> str:
    """The home school and six similar schools; an SSD export of their contacts: the i-th
    school (the home school first) made i + 1, a month apart from September 2024, those in
    odd months ending in NFA; and a record with an impossible date."""
    home = places["home_school"]
    home.pupils_on_roll, home.pct_fsm = 1000, 25.0
    home.save()
    schools = [home] + [
        School.objects.create(
            urn=990101 + i,
            name=f"Similar School {i}",
            authority=places["home_la"],
            phase="secondary",
            pupils_on_roll=1000,
            pct_fsm=22.0,
        )
        for i in range(6)
    ]
    rows = [BAD_ROW]
    for number, school in enumerate(schools):
        for month in range(9, 9 + number + 1):
            day = dt.date(2024 + (month > 12), (month - 1) % 12 + 1, 15)
            flag = "Y" if month % 2 else "N"
            rows.append(
                f"C{school.urn}-{month},P{month},{day.isoformat()},2A,"
                f'"{{""OUTCOME_NFA_FLAG"": ""{flag}""}}",{school.urn}\n'
            )
    return HEADER + "".join(rows)


@pytest.mark.django_db(transaction=True)
def test_analyst_imports_and_reads_the_front_door_dashboards(
    live_server: object,
    settings: object,
    places: dict[str, LocalAuthority | School],
    make_user: Callable[..., object],
    authenticator: Callable[..., Callable[[], str]],
    tmp_path: Path,
) -> None:
    settings.FRONTDOOR_STORE_ROOT = tmp_path / "store"
    text = front_door(places)
    code = authenticator(make_user(RoleName.LA_ANALYST))
    export = tmp_path / "contacts.csv"
    export.write_text(text, encoding="utf-8")
    base = live_server.url
    with chromium() as launched:
        page = checked_page(launched)
        sign_in(page, base, "la_analyst", code())

        page.get_by_role("link", name="Front door").first.click()
        expect(page.get_by_role("heading", name="Front door")).to_be_visible()
        assert_accessible(page)

        page.get_by_role("link", name="import an export for Northmoor").click()
        assert_accessible(page)
        page.get_by_label("The export").set_input_files(str(export))
        page.get_by_label("Standard Safeguarding Dataset extract").check()
        page.get_by_role("button", name="Import").click()
        expect(page.get_by_role("heading", name="Importing contacts.csv")).to_be_visible()
        expect(page.get_by_text("Waiting to start")).to_be_visible()
        assert_accessible(page)
        page.screenshot(path=tmp_path / "import-progress.png", full_page=True)
        run_jobs()
        page.get_by_role("button", name="Check progress").click()
        expect(page.get_by_text("29 records read: 28 loaded, 1 quarantined")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("link", name="See the quarantined records and why").click()
        expect(page.get_by_role("heading", name="Quarantined records")).to_be_visible()
        expect(page.get_by_role("cell", name="cont_contact_date")).to_be_visible()
        assert_accessible(page)

        page.goto(f"{base}/insights/la/990/?year=2024/25")
        expect(page.get_by_role("heading", name="Northmoor")).to_be_visible()
        expect(page.get_by_role("img", name="By month")).to_be_visible()
        expect(page.get_by_text("Latest contact: 15 March 2025.")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("link", name="Ending in NFA").click()
        expect(page.locator("th[aria-sort='ascending']")).to_have_text("Ending in NFA")
        assert_accessible(page)

        page.get_by_role("link", name="Northmoor Academy").click()
        expect(page.get_by_role("heading", name="Northmoor Academy")).to_be_visible()
        expect(page.get_by_text("Similar schools: Secondary schools in Northmoor")).to_be_visible()
        expect(page.get_by_text("Similar School 0")).to_have_count(0)
        assert_accessible(page)
        page.emulate_media(media="print")
        expect(page.get_by_role("button", name="Show")).to_be_hidden()
        expect(page.get_by_role("img", name="By month")).to_be_visible()

        # The same session in a context that enforces the CSP.
        strict = launched.new_context(storage_state=page.context.storage_state()).new_page()
        errors: list[str] = []
        strict.on(
            "console", lambda message: message.type == "error" and errors.append(message.text)
        )
        strict.goto(f"{base}/insights/la/990/?year=2024/25")
        strict.goto(f"{base}/insights/schools/990001/?year=2024/25")
        expect(strict.get_by_role("heading", name="Northmoor Academy")).to_be_visible()
        assert errors == [], "the dashboards break their own content security policy"


@pytest.mark.django_db(transaction=True)
def test_a_failed_import_shows_its_error_and_is_listed_for_administrators(
    live_server: object,
    settings: object,
    places: dict[str, LocalAuthority | School],
    make_user: Callable[..., object],
    authenticator: Callable[..., Callable[[], str]],
    tmp_path: Path,
) -> None:
    settings.FRONTDOOR_STORE_ROOT = tmp_path / "store"
    analyst_code = authenticator(make_user(RoleName.LA_ANALYST))
    admin_code = authenticator(make_user(RoleName.SYSTEM_ADMIN))
    export = tmp_path / "contacts.csv"
    export.write_text("a,b\n1,2\n", encoding="utf-8")
    base = live_server.url
    with chromium() as launched:
        page = checked_page(launched)
        sign_in(page, base, "la_analyst", analyst_code())
        page.goto(f"{base}/insights/la/990/import/")
        page.get_by_label("The export").set_input_files(str(export))
        page.get_by_label("Standard Safeguarding Dataset extract").check()
        page.get_by_role("button", name="Import").click()
        run_jobs()
        page.get_by_role("button", name="Check progress").click()
        expect(
            page.get_by_role("heading", name="The import of contacts.csv failed")
        ).to_be_visible()
        expect(page.get_by_text("Nothing was imported: contacts.csv: is neither")).to_be_visible()
        assert_accessible(page)
        page.screenshot(path=tmp_path / "import-failed.png", full_page=True)

        admin = checked_page(launched)
        sign_in(admin, base, "system_admin", admin_code())
        admin.get_by_role("link", name="Failed jobs").click()
        expect(admin.get_by_role("heading", name="Failed jobs")).to_be_visible()
        failure = admin.locator("td p", has_text="FrontDoorError: contacts.csv: is neither")
        expect(failure).to_be_visible()
        assert_accessible(admin)
        admin.screenshot(path=tmp_path / "failed-jobs.png", full_page=True)
