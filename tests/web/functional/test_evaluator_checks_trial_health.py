"""An evaluator checks a randomised trial's health (warnings first, then take-up, survey
response by arm, withdrawals and the front door), and then the survey results by arm from the
surveys pages, in Debian's Chromium; every page passes axe-core's WCAG 2.2 AA checks.
Screenshots are kept in /tmp/shots/health/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from factories.trial_health import TODAY, build_trial
from threshold.web.accounts.roles import RoleName
from threshold.web.surveys.models import Response
from threshold.web.trials import health_views
from threshold.web.trials.models import Trial
from web.functional import browser
from web.functional.browser import assert_accessible, checked_page, chromium

pytestmark = pytest.mark.functional

SHOTS = Path("/tmp/shots/health")
ANSWERS = ("all_of_the_time", "most_of_the_time", "some_of_the_time", "occasionally", "never")
FEELINGS = ("tense", "worried", "uneasy", "depressed", "gloomy", "miserable")


@pytest.mark.django_db(transaction=True)
def test_evaluator_checks_trial_health_and_survey_results(
    live_server: object,
    settings: object,
    places: dict[str, object],
    make_user: Callable[..., object],
    authenticator: Callable[..., Callable[[], str]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    settings.TRIALS_ROOT = tmp_path / "trials"
    monkeypatch.setattr(health_views, "today", lambda: TODAY)
    evaluator = make_user(RoleName.EVALUATOR)
    code = authenticator(evaluator)
    built = build_trial(places["home_la"], make_user(RoleName.SSW), created_by=evaluator)
    for i, response in enumerate(Response.objects.order_by("pk")):
        for k, feeling in enumerate(FEELINGS):
            setattr(response, f"warr_{feeling}", ANSWERS[(i * (k + 1) + k) % 5])
        response.save()
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    with chromium() as launched:
        page = checked_page(launched)
        page.set_viewport_size({"width": 1100, "height": 900})
        browser.sign_in(page, base, "evaluator", code())

        page.goto(f"{base}/trials/{built.trial.pk}/health/")
        expect(page.get_by_role("heading", name="Trial health")).to_be_visible()
        expect(page.get_by_role("heading", name="4 warnings")).to_be_visible()
        expect(page.get_by_text("Take-up is behind plan: 50% of treatment schools")).to_be_visible()
        expect(page.get_by_text("C1 School: 1 session held")).to_be_visible()
        expect(
            page.get_by_text("Difference (treatment − control): 35.0 percentage")
        ).to_be_visible()
        expect(page.get_by_role("cell", name="November 2024")).to_be_visible()
        assert_accessible(page)
        page.screenshot(path=SHOTS / "trial-health.png", full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=SHOTS / "trial-health-phone.png", full_page=True)
        page.set_viewport_size({"width": 1100, "height": 900})

        page.goto(f"{base}/surveys/")
        page.get_by_role("link", name="results by arm").first.click()
        expect(page.get_by_role("heading", name="Survey results by arm")).to_be_visible()
        expect(page.get_by_text("fewer than 5").first).to_be_visible()
        assert_accessible(page)
        page.screenshot(path=SHOTS / "survey-results.png", full_page=True)


@pytest.mark.django_db(transaction=True)
def test_la_lead_sees_a_trial_not_yet_randomised_in_words(
    live_server: object,
    settings: object,
    places: dict[str, object],
    make_user: Callable[..., object],
    authenticator: Callable[..., Callable[[], str]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    settings.TRIALS_ROOT = tmp_path / "trials"
    monkeypatch.setattr(health_views, "today", lambda: TODAY)
    lead = make_user(RoleName.LA_LEAD)
    code = authenticator(lead)
    built = build_trial(
        places["home_la"],
        make_user(RoleName.SSW),
        created_by=make_user(RoleName.EVALUATOR),
        stage=Trial.Stage.LOCKED,
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    with chromium() as launched:
        page = checked_page(launched)
        page.set_viewport_size({"width": 1100, "height": 900})
        browser.sign_in(page, base, "la_lead", code())
        page.goto(f"{base}/trials/{built.trial.pk}/health/")
        expect(page.get_by_text("has not been randomised yet")).to_be_visible()
        expect(page.get_by_role("heading", name="Take-up")).to_have_count(0)
        expect(page.get_by_role("heading", name="1 warning")).to_be_visible()
        assert_accessible(page)
        page.screenshot(path=SHOTS / "trial-health-not-randomised.png", full_page=True)
