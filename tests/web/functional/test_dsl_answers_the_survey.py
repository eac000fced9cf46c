"""A DSL finds their survey link on "Your surveys", then answers the baseline survey through
it without signing in (a missed question first), and sees they have answered; the LA lead
follows response rates, where one school's one answer shows only as "fewer than 5". In
Debian's Chromium; every page visited passes axe-core's WCAG 2.2 AA checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from threshold.surveys import WARR_STEM
from threshold.web.accounts.roles import RoleName
from threshold.web.organisations.models import School
from threshold.web.programme.models import Enrolment, Programme
from threshold.web.surveys.models import Respondent, Response
from threshold.web.surveys.services import wave_create
from threshold.web.surveys.views import MSG_TOO_FEW_TO_COMPARE, SUPPRESSED
from web.functional.browser import assert_accessible, checked_page, chromium, sign_in

pytestmark = pytest.mark.functional


def answer(page: Page, question: str, choice: str) -> None:
    page.get_by_role("group", name=question).get_by_label(choice, exact=True).check()


@pytest.mark.django_db(transaction=True)
def test_dsl_answers_the_baseline_survey_through_their_link(
    live_server: object,
    places: dict[str, object],
    make_user: Callable[..., object],
    authenticator: Callable[..., Callable[[], str]],
) -> None:
    make_user(RoleName.DSL_LEAD)
    lead = make_user(RoleName.LA_LEAD)
    code = authenticator(lead)
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
    with chromium() as browser:
        page = checked_page(browser)
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

        sign_in(page, base, "la_lead", code())
        page.get_by_role("link", name="Surveys").first.click()
        expect(page.get_by_role("heading", name="Surveys", exact=True)).to_be_visible()
        assert_accessible(page)
        page.get_by_role("button", name="Start a survey").click()
        expect(page.get_by_role("heading", name="Start a survey")).to_be_visible()
        assert_accessible(page)
        page.go_back()
        page.get_by_role("link", name="Baseline (October)").click()
        expect(page.get_by_role("heading", name="Response rates")).to_be_visible()
        expect(page.get_by_text(MSG_TOO_FEW_TO_COMPARE.format(small=5))).to_be_visible()
        expect(page.get_by_role("cell", name=SUPPRESSED).first).to_be_visible()
        expect(page.get_by_text("Response rates differ between the arms")).to_have_count(0)
        assert_accessible(page)
    # The ORM is not used inside Playwright's event loop.
    response = Response.objects.get()
    assert (response.respondent.token, response.wave_id) == (token, wave.pk)
    assert response.warr_miserable == "occasionally"
