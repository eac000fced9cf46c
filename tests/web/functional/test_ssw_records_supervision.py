"""An SSW writes a record of supervision, is warned about a phone number, removes it and saves;
a DSL of the school fills in the session worksheet. In Debian's Chromium; every page visited
passes axe-core's WCAG 2.2 AA checks."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from threshold.web.accounts.roles import RoleName
from threshold.web.programme.models import Enrolment, Programme, SupervisionSession
from threshold.web.supervision.models import DslWorksheet, SupervisionRecord

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


def sign_in(page: Page, base: str, username: str, token: str | None = None) -> None:
    page.goto(f"{base}/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if token is not None:
        page.get_by_label("Security code").fill(token)
        page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name="Supervision records").first.click()
    expect(page.get_by_role("heading", name="Supervision sessions")).to_be_visible()
    assert_accessible(page)


@pytest.mark.django_db(transaction=True)
def test_ssw_records_supervision_and_a_dsl_fills_the_worksheet(
    live_server: object,
    places: dict[str, object],
    make_user: Callable[..., object],
    add_device: Callable[..., TOTPDevice],
    token_now: Callable[..., str],
) -> None:
    ssw = make_user(RoleName.SSW)
    make_user(RoleName.DSL_LEAD)
    device = add_device(ssw)
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
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        # The CSP (rightly) refuses axe's injected script tag, so the checked pages bypass it.
        page = browser.new_context(bypass_csp=True).new_page()
        sign_in(page, base, "ssw", token_now(device))

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
        sign_in(page, base, "dsl_lead")
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
        browser.close()
    # The ORM is not used inside Playwright's event loop.
    record = SupervisionRecord.objects.get()
    assert "07700" not in record.wellbeing
    assert record.confirmed_not_identifying == []
    assert DslWorksheet.objects.get().written_by.username == "dsl_lead"
