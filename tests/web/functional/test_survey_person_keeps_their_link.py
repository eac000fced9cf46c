"""A person without an account, invited by e-mail at the baseline survey of a programme without
a trial, is invited again at the endline with the address typed differently: the LA lead is
told they already had a link, the e-mail carries the same link, the person answers through it,
and the response rates show the schools as enrolled directly (no arms), never the address. In
Debian's Chromium; every page passes axe-core's WCAG 2.2 AA checks.

Set THRESHOLD_SHOTS to a folder to keep a screenshot of each page."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from threshold.model import SurveyRole
from threshold.web.accounts.roles import RoleName
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.programme.models import Programme
from threshold.web.programme.services import enrolments_add
from threshold.web.surveys.models import Respondent, Response, Wave
from threshold.web.surveys.services import respondent_invite, wave_create
from web.functional.browser import assert_accessible, checked_page, chromium, sign_in

pytestmark = pytest.mark.functional

ADDRESS = "officer@example.org"
LINK = re.compile(r"https?://[^/\s]+(/survey/[A-Z0-9]+/(?:baseline|endline)/)")


def shot(page: Page, name: str) -> None:
    folder = os.environ.get("THRESHOLD_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def checked(page: Page, name: str) -> None:
    assert_accessible(page)
    shot(page, name)


@pytest.mark.django_db(transaction=True)
def test_a_person_invited_by_e_mail_keeps_their_link_at_the_next_survey(
    live_server: object,
    places: dict[str, LocalAuthority],
    make_user: Callable[..., object],
    authenticator: Callable[..., Callable[[], str]],
) -> None:
    home = places["home_la"]
    bedes = School.objects.create(urn=990002, name="St Bede's", authority=home, phase="primary")
    today = timezone.localdate()
    programme = Programme.objects.create(
        authority=home,
        school_year="2026/27",
        starts_on=today - dt.timedelta(weeks=30),
        ends_on=today + dt.timedelta(weeks=8),
    )
    enrolments_add(programme=programme, schools=[places["home_school"], bedes], by="test")
    baseline, _ = wave_create(
        programme=programme,
        wave="baseline",
        opens_on=today - dt.timedelta(weeks=28),
        closes_on=today - dt.timedelta(weeks=26),
        by="test",
    )
    first = respondent_invite(
        wave=baseline,
        school=bedes,
        role=SurveyRole.SAFEGUARDING_TEAM,
        email=" Officer@Example.org ",
        link=lambda r: r.token,
        by="test",
    ).respondent
    endline, _ = wave_create(
        programme=programme,
        wave="endline",
        opens_on=today - dt.timedelta(days=2),
        closes_on=today + dt.timedelta(days=20),
        by="test",
    )
    lead_code = authenticator(make_user(RoleName.LA_LEAD))
    mail.outbox.clear()
    base = live_server.url
    with chromium() as browser:
        page = checked_page(browser)
        sign_in(page, base, "la_lead", lead_code())
        page.goto(f"{base}/surveys/waves/{endline.pk}/")
        expect(page.get_by_role("heading", name="Response rates")).to_be_visible()
        page.get_by_role("link", name="People invited: add the DSLs or a person by e-mail").click()
        checked(page, "01-people")
        page.get_by_label("School").select_option(label="St Bede's (990002)")
        page.get_by_label("Other member of the safeguarding team").check()
        page.get_by_label("E-mail address").fill("officer@EXAMPLE.org")
        page.get_by_role("button", name="Invite this person").click()
        expect(page.get_by_text("They already had a link for St Bede's").first).to_be_visible()
        expect(
            page.get_by_text("1 person invited: 0 DSLs with accounts, 1 added by e-mail.").first
        ).to_be_visible()
        checked(page, "02-invited-again")
        assert ADDRESS not in page.content().casefold()

        (message,) = mail.outbox
        assert message.to == ["officer@EXAMPLE.org"]  # as typed, trimmed
        path = LINK.search(message.body).group(1)
        assert path == f"/survey/{first.token}/endline/"
        person = checked_page(browser)
        person.goto(f"{base}{path}")
        checked(person, "03-questionnaire")
        for group in person.locator("fieldset").all():
            group.locator("input[type=radio]").first.check()
        person.get_by_role("button", name="Send your answers").click()
        expect(person.get_by_text("Thank you. Your answers have been saved.")).to_be_visible()
        checked(person, "04-answered")

        page.goto(f"{base}/surveys/waves/{endline.pk}/")
        expect(page.get_by_text("enrolled directly, without a trial")).to_be_visible()
        expect(page.get_by_role("rowheader", name="Enrolled directly").first).to_be_visible()
        checked(page, "05-response-rates")
        assert ADDRESS not in page.content().casefold()
        page.get_by_role("link", name="Survey results by arm").click()
        checked(page, "06-results")
        assert ADDRESS not in page.content().casefold()

    assert Respondent.objects.filter(school=bedes).count() == 1
    assert Response.objects.get().respondent == first
    assert Response.objects.get().wave == Wave.objects.get(wave="endline")
