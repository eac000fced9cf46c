"""A trial from start to report, all through the service's pages: the evaluator creates a trial
over the programmes' schools, drafts and locks the protocol and randomises; the SSW records a
session; the LA analyst imports their LA's front-door export; the evaluator runs the
confirmatory analysis, downloads its report and the de-identified data. The report's primary
estimate is the one the CLI (`threshold analyse`) gets from that de-identified data.

The world is synthetic (`threshold.synth`, 44 schools in 11 LAs, 2021/22). The other LAs'
exports are imported, and the other treatment schools' sessions recorded, through the same
services the pages call. In Debian's Chromium; every page passes axe-core's WCAG 2.2 AA checks.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from factories.cli import run_threshold
from factories.forms import fill_date
from factories.jobs import run_jobs
from factories.trial_analysis import import_world_exports, small_world, world_programmes
from threshold.synth import MESSY_PROFILE
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.accounts.services import membership_grant, user_create
from threshold.web.jobs.selectors import failed_jobs
from threshold.web.programme import services as programme
from threshold.web.programme.models import Enrolment
from threshold.web.trials.models import AnalysisRun, Trial
from web.functional.browser import (
    PASSWORD,
    assert_accessible,
    checked_page,
    chromium,
    in_thread,
    sign_in,
)

pytestmark = pytest.mark.functional

SHOTS = Path("/tmp/shots/trial-journey")
DRAW = "3, 11, 19, 27, 35, 44 and bonus 8"
LATE = "Arranged by phone at the time, entered now"


def shoot(page: Page, name: str) -> None:
    """Check the page with axe-core and keep a screenshot to look at."""
    assert_accessible(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def person(username: str, role: RoleName, authorities: list[object]) -> User:
    user = user_create(username=username, password=PASSWORD, by="test")
    user.email = f"{username}@example.org"
    user.save()
    for authority in authorities or [None]:
        place = {"authority": authority} if authority is not None else {}
        membership_grant(user=user, role=role, by="test", **place)
    return user


def signed_in_page(browser: Browser, base: str, user: User, code: str) -> Page:
    page = checked_page(browser)
    page.set_viewport_size({"width": 1200, "height": 900})
    sign_in(page, base, user.username, code)
    return page


def at(day: str, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour)))


def record_sessions(enrolment: Enrolment, ssw: User) -> None:
    """Two sessions held with a treatment school, entered after the event."""
    programme.enrolment_update(
        enrolment=enrolment,
        ssw=ssw,
        mou_status="signed",
        supervision_agreement_status="signed",
        by=ssw,
    )
    for day in ("2021-10-12", "2022-01-18"):
        session = programme.session_plan(
            enrolment=enrolment,
            scheduled_for=at(day),
            format="group",
            mode="face_to_face",
            late_reason=LATE,
            by=ssw,
        )
        programme.session_record_held(session=session, attendees=3, duration_minutes=100, by=ssw)


def deliver(trial: Trial, home: object, ssw: User) -> Enrolment:
    """The sessions on record with every treatment school but one of `home`'s, whose SSW is
    `ssw` (its agreements signed): that school, for the SSW to record a session in the pages."""
    treatment = list(
        Enrolment.objects.filter(programme__trials=trial, arm="treatment")
        .select_related("school__authority")
        .order_by("school__urn")
    )
    chosen = next(e for e in treatment if e.school.authority == home)
    for enrolment in treatment:
        if enrolment != chosen:
            record_sessions(enrolment, ssw)
    return programme.enrolment_update(
        enrolment=chosen,
        ssw=ssw,
        mou_status="signed",
        supervision_agreement_status="signed",
        by=ssw,
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_trial_from_start_to_report(
    live_server: object,
    settings: object,
    authenticator: Callable[..., Callable[[], str]],
    tmp_path: Path,
) -> None:
    settings.FRONTDOOR_STORE_ROOT = tmp_path / "frontdoor"
    settings.TRIALS_ROOT = tmp_path / "trials"
    settings.TRIAL_ANALYSIS_DRAWS = 100
    world = small_world(tmp_path / "world")
    programmes = world_programmes(world)
    home = programmes[0].authority  # the LA whose analyst and SSW use the pages
    for other in programmes[1:]:
        import_world_exports(world, other.authority)
    authorities = [p.authority for p in programmes]
    evaluator = person("eva.evaluator", RoleName.EVALUATOR, [])
    analyst = person("ana.analyst", RoleName.LA_ANALYST, [home])
    ssw = person("sol.ssw", RoleName.SSW, authorities)
    codes = {user.username: authenticator(user) for user in (evaluator, analyst, ssw)}
    schools = sum(p.authority.schools.count() for p in programmes)
    base = live_server.url

    with chromium() as browser:
        # The evaluator sets the trial up.
        eva = signed_in_page(browser, base, evaluator, codes[evaluator.username]())
        eva.get_by_role("link", name="Trials").first.click()
        eva.get_by_role("button", name="Create a trial").click()
        eva.get_by_label("Name of the trial").fill("Supervision for DSLs 2021/22")
        for item in programmes:
            eva.get_by_label(f"{item.authority.name} 2021/22").check()
        eva.get_by_role("button", name="Create trial").click()
        eva.get_by_role("button", name=f"Choose all {schools} schools").click()
        expect(eva.get_by_text(f"{schools} schools chosen")).to_be_visible()
        shoot(eva, "01-trial-draft")

        eva.get_by_role("link", name="Draft the protocol").click()
        fill_date(eva, "Outcome window: first day", "2021-09-01")
        fill_date(eva, "Outcome window: last day", "2022-07-31")
        fill_date(eva, "Baseline window: first day", "2020-09-01")
        fill_date(eva, "Baseline window: last day", "2021-07-31")
        fill_date(eva, "Referral outcomes observed by", "2022-07-31")
        # No surveys in this trial: no wellbeing outcomes, no subgroup by DSL experience.
        eva.get_by_label(re.compile("anxiety-contentment")).uncheck()
        eva.get_by_label(re.compile("depression-enthusiasm")).uncheck()
        eva.get_by_label(re.compile("years-as-DSL")).uncheck()
        eva.get_by_label("Public draw").fill(
            "UK National Lottery Lotto draw of Saturday 4 September 2021: the six main "
            "numbers as published, then the bonus ball"
        )
        eva.get_by_label("How many numbers the draw gives").fill("7")
        eva.get_by_role("button", name="Save the protocol").click()
        expect(eva.get_by_text("Protocol saved")).to_be_visible()
        eva.get_by_role("link", name="Lock the protocol").click()
        eva.get_by_role("button", name="Lock the protocol").click()
        expect(
            eva.get_by_text("Protocol locked: the schools can now be randomised")
        ).to_be_visible()
        trial = in_thread(Trial.objects.get)
        expect(eva.get_by_text(trial.protocol_sha256)).to_be_visible()
        eva.get_by_role("link", name="Randomise the schools").click()
        eva.get_by_label("The public draw's numbers").fill(DRAW)
        eva.get_by_role("button", name="Randomise the schools").click()
        expect(
            eva.get_by_text(re.compile(r"Randomised: \d+ schools in the treatment"))
        ).to_be_visible()
        shoot(eva, "02-trial-randomised")

        # Delivery: the SSW records a session with one of the home LA's treatment schools
        # through the pages; the other treatment schools' sessions are on record already.
        chosen = in_thread(lambda: deliver(trial, home, ssw))
        sol = signed_in_page(browser, base, ssw, codes[ssw.username]())
        sol.get_by_role("link", name="Schedule").first.click()
        sol.get_by_role("link", name=chosen.school.name).click()
        sol.get_by_role("button", name="Plan a session").click()
        fill_date(sol, "Date of the session", "2021-11-09")
        sol.get_by_label("Start time").fill("10:00")
        sol.get_by_role("button", name="Plan session").click()
        sol.get_by_label("Why it is entered late").fill(LATE)
        sol.get_by_role("button", name="Plan session").click()
        expect(sol.get_by_text("Session 1 planned for")).to_be_visible()
        sol.get_by_role("link", name="Record as held session 1").click()
        sol.get_by_label("How many of the school's safeguarding team attended").fill("4")
        sol.get_by_label("How long it lasted, in minutes").fill("110")
        sol.get_by_role("button", name="Save").click()
        expect(sol.get_by_text("Held: 4 attended, 110 minutes")).to_be_visible()
        shoot(sol, "03-ssw-session-held")

        # The LA analyst imports their LA's front-door export.
        ana = signed_in_page(browser, base, analyst, codes[analyst.username]())
        ana.get_by_role("link", name="Front door").first.click()
        ana.get_by_role("link", name="Import an export").click()
        ana.get_by_label("The export").set_input_files(
            str(world[1] / f"contacts_{home.la_code}.csv")
        )
        ana.get_by_label("Another CSV or Excel export, read through a profile").check()
        ana.get_by_label("Profile (only for another export)").set_input_files(str(MESSY_PROFILE))
        ana.get_by_role("button", name="Import").click()
        in_thread(run_jobs)
        ana.reload()
        expect(ana.get_by_text(re.compile(r"records read: \d+ loaded"))).to_be_visible()
        shoot(ana, "04-analyst-imported")

        # The evaluator runs the confirmatory analysis and downloads the report.
        eva.goto(f"{base}/trials/{trial.pk}/")
        eva.get_by_role("link", name="Analyse the trial").click()
        expect(eva.get_by_label("Confirmatory")).to_be_checked()
        eva.get_by_role("button", name="Run the analysis").click()
        in_thread(run_jobs)
        run = in_thread(AnalysisRun.objects.get)
        assert run.status == AnalysisRun.Status.DONE, in_thread(failed_jobs)
        eva.reload()
        expect(eva.locator("#run-status")).to_have_text("Finished")
        shoot(eva, "05-analysis-finished")
        with eva.expect_download() as downloading:
            eva.get_by_role("link", name="Results (JSON)").click()
        downloading.value.save_as(tmp_path / "results.json")
        with eva.expect_download() as downloading:
            eva.get_by_role("link", name="Report (HTML)").click()
        downloading.value.save_as(tmp_path / "report.html")

        # … and the de-identified data the CLI can analyse.
        eva.goto(f"{base}/trials/{trial.pk}/")
        eva.get_by_role("link", name="Download de-identified data").click()
        eva.get_by_label("I accept these terms").check()
        with eva.expect_download() as downloading:
            eva.get_by_role("button", name="Download").click()
        downloading.value.save_as(tmp_path / "deidentified.zip")

    web = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert web["protocol"] == {"state": "locked", "sha256": trial.protocol_sha256}
    assert "Supervision for DSLs 2021/22" in (tmp_path / "report.html").read_text()
    with zipfile.ZipFile(tmp_path / "deidentified.zip") as archive:
        archive.extractall(tmp_path / "export")
    [folder] = (tmp_path / "export").iterdir()
    cli = run_threshold(
        "analyse", folder / "protocol.toml", "--data", folder / "data", "--out", tmp_path / "cli"
    )
    assert cli.returncode == 0, cli.stderr
    from_cli = json.loads((tmp_path / "cli" / "results.json").read_text(encoding="utf-8"))
    primary_web, primary_cli = (
        next(e for e in results["estimates"] if e["analysis"] == "primary")
        for results in (web, from_cli)
    )
    assert primary_web["outcome"] == primary_cli["outcome"] == "nfa_contacts"
    for key in ("n_treatment", "n_control"):
        assert primary_web[key] == primary_cli[key], key
    for key in ("coef", "se", "ci_low", "ci_high", "p_value", "glass_delta"):
        assert primary_web[key] == pytest.approx(primary_cli[key], rel=1e-9, abs=1e-12), key
    assert run.primary["coef"] == pytest.approx(primary_web["coef"], rel=1e-12)
