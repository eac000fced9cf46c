"""A new installation, from an empty database: `create-admin` prints a one-time link; the
administrator follows it (password, authenticator app), loads LAs and schools from a GIAS
extract and invites an LA lead; the LA lead follows the e-mailed link (password, authenticator
app), bulk-invites a DSL and an SSW from a CSV and enrols the school with that SSW; the SSW
joins, signs in again and plans a session. In Debian's Chromium; every page visited passes
axe-core's WCAG 2.2 AA checks, and its screenshot is kept in the test's temporary directory."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
import time
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from factories.forms import fill_date
from threshold.web.accounts.models import User
from threshold.web.people.selectors import PersonState, person_state
from threshold.web.programme.models import SupervisionSession
from web.functional.browser import assert_accessible, checked_page, chromium

pytestmark = pytest.mark.functional

LINK = re.compile(r"https?://\S+/people/join/[^/\s]+/")
EXTRACT = (
    "URN,EstablishmentName,LA (code),LA (name),TypeOfEstablishment (name),"
    "PhaseOfEducation (name),EstablishmentStatus (name),CloseDate,NumberOfPupils\n"
    "990001,Northmoor Academy,990,Northmoor,Academy converter,Secondary,Open,,900\n"
    "990002,Hollins Park Primary,990,Northmoor,Community school,Primary,Open,,210\n"
    "991001,Eastvale College,991,Eastvale,Academy converter,Secondary,Open,,1000\n"
)
PEOPLE_WITH_A_MISTAKE = (
    "first_name,last_name,email,role,school_urn\n"
    "Dana,Shah,dana.shah@northmoor.example,dsl_lead,990001\n"
    "Sam,Ward,sam.ward@northmoor.example,ssw,\n"
    "Eve,Far,eve.far@eastvale.example,dsl_lead,991001\n"
)
PEOPLE = "\n".join(PEOPLE_WITH_A_MISTAKE.splitlines()[:3]) + "\n"
ALLOCATIONS = "urn,block,arm,random_number,order,withdrawn_on\n990001,990-all,treatment,0.1,1,\n"


class Shots:
    """Check each page with axe-core and keep its screenshot, numbered in order."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.taken = 0

    def __call__(self, page: Page, name: str) -> None:
        assert_accessible(page)
        self.taken += 1
        page.screenshot(path=self.directory / f"{self.taken:02}-{name}.png", full_page=True)


def code(key: str, ahead: int = 0) -> str:
    """The code an app holding `key` (as the set-up page shows it) shows, `ahead` steps on."""
    key = key.replace(" ", "")
    app = TOTP(base64.b32decode(key + "=" * (-len(key) % 8)))
    app.time = time.time() + 30 * ahead
    return f"{app.token():06d}"


def join(page: Page, link: str, password: str, shots: Shots, who: str) -> str:
    """Follow an invitation link, choose `password` and set up the authenticator app; the key,
    for later codes. (The recovery codes shown after set-up are not needed here.)"""
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose your password")).to_be_visible()
    shots(page, f"{who}-choose-password")
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password again").fill(password)
    page.get_by_role("button", name="Set password and continue").click()
    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    shots(page, f"{who}-two-factor")
    key = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_label("Security code").fill(code(key))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    page.get_by_role("button", name="I have kept my codes: continue").click()
    expect(page.get_by_role("heading", name="What you can do")).to_be_visible()
    shots(page, f"{who}-home")
    return key


def latest_link(address: str) -> str:
    """The invitation link last e-mailed to `address` (the locmem outbox, not the database)."""
    [message] = [m for m in mail.outbox if m.to == [address]][-1:]
    return LINK.search(message.body).group(0)


@pytest.mark.django_db(transaction=True)
def test_a_new_la_adopts_the_service_from_an_empty_database(
    live_server: object, tmp_path: Path
) -> None:
    base = live_server.url
    printed = io.StringIO()
    call_command(
        "create_admin",
        "--username=admin",
        "--email=admin@threshold.example",
        "--first-name=Ada",
        "--last-name=Lovelace",
        "--sign-in-link",
        f"--site-url={base}",
        stdout=printed,
    )
    admin_link = LINK.search(printed.getvalue()).group(0)
    extract = tmp_path / "edubasealldata.csv"
    extract.write_text(EXTRACT, encoding="utf-8")
    (tmp_path / "mistake.csv").write_text(PEOPLE_WITH_A_MISTAKE, encoding="utf-8")
    (tmp_path / "people.csv").write_text(PEOPLE, encoding="utf-8")
    (tmp_path / "allocations.csv").write_text(ALLOCATIONS, encoding="utf-8")
    today = timezone.localdate()
    shots = Shots(tmp_path)

    with chromium() as browser:
        page = checked_page(browser)
        join(page, admin_link, "the administrator's long passphrase", shots, "admin")
        expect(page.get_by_role("heading", name="System administrator")).to_be_visible()

        page.get_by_role("link", name="Local authorities").first.click()
        page.get_by_role("button", name="Load schools from a GIAS extract").click()
        page.get_by_label("GIAS establishments extract").set_input_files(str(extract))
        page.get_by_role("button", name="Upload and preview").click()
        page.get_by_role("button", name="Preview them all").click()
        page.get_by_role("button", name="Apply these changes").click()
        expect(page.get_by_text("schools: 3 added, 0 changed, 0 closed")).to_be_visible()

        page.get_by_role("link", name="People").first.click()
        expect(page.get_by_role("heading", name="People")).to_be_visible()
        shots(page, "admin-people")
        page.get_by_role("button", name="Invite someone").click()
        shots(page, "admin-invite")
        page.get_by_label("First name").fill("Lena")
        page.get_by_label("Last name").fill("Okafor")
        page.get_by_label("E-mail address").fill("lena.okafor@northmoor.example")
        page.get_by_label("LA programme lead").check()
        page.get_by_label("Northmoor (990)").check()
        page.get_by_role("button", name="Send invitation").click()
        expect(page.get_by_text("Invitation sent to lena.okafor@northmoor.example")).to_be_visible()
        expect(page.get_by_role("heading", name="Lena Okafor")).to_be_visible()
        shots(page, "admin-person-invited")
        page.get_by_role("button", name="Sign out").click()

        join(
            page,
            latest_link("lena.okafor@northmoor.example"),
            "Lena's long passphrase!",
            shots,
            "lead",
        )
        page.get_by_role("link", name="People").first.click()
        page.get_by_role("button", name="Invite from a CSV file").click()
        expect(page.get_by_role("heading", name="Invite people from a CSV file")).to_be_visible()
        shots(page, "lead-bulk-upload")
        page.get_by_label("CSV file").set_input_files(str(tmp_path / "mistake.csv"))
        page.get_by_role("button", name="Check the file").click()
        expect(page.get_by_text("The file has 1 problem(s)").first).to_be_visible()
        expect(page.get_by_text("Eastvale College (991001) is not in Northmoor")).to_be_visible()
        shots(page, "lead-bulk-problems")
        page.get_by_label("CSV file").set_input_files(str(tmp_path / "people.csv"))
        page.get_by_role("button", name="Check the file").click()
        expect(page.get_by_text("2 people to invite")).to_be_visible()
        shots(page, "lead-bulk-preview")
        page.get_by_role("button", name="Send invitations").click()
        expect(page.get_by_text("2 invitation(s) sent")).to_be_visible()
        page.get_by_label("State").select_option("invited")
        page.get_by_role("button", name="Find people").click()
        expect(page.get_by_role("link", name="Sam Ward")).to_be_visible()
        expect(page.get_by_role("link", name="Eve Far")).to_have_count(0)
        shots(page, "lead-people-invited")

        page.get_by_role("link", name="Programmes").first.click()
        page.get_by_role("button", name="Start a programme").click()
        page.get_by_label("School year").fill("2026/27")
        fill_date(page, "First day of sessions", today - dt.timedelta(weeks=2))
        fill_date(page, "Last day of sessions", today + dt.timedelta(weeks=30))
        page.get_by_role("button", name="Save programme").click()
        page.get_by_role("link", name="Enrol schools from an allocation file").click()
        page.get_by_label("Allocation file").set_input_files(str(tmp_path / "allocations.csv"))
        page.get_by_role("button", name="Upload and enrol").click()
        page.get_by_role("link", name="Change SSW and agreements of Northmoor Academy").click()
        page.get_by_label("Supervising social worker").select_option(label="Sam Ward")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Northmoor Academy: saved")).to_be_visible()
        page.get_by_role("button", name="Sign out").click()

        key = join(
            page, latest_link("sam.ward@northmoor.example"), "Sam's long passphrase!", shots, "ssw"
        )
        page.get_by_role("button", name="Sign out").click()
        page.get_by_label("Username").fill("sam.ward@northmoor.example")
        page.get_by_label("Password").fill("Sam's long passphrase!")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_label("Security code").fill(code(key, ahead=1))  # set-up's code is spent
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", name="Supervising social worker")).to_be_visible()
        page.get_by_role("link", name="Schedule").first.click()
        page.get_by_role("link", name="Northmoor Academy").click()
        page.get_by_role("button", name="Plan a session").click()
        page.get_by_role("link", name="Use ").first.click()
        page.get_by_label("Start time").fill("13:30")
        page.get_by_label("Where").select_option("online")
        page.get_by_role("button", name="Plan session").click()
        expect(page.get_by_text("Session 1 planned for")).to_be_visible()
        shots(page, "ssw-session-planned")

    sam = User.objects.get(username="sam.ward@northmoor.example")
    assert person_state(sam) is PersonState.ACTIVE
    assert SupervisionSession.objects.get().ssw == sam
    assert person_state(User.objects.get(username="dana.shah@northmoor.example")) is (
        PersonState.INVITED
    )
