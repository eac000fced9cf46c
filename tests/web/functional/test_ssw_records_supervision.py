"""An SSW writes a record of supervision, is warned about a phone number, removes it and saves;
a DSL of the school fills in the session worksheet. In Debian's Chromium; every page visited
passes axe-core's WCAG 2.2 AA checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from threshold.web.accounts.roles import RoleName
from threshold.web.programme.models import Enrolment, Programme, SupervisionSession
from threshold.web.supervision.models import DslWorksheet, SupervisionRecord
from web.functional.browser import assert_accessible, checked_page, chromium, sign_in

pytestmark = pytest.mark.functional


def sign_in_to_supervision(page: Page, base: str, username: str, token: str | None = None) -> None:
    """Sign in (with a code, for those who need one) and open the supervision records."""
    sign_in(page, base, username, token)
    page.get_by_role("link", name="Supervision records").first.click()
    expect(page.get_by_role("heading", name="Supervision sessions")).to_be_visible()
    assert_accessible(page)


@pytest.mark.django_db(transaction=True)
def test_ssw_records_supervision_and_a_dsl_fills_the_worksheet(
    live_server: object,
    places: dict[str, object],
    make_user: Callable[..., object],
    authenticator: Callable[..., Callable[[], str]],
) -> None:
    ssw = make_user(RoleName.SSW)
    make_user(RoleName.DSL_LEAD)
    code = authenticator(ssw)
    school = places["home_school"]
    programme = Programme.objects.create(
        authority=school.authority,
        school_year="2024/25",
        starts_on=dt.date(2024, 9, 2),
        ends_on=dt.date(2025, 7, 18),
    )
    enrolment = Enrolment.objects.create(
        programme=programme, school=school, arm="treatment", ssw=ssw
    )
    SupervisionSession.objects.create(
        enrolment=enrolment,
        ssw=ssw,
        number=1,
        scheduled_for=timezone.make_aware(dt.datetime(2024, 10, 1, 14, 0)),
        format="group",
        mode="face_to_face",
        status="held",
        attendees=4,
    )
    base = live_server.url
    with chromium() as browser:
        page = checked_page(browser)
        sign_in_to_supervision(page, base, "ssw", code())

        page.get_by_role("link", name="Write the record").click()
        expect(page.get_by_role("heading", name="Record of supervision")).to_be_visible()
        assert_accessible(page)
        page.get_by_label("Wellbeing check-in").fill(
            "One member is stretched; she asked that her mum be rung on 07700 900123."
        )
        page.get_by_label("Stage 1: the situation presented").fill(
            "A member described a worry about a pupil's changed behaviour."
        )
        page.get_by_label("Stage 2: the group's reflection").fill(
            "The group wondered what else might be happening at home."
        )
        page.get_by_label("Stage 3: discussion together").fill(
            "The presenter valued thinking about early help first."
        )
        page.get_by_label("Thresholds and the front door").check()
        page.get_by_label("No case open to children's social care was discussed").check()
        page.get_by_role("button", name="Save").click()

        expect(page.get_by_text("This may identify someone")).to_be_visible()
        expect(
            page.get_by_text(
                "Wellbeing check-in, characters 60 to 71: a phone number, “07700 900123”"
            )
        ).to_be_visible()
        assert_accessible(page)

        page.get_by_role("textbox", name="Wellbeing check-in").fill(
            "One member is stretched before exams."
        )
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Record of supervision saved.")).to_be_visible()
        assert_accessible(page)

        page.get_by_role("button", name="Sign out").click()
        sign_in_to_supervision(page, base, "dsl_lead")
        page.get_by_role("link", name="Your worksheet").click()
        expect(page.get_by_role("heading", name="Session worksheet")).to_be_visible()
        assert_accessible(page)
        page.get_by_label("The situation you would like to bring").fill(
            "A quiet pupil whose attendance has dropped since half term."
        )
        page.get_by_label("What you would like from the discussion").fill(
            "Other ways of opening a conversation with the family."
        )
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Session worksheet saved.")).to_be_visible()
        assert_accessible(page)
    # The ORM is not used inside Playwright's event loop.
    record = SupervisionRecord.objects.get()
    assert "07700" not in record.wellbeing
    assert record.confirmed_not_identifying == []
    assert DslWorksheet.objects.get().written_by.username == "dsl_lead"
