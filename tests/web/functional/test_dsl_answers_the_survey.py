"""A DSL finds their survey link on "Your surveys", then answers the baseline survey through
it without signing in (a missed question first), and sees they have answered; the LA lead
follows response rates and is warned that the arms differ. In Debian's Chromium; every page
visited passes axe-core's WCAG 2.2 AA checks."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from threshold.surveys import WARR_STEM
from threshold.web.accounts.roles import RoleName
from threshold.web.organisations.models import School
from threshold.web.programme.models import Enrolment, Programme
from threshold.web.surveys.models import Respondent, Response
from threshold.web.surveys.services import wave_create

pytestmark = pytest.mark.functional

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[3] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PASSWORD = "correct horse battery staple"

if not CHROMIUM.exists():
    pytest.skip(
        "Debian's Chromium is not installed (/usr/bin/chromium): `apt-get install chromium`, "
        "as .ci/run does",
        allow_module_level=True,
    )
if not AXE.exists():
    pytest.skip("axe-core is not installed: run `npm ci` (make setup)", allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402


def assert_accessible(page: Page) -> None:
    """Inject axe-core and fail on any WCAG 2.2 A/AA violation on the current page."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_22_AA
    )
    violations = [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
    ]
    assert violations == [], f"{page.url}: {json.dumps(violations, indent=1)}"
    assert result["passes"], "axe-core checked nothing"


def sign_in(page: Page, base: str, username: str, token: str | None = None) -> None:
    page.goto(f"{base}/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if token is not None:
        page.get_by_label("Security code").fill(token)
        page.get_by_role("button", name="Continue").click()


def answer(page: Page, question: str, choice: str) -> None:
    page.get_by_role("group", name=question).get_by_label(choice, exact=True).check()


@pytest.mark.django_db(transaction=True)
def test_dsl_answers_the_baseline_survey_through_their_link(
    live_server: object,
    places: dict[str, object],
    make_user: Callable[..., object],
    add_device: Callable[..., TOTPDevice],
    token_now: Callable[..., str],
) -> None:
    make_user(RoleName.DSL_LEAD)
    lead = make_user(RoleName.LA_LEAD)
    device = add_device(lead)
    school = places["home_school"]
    control = School.objects.create(
        urn=990002, name="St Bede's High School", authority=school.authority, phase="secondary"
    )
    programme = Programme.objects.create(
        authority=school.authority,
        school_year="2024/25",
        starts_on=dt.date(2024, 9, 2),
        ends_on=dt.date(2025, 7, 18),
    )
    Enrolment.objects.create(programme=programme, school=school, arm="treatment")
    Enrolment.objects.create(programme=programme, school=control, arm="control")
    today = timezone.localdate()
    wave, _ = wave_create(
        programme=programme,
        wave="baseline",
        opens_on=today,
        closes_on=today + dt.timedelta(days=14),
        by="test",
    )
    token = Respondent.objects.get().token
    link = reverse("surveys:respond", kwargs={"token": token, "wave": "baseline"})
    base = live_server.url
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        # The CSP (rightly) refuses axe's injected script tag, so the checked pages bypass it.
        page = browser.new_context(bypass_csp=True).new_page()
        sign_in(page, base, "dsl_lead")
        page.get_by_role("link", name="Your surveys").first.click()
        expect(page.get_by_role("heading", name="Your surveys")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("button", name="Sign out").click()
        # The link works without signing in: the token is the credential.
        page.goto(f"{base}{link}")
        expect(page.get_by_role("heading", name="DSL survey")).to_be_visible()
        expect(page.get_by_role("heading", name=WARR_STEM)).to_be_visible()
        assert_accessible(page)

        for feeling in ("Tense", "Worried", "Uneasy", "Depressed", "Gloomy"):
            answer(page, feeling, "Some of the time")
        page.get_by_role("button", name="Send your answers").click()
        expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
        expect(
            page.get_by_role(
                "link", name="Select how much of the time your job has made you feel miserable"
            )
        ).to_be_visible()
        assert_accessible(page)

        answer(page, "Miserable", "Occasionally")
        answer(
            page,
            "Overall, how confident are you in performing the role of DSL?",
            "Fairly confident",
        )
        answer(
            page,
            "How long have you held a designated safeguarding lead role (lead or deputy)?",
            "Three to four years",
        )
        page.get_by_role("button", name="Send your answers").click()
        expect(page.get_by_text("Thank you. Your answers have been saved.")).to_be_visible()
        expect(
            page.get_by_role("heading", name="You have already answered this survey")
        ).to_be_visible()
        assert_accessible(page)

        sign_in(page, base, "la_lead", token_now(device))
        page.get_by_role("link", name="Surveys").first.click()
        expect(page.get_by_role("heading", name="Surveys", exact=True)).to_be_visible()
        assert_accessible(page)
        page.get_by_role("button", name="Start a survey").click()
        expect(page.get_by_role("heading", name="Start a survey")).to_be_visible()
        assert_accessible(page)
        page.go_back()
        page.get_by_role("link", name="Baseline (October)").click()
        expect(page.get_by_role("heading", name="Response rates")).to_be_visible()
        expect(page.get_by_text("Response rates differ between the arms")).to_be_visible()
        assert_accessible(page)
        browser.close()
    # The ORM is not used inside Playwright's event loop.
    response = Response.objects.get()
    assert (response.respondent.token, response.wave_id) == (token, wave.pk)
    assert response.warr_miserable == "occasionally"
