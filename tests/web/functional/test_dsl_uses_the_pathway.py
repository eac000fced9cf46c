"""A DSL reads the LA's threshold document, goes through "where should this go?" one question
a screen to a recommendation, and records what they did. In Debian's Chromium; every page
visited passes axe-core's WCAG 2.2 AA checks."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from threshold.web.accounts.roles import RoleName
from threshold.web.guidance.content import EXAMPLE
from threshold.web.guidance.models import PathwayOutcome
from threshold.web.guidance.services import document_publish, document_save_draft

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


def answer(page: Page, question: str, choice: str) -> None:
    expect(page.get_by_role("heading", name=question)).to_be_visible()
    assert_accessible(page)
    page.get_by_label(choice, exact=True).check()
    page.get_by_role("button", name="Continue").click()


@pytest.mark.django_db(transaction=True)
def test_dsl_goes_through_the_pathway_and_records_what_they_did(
    live_server: object, places: dict[str, object], make_user: Callable[..., object]
) -> None:
    lead = make_user(RoleName.LA_LEAD)
    make_user(RoleName.DSL_LEAD)
    document_save_draft(authority=places["home_la"], content=EXAMPLE, by=lead)
    document_publish(authority=places["home_la"], by=lead)
    base = live_server.url
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        # The CSP (rightly) refuses axe's injected script tag, so the checked pages bypass it.
        page = browser.new_context(bypass_csp=True).new_page()
        page.goto(f"{base}/")
        page.get_by_label("Username").fill("dsl_lead")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("link", name="DSL guidance").first.click()
        expect(page.get_by_role("heading", name="DSL guidance")).to_be_visible()
        assert_accessible(page)

        page.get_by_role("link", name="Northmoor").click()
        expect(page.get_by_role("heading", name="Threshold document")).to_be_visible()
        expect(page.get_by_text("Version 1, published")).to_be_visible()
        assert_accessible(page)

        page.get_by_role("link", name="DSL guidance").first.click()
        page.get_by_role("link", name="Where should this go?").click()
        expect(page.get_by_role("heading", name="Where should this go?")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("button", name="Start now").click()

        page.get_by_role("button", name="Continue").click()  # no answer: an error
        expect(page.get_by_role("link", name="Select an answer")).to_be_visible()
        assert_accessible(page)
        page.get_by_label("No", exact=True).check()
        page.get_by_role("button", name="Continue").click()
        answer(
            page,
            "Has a child been harmed, or do you think they are at risk of significant harm?",
            "No",
        )
        answer(page, "Does the family need help from more than one service working together?", "No")
        answer(page, "Does the family need more help than your school can give on its own?", "Yes")

        expect(page.get_by_role("heading", name="Early Help")).to_be_visible()
        expect(page.get_by_text("an early help assessment starts support")).to_be_visible()
        expect(page.get_by_text("help quickly from people who know them")).to_be_visible()
        assert_accessible(page)

        page.get_by_role("link", name="Record what you did").click()
        expect(page.get_by_role("heading", name="Record what you did")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("radio", name="Early Help").check()
        page.get_by_role("group", name="Did you then contact the front door?").get_by_label(
            "No", exact=True
        ).check()
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Thank you: what you did is recorded.")).to_be_visible()
        expect(page.get_by_role("cell", name="Northmoor Academy")).to_be_visible()
        assert_accessible(page)
        browser.close()
    outcome = PathwayOutcome.objects.get()
    assert (outcome.recommended_route, outcome.route_taken) == ("early_help", "early_help")
    assert outcome.contacted_front_door is False
