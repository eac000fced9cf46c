"""An LA lead runs a programme without a trial: enrols a school chosen from the LA's schools,
downloads the CSV template (a school name starting with "=" comes back prefixed, so it cannot
run as a formula), is told what is wrong with a file, enrols from a corrected one, starts a
survey (its DSLs are invited) and adds a person without an account by e-mail. In Debian's
Chromium; every page visited passes axe-core's WCAG 2.2 AA checks.

Set THRESHOLD_SHOTS to a folder to keep a screenshot of each page."""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from factories.forms import fill_date
from threshold.web.accounts.roles import RoleName
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.programme.models import Enrolment
from threshold.web.programme.services import programme_create
from threshold.web.surveys.models import Respondent
from web.functional.browser import assert_accessible, checked_page, chromium, sign_in

pytestmark = pytest.mark.functional

FORMULA = '=HYPERLINK("http://example.org","Free School")'
ADDRESS = "safeguarding.officer@example.org"


def shot(page: Page, name: str) -> None:
    """A full-page screenshot in $THRESHOLD_SHOTS, when set."""
    folder = os.environ.get("THRESHOLD_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def checked(page: Page, name: str) -> None:
    assert_accessible(page)
    shot(page, name)


@pytest.mark.django_db(transaction=True)
def test_la_lead_runs_a_programme_without_a_trial(
    live_server: object,
    places: dict[str, LocalAuthority],
    make_user: Callable[..., object],
    authenticator: Callable[..., Callable[[], str]],
    tmp_path: Path,
) -> None:
    home = places["home_la"]
    School.objects.create(
        urn=990002,
        name="St Bede's",
        authority=home,
        phase="primary",
        pupils_on_roll=212,
        pct_fsm=31.5,
    )
    School.objects.create(urn=990004, name=FORMULA, authority=home, phase="secondary")
    today = timezone.localdate()
    programme_create(
        authority=home,
        school_year="2024/25",
        starts_on=today - dt.timedelta(weeks=8),
        ends_on=today + dt.timedelta(weeks=30),
        by="test",
    )
    make_user(RoleName.DSL_LEAD)  # the lead DSL of Northmoor Academy, enrolled from the file
    lead_code = authenticator(make_user(RoleName.LA_LEAD))
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("urn,school_name\n990001,St Bede's\n999999,\n", encoding="utf-8")
    base = live_server.url
    with chromium() as browser:
        page = checked_page(browser)
        sign_in(page, base, "la_lead", lead_code())
        page.get_by_role("link", name="Programmes").first.click()
        page.get_by_role("link", name="Northmoor 2024/25").click()
        checked(page, "01-programme")

        # Choose a school from the LA's open schools.
        page.get_by_role("link", name="Choose schools to enrol").click()
        expect(page.get_by_role("heading", name="Choose the schools to enrol")).to_be_visible()
        expect(page.get_by_role("cell", name="31.5")).to_be_visible()
        checked(page, "02-choose")
        page.get_by_role("button", name="Enrol the chosen schools").click()
        expect(page.get_by_text("Choose at least one school to enrol").first).to_be_visible()
        checked(page, "03-choose-error")
        page.get_by_label("St Bede's").check()
        page.get_by_role("button", name="Enrol the chosen schools").click()
        expect(page.get_by_text("Schools enrolled: 1 new, 0 already enrolled")).to_be_visible()
        expect(page.get_by_text("Treatment (enrolled directly)")).to_be_visible()
        checked(page, "04-enrolled")

        # The template, a wrong file and a corrected one.
        page.get_by_role("link", name="Enrol schools from a file").click()
        checked(page, "05-upload")
        with page.expect_download() as started:
            page.get_by_role("link", name="Download the template (CSV)").click()
        template = tmp_path / started.value.suggested_filename
        started.value.save_as(template)
        page.get_by_label("File of schools").set_input_files(str(wrong))
        page.get_by_role("button", name="Upload and enrol").click()
        expect(
            page.get_by_text("Nothing was enrolled: the file has 2 problem(s)").first
        ).to_be_visible()
        expect(page.get_by_text("wrong.csv row 1 [school_name]: school 990001")).to_be_visible()
        expect(page.get_by_text("wrong.csv row 2 [urn]: school 999999 is not in")).to_be_visible()
        checked(page, "06-upload-errors")
        with template.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        names = {row["urn"]: row["school_name"] for row in rows}
        assert names == {"990001": "Northmoor Academy", "990004": "'" + FORMULA}
        chosen = tmp_path / "chosen.csv"
        with chosen.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["urn", "school_name"])
            writer.writeheader()
            writer.writerows(row for row in rows if row["urn"] == "990001")
        page.get_by_label("File of schools").set_input_files(str(chosen))
        page.get_by_role("button", name="Upload and enrol").click()
        expect(page.get_by_text("Schools enrolled: 1 new, 0 already enrolled")).to_be_visible()
        checked(page, "07-enrolled-from-file")

        # A survey that reaches someone.
        page.get_by_role("link", name="Surveys").first.click()
        page.get_by_role("button", name="Start a survey").click()
        page.get_by_label("Programme").select_option(label="Northmoor 2024/25")
        page.get_by_label("Baseline").check()
        fill_date(page, "Opens on", today)
        fill_date(page, "Closes on", today + dt.timedelta(days=21))
        checked(page, "08-start-survey")
        page.get_by_role("button", name="Start the survey").click()
        expect(
            page.get_by_text("1 person invited: 1 DSL with an account, 0 added by e-mail.")
        ).to_be_visible()
        checked(page, "09-monitor")
        page.get_by_role("link", name="People invited: add the DSLs or a person by e-mail").click()
        checked(page, "10-people")
        page.get_by_role("button", name="Invite this person").click()
        expect(page.get_by_text("Enter the person's e-mail address").first).to_be_visible()
        checked(page, "11-people-errors")
        page.get_by_label("School").select_option(label="St Bede's (990002)")
        page.get_by_label("Other member of the safeguarding team").check()
        page.get_by_label("E-mail address").fill(ADDRESS)
        page.get_by_role("button", name="Invite this person").click()
        expect(
            page.get_by_text("2 people invited: 1 DSL with an account, 1 added by e-mail.").first
        ).to_be_visible()
        checked(page, "12-person-invited")

    enrolments = Enrolment.objects.filter(programme__authority=home)
    assert set(enrolments.values_list("school__urn", "arm", "block")) == {
        (990001, "treatment", "direct"),
        (990002, "treatment", "direct"),
    }
    added = Respondent.objects.get(user__isnull=True)
    assert [message.to for message in mail.outbox] == [[ADDRESS]]
    assert f"/survey/{added.token}/baseline/" in mail.outbox[0].body
