"""An evaluator reads what a trial's de-identified export will hold, tries to download it
without accepting the data-sharing terms (and is stopped), accepts them and downloads the ZIP;
an LA analyst sees the narrower export of their own LA. In Debian's Chromium; every page
passes axe-core's WCAG 2.2 AA checks."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from factories.trial_records import SECRETS, build_trial
from threshold.model import read_table
from threshold.web.accounts.roles import RoleName
from threshold.web.audit.models import AuditEvent
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.trials.deidentified import MSG_NOTICE
from web.functional import browser
from web.functional.browser import assert_accessible, checked_page, chromium

pytestmark = pytest.mark.functional

SHOTS = Path("/tmp/shots/export")


@pytest.mark.django_db(transaction=True)
def test_evaluator_downloads_deidentified_data(
    live_server: object,
    settings: object,
    places: dict[str, LocalAuthority | School],
    make_user: Callable[..., object],
    authenticator: Callable[..., Callable[[], str]],
    tmp_path: Path,
) -> None:
    records = build_trial(places, tmp_path / "service", settings)
    evaluator_code = authenticator(records.evaluator)
    analyst_code = authenticator(make_user(RoleName.LA_ANALYST))
    url = f"{live_server.url}/trials/{records.trial.pk}/export/"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium() as launched:
        page = checked_page(launched)
        browser.sign_in(page, live_server.url, records.evaluator.username, evaluator_code())
        expect(page.get_by_role("heading", name="What you can do")).to_be_visible()
        page.goto(url)
        expect(page.get_by_role("heading", name="Download de-identified data")).to_be_visible()
        expect(page.get_by_role("cell", name="data/survey_responses.csv")).to_be_visible()
        expect(page.get_by_text("Survey responses are included")).to_be_visible()
        expect(page.get_by_role("heading", name="Data-sharing terms")).to_be_visible()
        assert_accessible(page)
        page.screenshot(path=SHOTS / "evaluator-export.png", full_page=True)

        page.get_by_role("button", name="Download").click()
        expect(page.get_by_role("link", name=MSG_NOTICE)).to_be_visible()
        expect(page).to_have_title(
            f"Error: Download de-identified data – {records.trial.name} – Threshold"
        )
        assert_accessible(page)
        page.screenshot(path=SHOTS / "evaluator-export-error.png", full_page=True)

        page.get_by_label("I accept these terms").check()
        with page.expect_download() as started:
            page.get_by_role("button", name="Download").click()
        download = started.value
        assert download.suggested_filename.startswith(f"trial-{records.trial.pk}-deidentified-")
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)

        other = launched.new_context(bypass_csp=True).new_page()
        browser.sign_in(other, live_server.url, "la_analyst", analyst_code())
        other.goto(url)
        expect(other.get_by_text("only the schools and records of Northmoor")).to_be_visible()
        expect(other.get_by_text("Survey responses are not included")).to_be_visible()
        expect(other.get_by_role("cell", name="data/survey_responses.csv")).to_have_count(0)
        assert_accessible(other)
        other.screenshot(path=SHOTS / "analyst-export.png", full_page=True)

    with zipfile.ZipFile(saved) as archive:
        archive.extractall(tmp_path / "out")
        text = "\n".join(archive.read(name).decode() for name in archive.namelist())
    for secret in SECRETS:
        assert secret not in text.split("Data-sharing terms")[0].replace(
            records.evaluator.username, ""
        )
    root = next((tmp_path / "out").iterdir())
    assert len(read_table(root / "data", "survey_responses")) == 2
    event = AuditEvent.objects.get(object_type="trials.deidentified_export")
    assert event.actor == records.evaluator.username
    assert event.detail["notice_accepted"] is True
