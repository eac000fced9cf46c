"""An LA lead changes their LA's settings, and a DSL of the LA finds its help contact and front
door on the help page; anyone can read the accessibility statement, privacy notice and cookies
page. In Debian's Chromium; every page visited passes axe-core's WCAG 2.2 AA checks."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from threshold.web.accounts.roles import RoleName
from threshold.web.organisations.models import LocalAuthority
from web.functional.browser import assert_accessible, checked_page, chromium, sign_in

pytestmark = pytest.mark.functional


@pytest.mark.django_db(transaction=True)
def test_la_lead_edits_the_settings_and_a_dsl_finds_the_help_contact(
    live_server: object,
    make_user: Callable[..., object],
    authenticator: Callable[..., Callable[[], str]],
) -> None:
    lead = make_user(RoleName.LA_LEAD)
    lead.first_name, lead.last_name = "Priya", "Shah"
    lead.save()
    code = authenticator(lead)
    make_user(RoleName.DSL_LEAD)
    base = live_server.url
    with chromium() as browser:
        page = checked_page(browser)
        sign_in(page, base, "la_lead", code())
        expect(page.get_by_role("heading", name="Welcome, Priya Shah")).to_be_visible()
        expect(page.get_by_text("Signed in as Priya Shah")).to_be_visible()
        assert_accessible(page)

        page.get_by_role("link", name="Local authorities").first.click()
        page.get_by_role("link", name="Northmoor").click()
        expect(page.get_by_role("heading", name="Northmoor")).to_be_visible()
        assert_accessible(page)

        page.get_by_role("button", name="Change the settings").click()
        expect(
            page.get_by_role("heading", name="Change the local authority's settings")
        ).to_be_visible()
        assert_accessible(page)
        page.get_by_label("Audit contact e-mail address").fill("not an address")
        page.get_by_role("button", name="Save settings").click()
        expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
        assert_accessible(page)

        page.get_by_label("Display name").fill("Northmoor Council")
        page.get_by_label("Front door phone number").fill("01632 960000")
        page.get_by_label("Front door opening hours").fill("Monday to Friday, 9am to 5pm")
        page.get_by_label("Audit contact e-mail address").fill("audit@northmoor.example")
        page.get_by_label("Help contact name").fill("Threshold team")
        page.get_by_label("Help contact e-mail address").fill("threshold@northmoor.example")
        page.get_by_role("button", name="Save settings").click()
        expect(page.get_by_text("Northmoor Council: settings saved")).to_be_visible()
        expect(page.get_by_text("audit@northmoor.example")).to_be_visible()
        assert_accessible(page)

        dsl = checked_page(browser)
        sign_in(dsl, base, "dsl_lead")
        dsl.get_by_role("link", name="Help and contact").click()
        expect(dsl.get_by_role("heading", name="Northmoor Council")).to_be_visible()
        expect(dsl.get_by_text("threshold@northmoor.example")).to_be_visible()
        expect(dsl.get_by_text("01632 960000")).to_be_visible()
        assert_accessible(dsl)

        anonymous = checked_page(browser)
        for link, heading in (
            ("Accessibility statement", "Accessibility statement for Threshold"),
            ("Privacy notice", "Privacy notice"),
            ("Cookies", "Cookies"),
        ):
            anonymous.goto(f"{base}/accounts/sign-in/")
            anonymous.get_by_role("link", name=link).click()
            expect(anonymous.get_by_role("heading", name=heading, exact=True)).to_be_visible()
            assert_accessible(anonymous)
    assert LocalAuthority.objects.get(la_code="990").help_email == "threshold@northmoor.example"
