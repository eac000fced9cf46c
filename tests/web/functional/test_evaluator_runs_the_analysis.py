"""An evaluator runs a trial's confirmatory analysis from the service's records: asks for it on
the trial's runs page, sees its progress, and once the background worker has run it, reads the
primary estimate and downloads the report (HTML, Word, JSON). In Debian's Chromium; every page
passes axe-core's WCAG 2.2 AA checks. Screenshots are kept in /tmp/shots/analysis/."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from factories.jobs import run_jobs
from factories.trial_analysis import small_world, world_trial
from threshold.web.audit.models import AuditEvent
from threshold.web.trials.models import AnalysisRun
from web.functional import browser
from web.functional.browser import assert_accessible, checked_page, chromium

pytestmark = pytest.mark.functional

SHOTS = Path("/tmp/shots/analysis")


@pytest.mark.django_db(transaction=True)
def test_evaluator_runs_the_analysis_and_downloads_the_report(
    live_server: object,
    settings: object,
    authenticator: Callable[..., Callable[[], str]],
    tmp_path: Path,
) -> None:
    settings.FRONTDOOR_STORE_ROOT = tmp_path / "frontdoor"
    settings.TRIALS_ROOT = tmp_path / "trials"
    settings.TRIAL_ANALYSIS_DRAWS = 100
    trial = world_trial(small_world(tmp_path / "world"))
    code = authenticator(trial.created_by)
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    runs = f"{base}/trials/{trial.pk}/runs/"
    with chromium() as launched:
        page = checked_page(launched)
        page.set_viewport_size({"width": 1100, "height": 900})
        browser.sign_in(page, base, trial.created_by.username, code())
        page.goto(runs)
        expect(page.get_by_role("heading", name="Analysis runs")).to_be_visible()
        expect(page.get_by_text("No analysis has been run yet.")).to_be_visible()
        expect(page.get_by_label("Confirmatory")).to_be_checked()
        assert_accessible(page)
        page.screenshot(path=SHOTS / "1-runs-empty.png", full_page=True)

        page.get_by_role("button", name="Run the analysis").click()
        expect(page.get_by_role("heading", name="Confirmatory analysis, run")).to_be_visible()
        expect(page.locator("#run-status")).to_have_text("Waiting to start")
        assert_accessible(page)
        page.screenshot(path=SHOTS / "2-run-queued.png", full_page=True)
        queued = page.url
        signed_in = page.context.storage_state()

    run_jobs()
    run = AnalysisRun.objects.get()
    assert run.status == AnalysisRun.Status.DONE, run.error
    assert run.primary["randomisation_p_value"] is not None

    with chromium() as launched:  # the same session (a code is accepted once only)
        page = launched.new_context(bypass_csp=True, storage_state=signed_in).new_page()
        page.set_viewport_size({"width": 1100, "height": 900})
        page.goto(queued)
        expect(page.locator("#run-status")).to_have_text("Finished")
        expect(
            page.get_by_text(f"{run.primary['n']} ({run.primary['n_treatment']} treatment")
        ).to_be_visible()
        assert_accessible(page)
        page.screenshot(path=SHOTS / "3-run-finished.png", full_page=True)
        with page.expect_download() as downloading:
            page.get_by_role("link", name="Results (JSON)").click()
        saved = tmp_path / "results.json"
        downloading.value.save_as(saved)
        with page.expect_download() as downloading:
            page.get_by_role("link", name="Report (Word)").click()
        assert downloading.value.suggested_filename == f"analysis-{run.pk}-report.docx"

        page.get_by_role("link", name="All runs of this trial").click()
        expect(page.get_by_role("cell", name="Confirmatory", exact=True)).to_be_visible()
        expect(page.get_by_text(run.protocol_sha256[:12])).to_be_visible()
        assert_accessible(page)
        page.screenshot(path=SHOTS / "4-runs-list.png", full_page=True)

        page.get_by_label("Exploratory").check()
        page.get_by_role("button", name="Run the analysis").click()
        expect(page.get_by_role("heading", name="EXPLORATORY analysis, run")).to_be_visible()
        expect(page.locator("#exploratory-warning")).to_contain_text("not the trial's")
        assert_accessible(page)
        page.screenshot(path=SHOTS / "5-exploratory-queued.png", full_page=True)
        page.get_by_role("link", name="All runs of this trial").click()
        expect(page.get_by_text("EXPLORATORY", exact=True)).to_be_visible()
        page.screenshot(path=SHOTS / "6-runs-list-both.png", full_page=True)

    assert AnalysisRun.objects.filter(exploratory=True).count() == 1
    results = json.loads(saved.read_text(encoding="utf-8"))
    assert results["estimates"][0]["coef"] == pytest.approx(run.primary["coef"])
    downloads = AuditEvent.objects.filter(
        action="read", object_type="trials.analysisrun", detail__file__isnull=False
    )
    assert sorted(e.detail["file"] for e in downloads) == ["report.docx", "results.json"]
