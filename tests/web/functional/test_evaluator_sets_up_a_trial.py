"""An evaluator sets up a trial over two LAs' programmes of 20 schools each: creates it, chooses
every school, sees the minimum detectable effect, drafts the protocol, locks it (the hash is
shown), randomises with the public draw's numbers and records a withdrawal. In Debian's
Chromium; every page visited passes axe-core's WCAG 2.2 AA checks, and is photographed."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from factories.forms import fill_date
from threshold.trial import verify_allocation
from threshold.web.accounts.roles import RoleName
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.programme.models import Enrolment
from threshold.web.programme.services import programme_create
from threshold.web.trials import files, services
from threshold.web.trials.models import Trial
from threshold.web.trials.protocol_form import draft_text
from web.functional.browser import assert_accessible, checked_page, chromium, sign_in

pytestmark = pytest.mark.functional

SCHOOLS_PER_LA = 20
DRAW = "4, 15, 23, 31, 38, 42 and bonus 7"
SHOTS = Path(os.environ.get("THRESHOLD_SHOTS", "/tmp/shots/setup"))


def shoot(page: Page, name: str) -> None:
    """Check the page with axe-core and keep a full-page screenshot of it."""
    assert_accessible(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def schools_of(la: LocalAuthority, rng: np.random.Generator) -> list[School]:
    """Twenty schools with realistic rolls and % FSM (six-year FSM: about 5% to 60%)."""
    return [
        School.objects.create(
            urn=int(la.la_code) * 1000 + 200 + number,
            name=f"{la.name} {'Primary' if number % 3 else 'High'} School {number + 1}",
            authority=la,
            phase="primary" if number % 3 else "secondary",
            pupils_on_roll=int(rng.integers(180, 420) if number % 3 else rng.integers(700, 1600)),
            pct_fsm=round(float(np.clip(rng.gamma(4.0, 6.5), 4.0, 62.0)), 1),
        )
        for number in range(SCHOOLS_PER_LA)
    ]


@pytest.mark.django_db(transaction=True)
def test_evaluator_sets_up_and_randomises_a_trial(
    live_server: object,
    places: dict[str, LocalAuthority],
    make_user: Callable[..., object],
    authenticator: Callable[..., Callable[[], str]],
    settings: object,
    tmp_path: Path,
) -> None:
    settings.TRIALS_ROOT = tmp_path / "trials"  # type: ignore[attr-defined]
    rng = np.random.default_rng(20251)
    today = timezone.localdate()
    for la in (places["home_la"], places["other_la"]):
        schools_of(la, rng)
        programme_create(
            authority=la,
            school_year="2025/26",
            starts_on=today - dt.timedelta(weeks=4),
            ends_on=today + dt.timedelta(weeks=36),
            by="test",
        )
    # The fixture's two schools have no % FSM: they are left out of the trial.
    code = authenticator(make_user(RoleName.EVALUATOR))
    base = live_server.url
    with chromium() as browser:
        page = checked_page(browser)
        page.set_viewport_size({"width": 1200, "height": 900})
        sign_in(page, base, "evaluator", code())
        page.get_by_role("link", name="Trials").first.click()
        expect(page.get_by_role("heading", name="Trials")).to_be_visible()
        shoot(page, "01-trial-list")

        page.get_by_role("button", name="Create a trial").click()
        shoot(page, "02-create")
        page.get_by_role("button", name="Create trial").click()
        expect(page.get_by_text("Enter the trial's name").first).to_be_visible()
        shoot(page, "02b-create-errors")
        page.get_by_label("Name of the trial").fill("Supervision for DSLs 2025/26")
        page.get_by_label("Northmoor 2025/26").check()
        page.get_by_label("Eastvale 2025/26").check()
        page.get_by_role("button", name="Create trial").click()

        expect(page.get_by_role("heading", name="Choose the schools")).to_be_visible()
        shoot(page, "03-schools")
        page.get_by_role("button", name="Choose all 42 schools").click()
        expect(page.get_by_text("42 schools chosen")).to_be_visible()
        page.get_by_role("link", name="Choose the schools").click()
        page.get_by_label("Northmoor Academy").uncheck()
        page.get_by_label("Eastvale College").uncheck()
        page.get_by_role("button", name="Save the chosen schools").click()
        expect(page.get_by_text("40 schools chosen")).to_be_visible()
        shoot(page, "04-trial-draft")

        page.get_by_role("link", name="See what effect the trial can detect").click()
        expect(page.get_by_label("Schools randomised")).to_have_value("40")
        expect(page.get_by_label("Blocks")).to_have_value("4")
        page.get_by_role("button", name="Work out the detectable effect").click()
        expect(page.get_by_role("heading", name="Minimum detectable effect: ")).to_be_visible()
        shoot(page, "05-power")
        page.get_by_label("Power", exact=True).fill("1.2")
        page.get_by_role("button", name="Work out the detectable effect").click()
        expect(page.get_by_text("power=1.2 must be between 0 and 1").first).to_be_visible()
        shoot(page, "05b-power-error")
        page.get_by_role("link", name="Back to the trial").click()

        page.get_by_role("link", name="Draft the protocol").click()
        expect(page.get_by_label("Trial name")).to_have_value("Supervision for DSLs 2025/26")
        shoot(page, "06-protocol")
        page.get_by_label("Registration").fill("ISRCTN12345678")
        fill_date(page, "Outcome window: first day", "2025-09-01")
        fill_date(page, "Outcome window: last day", "2026-07-31")
        fill_date(page, "Baseline window: first day", "2024-09-01")
        fill_date(page, "Baseline window: last day", "2026-07-31")
        fill_date(page, "Referral outcomes observed by", "2026-07-31")
        page.get_by_label("% pupils eligible for free school meals").check()
        page.get_by_label("Public draw").fill(
            "UK National Lottery Lotto draw of Saturday 3 October 2026: the six main numbers, "
            "then the bonus ball"
        )
        page.get_by_role("button", name="Save the protocol").click()
        expect(page.get_by_text("The baseline window must end before").first).to_be_visible()
        shoot(page, "06b-protocol-errors")
        fill_date(page, "Baseline window: last day", "2025-07-31")
        page.get_by_role("button", name="Save the protocol").click()
        expect(page.get_by_text("Protocol saved")).to_be_visible()

        page.get_by_role("link", name="Draft the protocol").click()
        page.get_by_role("link", name="edit the TOML directly").click()
        toml = page.get_by_label("Protocol (TOML)")
        text = toml.input_value()
        assert 'registration = "ISRCTN12345678"' in text
        toml.fill(text.replace('method = "alternating"', 'method = "coin"'))
        page.get_by_role("button", name="Check and save").click()
        expect(
            page.get_by_text("randomisation.method: 'coin' must be one of").first
        ).to_be_visible()
        shoot(page, "06c-toml-errors")
        toml.fill(text.replace('multiplicity = "hochberg"', 'multiplicity = "holm"'))
        page.get_by_role("button", name="Check and save").click()
        expect(page.get_by_text("Protocol saved")).to_be_visible()

        page.get_by_role("link", name="Lock the protocol").click()
        expect(page.get_by_text("You cannot undo this.")).to_be_visible()
        shoot(page, "07-lock")
        page.get_by_role("button", name="Lock the protocol").click()
        expect(
            page.get_by_text("Protocol locked: the schools can now be randomised")
        ).to_be_visible()
        (protocol_file,) = (tmp_path / "trials").glob("trial-*/protocol.toml")
        sha = hashlib.sha256(protocol_file.read_bytes()).hexdigest()
        expect(page.get_by_text(sha)).to_be_visible()
        shoot(page, "08-trial-locked")

        page.get_by_role("link", name="Randomise the schools").click()
        expect(
            page.get_by_text("UK National Lottery Lotto draw of Saturday 3 October")
        ).to_be_visible()
        shoot(page, "09-randomise")
        page.get_by_label("The public draw's numbers").fill("4 15 23")
        page.get_by_role("button", name="Randomise the schools").click()
        expect(page.get_by_text("holds 3").first).to_be_visible()
        shoot(page, "09b-randomise-error")
        page.get_by_label("The public draw's numbers").fill(DRAW)
        page.get_by_role("button", name="Randomise the schools").click()
        expect(
            page.get_by_text(re.compile(r"Randomised: \d+ schools in the treatment arm"))
        ).to_be_visible()
        expect(page.get_by_label("Command that checks the allocation")).to_have_value(
            re.compile(r"^threshold randomise verify .*allocation.csv$")
        )
        shoot(page, "10-trial-randomised")

        page.get_by_role(
            "link", name="Record withdrawal of Eastvale High School 1", exact=True
        ).click()
        shoot(page, "11-withdraw")
        fill_date(page, "Date the school withdrew", today)
        page.get_by_label("Why the school withdrew").fill(
            "The DSL left and the school could not release a deputy for sessions"
        )
        page.get_by_role("button", name="Record the withdrawal").click()
        expect(page.get_by_text("Eastvale High School 1: withdrawal recorded")).to_be_visible()
        expect(page.get_by_role("heading", name="Withdrawals (1)")).to_be_visible()
        shoot(page, "12-trial-withdrawal")

    trial = Trial.objects.get()
    assert trial.stage == Trial.Stage.RANDOMISED
    verified = verify_allocation(files.allocation_path(trial))
    assert verified.entry["public_draw"] == [4, 15, 23, 31, 38, 42, 7]
    assert trial.ledger_head == verified.head.sha256
    enrolments = Enrolment.objects.filter(school__trial_units__trial=trial)
    assert enrolments.count() == 2 * SCHOOLS_PER_LA
    for block in {e.block for e in enrolments}:  # four blocks, each balanced within one school
        arms = [e.arm for e in enrolments if e.block == block]
        assert abs(arms.count("treatment") - arms.count("control")) <= 1
    withdrawn = enrolments.get(withdrawn_on__isnull=False)
    assert withdrawn.school.name == "Eastvale High School 1"


@pytest.mark.django_db(transaction=True)
def test_la_analyst_reads_a_randomised_trial(
    live_server: object,
    places: dict[str, LocalAuthority],
    make_user: Callable[..., object],
    authenticator: Callable[..., Callable[[], str]],
    settings: object,
    tmp_path: Path,
) -> None:
    settings.TRIALS_ROOT = tmp_path / "trials"  # type: ignore[attr-defined]
    rng = np.random.default_rng(7)
    today = timezone.localdate()
    evaluator = make_user(RoleName.EVALUATOR)
    programme = programme_create(
        authority=places["home_la"],
        school_year="2025/26",
        starts_on=today - dt.timedelta(weeks=4),
        ends_on=today + dt.timedelta(weeks=36),
        by="test",
    )
    trial = services.trial_create(name="Northmoor pilot", programmes=[programme], by=evaluator)
    services.trial_schools_set(
        trial=trial, schools=schools_of(places["home_la"], rng), by=evaluator
    )
    text = draft_text(trial).replace('public_draw = ""', 'public_draw = "Lotto, 3 October 2026"')
    services.trial_protocol_save(trial=trial, text=text, by=evaluator)
    services.trial_lock(trial=trial, by=evaluator)
    services.trial_randomise(trial=trial, draw="1 2 3 4 5 6 7", by=evaluator)
    code = authenticator(make_user(RoleName.LA_ANALYST))
    base = live_server.url
    with chromium() as browser:
        page = checked_page(browser)
        page.set_viewport_size({"width": 1200, "height": 900})
        sign_in(page, base, "la_analyst", code())
        page.get_by_role("link", name="Trials").first.click()
        expect(page.get_by_role("button", name="Create a trial")).to_have_count(0)
        page.get_by_role("link", name="Northmoor pilot").click()
        expect(page.get_by_role("heading", name="Allocation")).to_be_visible()
        expect(page.get_by_role("link", name="Record withdrawal")).to_have_count(0)
        shoot(page, "20-analyst-trial")
        page.get_by_role("link", name="Read the locked protocol").click()
        expect(page.get_by_label("The locked protocol (TOML)")).to_be_visible()
        shoot(page, "21-analyst-protocol")
