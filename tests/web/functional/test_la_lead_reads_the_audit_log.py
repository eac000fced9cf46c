"""An LA lead signs in with a password and an authenticator code, and reads the audit log, in
Debian's Chromium; every page visited passes axe-core's WCAG 2.2 AA checks."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from threshold.web.accounts.roles import RoleName
from threshold.web.audit.services import audit_read

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


@pytest.mark.django_db(transaction=True)
def test_la_lead_signs_in_with_a_code_and_reads_the_audit_log(
    live_server: object,
    make_user: Callable[..., object],
    add_device: Callable[..., TOTPDevice],
    token_now: Callable[..., str],
) -> None:
    device = add_device(make_user(RoleName.LA_LEAD))
    audit_read(by="ssw", object_type="programme.session", object_id="42", authority_code="990")
    token = token_now(device)
    base = live_server.url
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        strict = browser.new_page()
        errors: list[str] = []
        strict.on(
            "console", lambda message: message.type == "error" and errors.append(message.text)
        )
        strict.goto(f"{base}/")
        expect(strict.locator("body.govuk-frontend-supported")).to_have_count(1)  # nonce'd script
        expect(strict.locator("[data-govuk-button-init]")).to_have_count(1)  # module script
        assert errors == [], "the pages break their own content security policy"
        # The CSP (rightly) refuses axe's injected script tag, so the checked pages bypass it.
        page = browser.new_context(bypass_csp=True).new_page()
        page.goto(f"{base}/")
        expect(page.get_by_role("heading", name="Sign in to Threshold")).to_be_visible()
        assert_accessible(page)

        page.get_by_label("Username").fill("la_lead")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Enter your security code")).to_be_visible()
        assert_accessible(page)

        page.get_by_label("Security code").fill(token)
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", name="LA programme lead")).to_be_visible()
        assert_accessible(page)

        page.get_by_role("link", name="Audit log").first.click()
        expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
        expect(page.get_by_role("cell", name="programme.session 42")).to_be_visible()
        assert_accessible(page)

        page.get_by_label("Who (username contains)").fill("ssw")
        page.get_by_role("button", name="Filter events").click()
        expect(page.get_by_role("cell", name="programme.session 42")).to_be_visible()
        expect(page.get_by_text("1 event", exact=True)).to_be_visible()
        assert_accessible(page)
        browser.close()
