"""An LA lead signs in with a password and an authenticator code, and reads the audit log, in
Debian's Chromium; every page visited passes axe-core's WCAG 2.2 AA checks."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from threshold.web.accounts.roles import RoleName
from threshold.web.audit.services import audit_read
from web.functional.browser import PASSWORD, assert_accessible, checked_page, chromium

pytestmark = pytest.mark.functional


@pytest.mark.django_db(transaction=True)
def test_la_lead_signs_in_with_a_code_and_reads_the_audit_log(
    live_server: object,
    make_user: Callable[..., object],
    authenticator: Callable[..., Callable[[], str]],
) -> None:
    code = authenticator(make_user(RoleName.LA_LEAD))
    audit_read(by="ssw", object_type="programme.session", object_id="42", authority_code="990")
    token = code()
    base = live_server.url
    with chromium() as browser:
        strict = browser.new_page()
        errors: list[str] = []
        strict.on(
            "console", lambda message: message.type == "error" and errors.append(message.text)
        )
        strict.goto(f"{base}/")
        expect(strict.locator("body.govuk-frontend-supported")).to_have_count(1)  # nonce'd script
        expect(strict.locator("[data-govuk-button-init]")).to_have_count(1)  # module script
        assert errors == [], "the pages break their own content security policy"
        page = checked_page(browser)
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
