"""GOV.UK patterns as people meet them, in Debian's Chromium (issue 15):

- an SSW types a wrong date into the day, month and year of the ad hoc support form and sees
  the specific error at the field and in the summary (its link goes to the wrong part), only
  the wrong part highlighted, what they typed kept; then a right date saves;
- a DSL goes through the pathway: each question says "Question N of 4", and its Back link
  (a plain link, working without JavaScript) goes to the question before, then to the start;
- on a 320-pixel-wide phone, a wide table scrolls sideways inside its container, not the
  page, and keyboard users can scroll it.

Every page passes axe-core's WCAG 2.2 AA checks; screenshots go to /tmp/shots/govuk-patterns/
when that folder exists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from factories.forms import fill_date
from factories.sessions import enrol_with_ssw
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.guidance.content import EXAMPLE
from threshold.web.guidance.services import document_publish, document_save_draft
from threshold.web.organisations.models import LocalAuthority
from threshold.web.programme.models import Programme
from threshold.web.supervision.models import AdHocSupport
from web.functional.browser import assert_accessible, checked_page, chromium, sign_in

pytestmark = pytest.mark.functional

SHOTS = Path("/tmp/shots/govuk-patterns")
LEGEND = "Date of the support"


def shot(page: Page, name: str) -> None:
    """Keep a screenshot of the page for a person to look at (when the folder exists)."""
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def error_classes(page: Page) -> dict[str, bool]:
    """Which parts of the date input are highlighted as wrong."""
    group = page.get_by_role("group", name=LEGEND, exact=True)
    return {
        part: "govuk-input--error" in (group.get_by_label(part).get_attribute("class") or "")
        for part in ("Day", "Month", "Year")
    }


@pytest.mark.django_db(transaction=True)
def test_a_wrong_date_is_explained_at_the_field_and_a_wide_table_scrolls_on_a_phone(
    live_server: object,
    places: dict[str, LocalAuthority],
    make_user: Callable[..., User],
    authenticator: Callable[..., Callable[[], str]],
) -> None:
    ssw = make_user(RoleName.SSW)
    code = authenticator(ssw)
    today = timezone.localdate()
    programme = Programme.objects.create(
        authority=places["home_la"],
        school_year="2026/27",
        starts_on=today - dt.timedelta(weeks=10),
        ends_on=today + dt.timedelta(weeks=30),
    )
    enrol_with_ssw(programme, places["home_school"], ssw)
    base = live_server.url
    with chromium() as browser:
        page = checked_page(browser)
        page.set_viewport_size({"width": 1000, "height": 900})
        sign_in(page, base, "ssw", code())
        page.goto(f"{base}/supervision/ad-hoc/")
        expect(page.get_by_role("heading", name="Ad hoc support")).to_be_visible()
        expect(page.get_by_text("For example, 27 3 2026")).to_be_visible()
        assert_accessible(page)
        shot(page, "01-date-input")

        # 31 February: not a real date; the summary's link goes to the day.
        page.get_by_label("School", exact=True).select_option(label="Northmoor Academy (2026/27)")
        group = page.get_by_role("group", name=LEGEND, exact=True)
        group.get_by_label("Day").fill("31")
        group.get_by_label("Month").fill("2")
        group.get_by_label("Year").fill(str(today.year))
        page.get_by_label("Telephone").check()
        page.get_by_label("The supervising social worker").check()
        page.get_by_label("DSL wellbeing").check()
        page.get_by_role("button", name="Record support").click()
        message = "Date of the support must be a real date"
        summary = page.locator(".govuk-error-summary")
        expect(summary.get_by_role("link", name=message)).to_be_visible()
        expect(page.locator("#id_support_date-error")).to_contain_text(message)
        expect(page).to_have_title("Error: Ad hoc support – Threshold")
        assert error_classes(page) == {"Day": True, "Month": True, "Year": True}
        assert group.get_by_label("Day").input_value() == "31"  # what was typed is kept
        assert_accessible(page)
        shot(page, "02-not-a-real-date")
        summary.get_by_role("link", name=message).click()
        expect(group.get_by_label("Day")).to_be_focused()

        # No year: only the year is highlighted, and the link goes to it.
        group.get_by_label("Day").fill("3")
        group.get_by_label("Year").fill("")
        page.get_by_role("button", name="Record support").click()
        message = "Date of the support must include a year"
        expect(summary.get_by_role("link", name=message)).to_be_visible()
        expect(page.locator("#id_support_date-error")).to_contain_text(message)
        assert error_classes(page) == {"Day": False, "Month": False, "Year": True}
        assert_accessible(page)
        shot(page, "03-missing-year")
        summary.get_by_role("link", name=message).click()
        expect(group.get_by_label("Year")).to_be_focused()

        # Several errors at once: all in the summary, each linked to its field.
        page.goto(f"{base}/supervision/ad-hoc/")
        page.get_by_role("button", name="Record support").click()
        for text in (
            "Select the school",
            "Enter the date of the support",
            "Select how the support was given",
            "Select who asked for it",
            "Select what it was about",
        ):
            expect(summary.get_by_role("link", name=text)).to_be_visible()
        expect(page.get_by_text("This field is required.")).to_have_count(0)
        assert_accessible(page)
        shot(page, "04-every-error")

        # A right date saves.
        page.get_by_label("School", exact=True).select_option(label="Northmoor Academy (2026/27)")
        fill_date(page, LEGEND, today - dt.timedelta(days=1))
        page.get_by_label("Telephone").check()
        page.get_by_label("The supervising social worker").check()
        page.get_by_label("DSL wellbeing").check()
        page.get_by_role("button", name="Record support").click()
        expect(page.get_by_text("Ad hoc support saved")).to_be_visible()

        # A phone: the table scrolls inside its container, not the page.
        page.set_viewport_size({"width": 320, "height": 640})
        page.reload()
        region = page.get_by_role("region", name="Support recorded")
        expect(region).to_be_visible()
        widths = page.evaluate(
            """() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"""
        )
        assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"
        inside = region.evaluate("el => [el.scrollWidth, el.clientWidth]")
        assert inside[0] > inside[1], f"the table fits: {inside}"
        region.focus()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        # keyboard users can scroll it (the scroll may be smooth: wait for it, 5 s at most)
        page.wait_for_function("el => el.scrollLeft > 0", arg=region.element_handle(), timeout=5000)
        assert_accessible(page)
        shot(page, "05-phone-table")
    support = AdHocSupport.objects.get()
    assert support.support_date == today - dt.timedelta(days=1)


@pytest.mark.django_db(transaction=True)
def test_the_pathway_numbers_its_questions_and_goes_back_without_javascript(
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
        page.goto(f"{base}/guidance/pathway/")
        page.get_by_role("button", name="Start now").click()
        expect(page.get_by_text("Question 1 of 4")).to_be_visible()
        assert_accessible(page)
        shot(page, "06-question-1")
        page.get_by_label("No", exact=True).check()
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_text("Question 2 of 4")).to_be_visible()
        page.get_by_label("No", exact=True).check()
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_text("Question 3 of 4")).to_be_visible()
        assert_accessible(page)
        shot(page, "07-question-3")

        # Without JavaScript, Back goes to the question before, its answer kept.
        cookies = page.context.cookies()
        plain = browser.new_context(java_script_enabled=False).new_page()
        plain.context.add_cookies(cookies)
        plain.goto(page.url)
        expect(plain.get_by_text("Question 3 of 4")).to_be_visible()
        plain.get_by_role("link", name="Back", exact=True).click()
        expect(plain.get_by_text("Question 2 of 4")).to_be_visible()
        expect(plain.get_by_label("No", exact=True)).to_be_checked()
        plain.get_by_role("link", name="Back", exact=True).click()
        expect(plain.get_by_text("Question 1 of 4")).to_be_visible()
        plain.get_by_role("link", name="Back", exact=True).click()
        expect(plain.get_by_role("heading", name="Where should this go?")).to_be_visible()

        # The result's Back link goes to the question that decided it.
        page.goto(f"{base}/guidance/pathway/")
        page.get_by_role("button", name="Start now").click()
        page.get_by_label("Yes", exact=True).check()
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", name="Police")).to_be_visible()
        assert_accessible(page)
        shot(page, "08-result")
        page.get_by_role("link", name="Back", exact=True).click()
        expect(page.get_by_text("Question 1 of 4")).to_be_visible()
