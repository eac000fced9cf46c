"""Records print cleanly, in Debian's Chromium with print media emulated: a DSL prints the
record of a supervision session and the school's first-session sheet, the SSW the record
they are writing. On paper there is no service navigation, account bar, phase banner,
footer, skip link, button or back link, and links inside the service are not followed by
their path; the record's session date, supervising social worker, attendance (a count,
never names) and author are there, near the top. Screenshots and a PDF go to
/tmp/shots/lighthouse-print/ when that folder exists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from factories.sessions import at, programme_with_ssw
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.organisations.models import LocalAuthority
from threshold.web.programme import services as programme
from threshold.web.supervision import services as supervision
from web.functional.browser import assert_accessible, checked_page, chromium, sign_in

pytestmark = pytest.mark.functional

SHOTS = Path("/tmp/shots/lighthouse-print")
NOT_ON_PAPER = (
    ".govuk-skip-link",
    ".govuk-service-navigation",
    ".threshold-account-bar",
    ".govuk-phase-banner",
    ".govuk-footer",
)


def shot(page: Page, name: str) -> None:
    """Keep a screenshot of the page for a person to look at (when the folder exists)."""
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def held_session_with_record(places: dict[str, LocalAuthority], ssw: User) -> tuple[int, int]:
    """Session 1 at the home school, held last week (4 attended, 100 minutes) with its record
    and the school's first-session sheet written by `ssw`: (session id, enrolment id)."""
    enrolment = programme_with_ssw(places["home_la"], places["home_school"], ssw)
    session = programme.session_plan(
        enrolment=enrolment,
        scheduled_for=at(timezone.localdate() - dt.timedelta(days=7), 10),
        format="group",
        mode="face_to_face",
        late_reason="Arranged at the last meeting",
        by=ssw,
    )
    programme.session_record_held(session=session, attendees=4, duration_minutes=100, by=ssw)
    supervision.supervision_record_save(
        session=session,
        wellbeing="The team were tired after a busy term.",
        presentation="A member described a worry about a pupil's changed behaviour.",
        group_reflection="The group wondered what else might be going on at home.",
        shared_discussion="The presenter valued thinking about early help first.",
        themes=["thresholds", "early_help"],
        resources="The LA's continuum of need.",
        actions="Look again at the early help offer.",
        no_open_case_confirmed=True,
        by=ssw,
    )
    supervision.first_session_sheet_save(
        enrolment=enrolment,
        team_roles="Lead DSL, two deputy DSLs and the SENCO",
        hopes="Time to think about cases that sit near the threshold.",
        ground_rules="No names; phones away.",
        practicalities="Half-termly, in the library, after school.",
        by=ssw,
    )
    return session.pk, enrolment.pk


def assert_prints_as_a_record(page: Page, *, kept: tuple[str, ...]) -> None:
    """With print media: the service's furniture hidden, the texts in `kept` shown, and no
    internal link followed by its address."""
    page.emulate_media(media="print")
    for selector in NOT_ON_PAPER:
        expect(page.locator(selector).first).to_be_hidden()
    for button in page.get_by_role("button").all():
        expect(button).to_be_hidden()
    expect(page.get_by_role("link", name="Back to supervision sessions")).to_be_hidden()
    for text in kept:
        expect(page.get_by_text(text, exact=False).first).to_be_visible()
    appended = page.evaluate(
        """() => [...document.querySelectorAll('a.govuk-link[href^="/"]')]
            .map(a => getComputedStyle(a, '::after').content)
            .filter(content => content !== 'none' && content !== 'normal')"""
    )
    assert appended == []


@pytest.mark.django_db(transaction=True)
def test_records_print_without_the_service_around_them(
    live_server: object,
    places: dict[str, LocalAuthority],
    make_user: Callable[..., User],
    authenticator: Callable[..., Callable[[], str]],
) -> None:
    ssw = make_user(RoleName.SSW)
    ssw.first_name, ssw.last_name = "Sam", "Okoro"
    ssw.save()
    ssw_code = authenticator(ssw)
    make_user(RoleName.DSL_LEAD)
    session_id, enrolment_id = held_session_with_record(places, ssw)
    base = live_server.url
    written_on = timezone.localdate().strftime("%-d %B %Y")
    held_on = timezone.localdate() - dt.timedelta(days=7)
    session_weekday, session_day = held_on.strftime("%A"), held_on.strftime("%-d %B %Y")

    with chromium() as browser:
        page = checked_page(browser)
        page.set_viewport_size({"width": 1000, "height": 900})
        sign_in(page, base, "dsl_lead")

        page.goto(f"{base}/supervision/sessions/{session_id}/record/")
        expect(page.get_by_role("heading", name="Record of supervision")).to_be_visible()
        for selector in NOT_ON_PAPER[1:]:  # on screen, all there (the skip link until focused)
            expect(page.locator(selector).first).to_be_visible()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        assert_accessible(page)
        shot(page, "record-screen")
        assert_prints_as_a_record(
            page,
            kept=(
                f"Session 1, {session_weekday} {session_day}, 10:00",
                "Sam Okoro",
                "Held: 4 members of the school's safeguarding team attended, for 100 minutes",
                f"Written by Sam Okoro, last saved {written_on}",
                "A member described a worry about a pupil's changed behaviour.",
            ),
        )
        shot(page, "record-print")
        if SHOTS.is_dir():
            page.pdf(path=str(SHOTS / "record.pdf"), format="A4")

        page.emulate_media(media="screen")
        page.goto(f"{base}/supervision/enrolments/{enrolment_id}/first-session/")
        expect(page.get_by_role("heading", name="First-session sheet")).to_be_visible()
        assert_accessible(page)
        assert_prints_as_a_record(
            page,
            kept=(
                f"{session_day}, 10:00",
                "Held: 4 members",
                f"Written by Sam Okoro, last saved {written_on}",
                "Lead DSL, two deputy DSLs and the SENCO",
            ),
        )
        shot(page, "first-session-sheet-print")
        page.emulate_media(media="screen")
        page.get_by_role("button", name="Sign out").click()

        # The SSW's own record is a form: on paper, without its save button.
        sign_in(page, base, "ssw", ssw_code())
        page.goto(f"{base}/supervision/sessions/{session_id}/record/")
        expect(page.get_by_role("button", name="Save")).to_be_visible()
        assert_accessible(page)
        assert_prints_as_a_record(
            page,
            kept=(f"{session_day}, 10:00", f"Sam Okoro, last saved {written_on}"),
        )
        shot(page, "record-form-print")
