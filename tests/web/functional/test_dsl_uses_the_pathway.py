"""A DSL reads the LA's threshold document, goes through "where should this go?" one question
a screen to a recommendation, and records what they did. In Debian's Chromium; every page
visited passes axe-core's WCAG 2.2 AA checks."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from threshold.web.accounts.roles import RoleName
from threshold.web.guidance.content import EXAMPLE
from threshold.web.guidance.models import PathwayOutcome
from threshold.web.guidance.services import document_publish, document_save_draft
from web.functional.browser import assert_accessible, checked_page, chromium, sign_in

pytestmark = pytest.mark.functional


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
    with chromium() as browser:
        page = checked_page(browser)
        sign_in(page, base, "dsl_lead")
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
    outcome = PathwayOutcome.objects.get()
    assert (outcome.recommended_route, outcome.route_taken) == ("early_help", "early_help")
    assert outcome.contacted_front_door is False
