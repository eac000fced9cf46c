"""Schools enrolled directly (no trial: no random number, no order) are never mixed into a trial's
analysis as if randomised: not in allocations.csv, not in a trial's tables (even a trial school's
answers from a year it was enrolled directly), not in the arms of survey results or response
monitoring. A programme's own delivery (take-up, sessions, the delivery export) includes them."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from factories.trial_health import RESPONDED, build_trial
from threshold.model import read_table
from threshold.surveys import WARR_FEELINGS
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.organisations.models import School
from threshold.web.programme.exports import delivery_tables
from threshold.web.programme.models import Enrolment, Programme, SupervisionSession
from threshold.web.programme.selectors import DIRECT_BLOCK, take_up
from threshold.web.programme.services import enrolments_add
from threshold.web.surveys import selectors
from threshold.web.surveys.models import Respondent, Response, Wave
from threshold.web.surveys.results import DIRECT, survey_results
from threshold.web.surveys.views import MSG_NOT_RANDOMISED
from threshold.web.trials.analysis_tables import trial_tables

ACTOR = "test"
DIRECT_URN = 990201
ANSWERS = {f"warr_{feeling}": "never" for feeling in WARR_FEELINGS}


def held(enrolment: Enrolment, ssw: User, day: dt.date) -> SupervisionSession:
    return SupervisionSession.objects.create(
        enrolment=enrolment,
        ssw=ssw,
        number=enrolment.sessions.count() + 1,
        scheduled_for=timezone.make_aware(dt.datetime.combine(day, dt.time(10))),
        format="group",
        mode="face_to_face",
        status="held",
        attendees=3,
        duration_minutes=100,
    )


def answered(school: School, wave: Wave, token: str, day: dt.date) -> None:
    respondent = Respondent.objects.create(token=token, school=school, role="lead_dsl")
    Response.objects.create(respondent=respondent, wave=wave, submitted_on=day, **ANSWERS)


@pytest.fixture
def world(places: dict[str, object], make_user: Callable[..., User]) -> dict[str, object]:
    """The hand-built Northmoor trial (2024/25: 8 randomised schools), plus a school enrolled
    directly in the same programme (a held session, an answer at baseline), and an earlier
    programme without a trial (2023/24) in which trial school T1 was enrolled directly and
    answered a baseline survey."""
    ssw = make_user(RoleName.SSW)
    built = build_trial(places["home_la"], ssw, created_by=make_user(RoleName.EVALUATOR))
    direct = School.objects.create(
        urn=DIRECT_URN, name="Direct School", authority=places["home_la"], phase="primary"
    )
    enrolments_add(programme=built.programme, schools=[direct], by=ACTOR)
    enrolment = built.programme.enrolments.get(school=direct)
    Enrolment.objects.filter(pk=enrolment.pk).update(ssw=ssw)
    held(enrolment, ssw, dt.date(2024, 9, 20))
    baseline = built.programme.waves.get(wave="baseline")
    answered(direct, baseline, "DIRECTXXXXXXXXXX", dt.date(2024, 10, 10))

    earlier = Programme.objects.create(
        authority=places["home_la"],
        school_year="2023/24",
        starts_on=dt.date(2023, 9, 4),
        ends_on=dt.date(2024, 7, 19),
    )
    # Enrolled directly that year, before the trial chose it (as `enrolments_add` had done).
    Enrolment.objects.create(
        programme=earlier, school=built.schools["T1"], arm="treatment", block=DIRECT_BLOCK
    )
    old_wave = Wave.objects.create(
        programme=earlier,
        wave="baseline",
        opens_on=dt.date(2023, 10, 2),
        closes_on=dt.date(2023, 10, 31),
    )
    answered(built.schools["T1"], old_wave, "OLDYEARXXXXXXXXX", dt.date(2023, 10, 9))
    return {"built": built, "direct": direct, "ssw": ssw, "earlier": earlier}


def test_a_trials_tables_hold_only_its_randomised_schools_and_its_own_waves(
    world: dict[str, object],
) -> None:
    built = world["built"]
    units = {school.urn for school in built.schools.values()}
    tables = trial_tables(built.trial)
    allocations = tables["allocations"]
    assert set(allocations["urn"]) == units
    assert allocations["random_number"].notna().all()
    assert allocations["order"].notna().all()
    assert set(tables["schools"]["urn"]) == units
    assert DIRECT_URN not in set(tables["sessions"]["urn"])
    responses = tables["survey_responses"]
    assert DIRECT_URN not in set(responses["urn"])
    # T1's answer from 2023/24, when it was enrolled directly, is not a baseline of this trial.
    assert len(responses) == sum(RESPONDED.values())
    assert pd.to_datetime(responses["response_date"]).min() >= pd.Timestamp("2024-10-01")


def test_the_programmes_own_delivery_includes_them_but_allocations_do_not(
    world: dict[str, object], tmp_path: Path
) -> None:
    tables = delivery_tables()
    assert DIRECT_URN not in set(tables["allocations"]["urn"])
    assert tables["allocations"]["urn"].is_unique  # T1's direct year is not a second row
    assert DIRECT_URN in set(tables["sessions"]["urn"])
    assert DIRECT_URN in set(tables["schools"]["urn"])

    call_command("delivery_export", tmp_path)  # checked against the contract before writing
    assert DIRECT_URN not in set(read_table(tmp_path, "allocations")["urn"])
    assert DIRECT_URN in set(read_table(tmp_path, "sessions")["urn"])


def test_take_up_includes_a_school_enrolled_directly(
    world: dict[str, object], make_user: Callable[..., User]
) -> None:
    lead = make_user(RoleName.LA_LEAD)
    found = take_up(user=lead, today=dt.date(2024, 10, 15))
    urns = {school.enrolment.school.urn for school in found.overall.schools}
    assert DIRECT_URN in urns
    direct = next(s for s in found.overall.schools if s.enrolment.school.urn == DIRECT_URN)
    assert direct.held == 1


def test_survey_results_and_monitoring_keep_them_out_of_the_arms(
    world: dict[str, object], make_user: Callable[..., User]
) -> None:
    built = world["built"]
    Response.objects.update(**ANSWERS)  # every response scored
    results = survey_results(programme=built.programme, by=ACTOR)
    assert results.direct
    baseline = [row for row in results.rows if row.wave == "baseline"]
    for row in baseline:
        arms = {cell.arm: cell for cell in row.cells}
        assert list(arms) == ["treatment", "control", "total", DIRECT]
        assert arms["treatment"].n == 15  # T1 to T4's people only, not the direct school's
        assert arms[DIRECT].n is None  # one person: not shown
    wave = built.programme.waves.get(wave="baseline")
    found = selectors.monitoring(wave=wave, by=make_user(RoleName.LA_LEAD))
    by_arm = {row["arm"]: row for row in found.by_arm}
    assert by_arm["treatment"]["schools"] == 4  # T5 withdrew; the direct school is apart
    assert by_arm["direct"]["schools"] == 1
    assert by_arm["direct"]["label"] == "Enrolled directly"
    assert found.randomised


@pytest.fixture
def no_trial(places: dict[str, object]) -> Programme:
    """A programme without a trial: six schools enrolled directly, five of them with a person
    who answered the baseline survey (enough to show)."""
    today = timezone.localdate()
    programme = Programme.objects.create(
        authority=places["home_la"],
        school_year="2026/27",
        starts_on=today - dt.timedelta(days=60),
        ends_on=today + dt.timedelta(days=200),
    )
    schools = [
        School.objects.create(
            urn=990300 + n, name=f"School {n}", authority=places["home_la"], phase="primary"
        )
        for n in range(6)
    ]
    enrolments_add(programme=programme, schools=schools, by=ACTOR)
    wave = Wave.objects.create(
        programme=programme,
        wave="baseline",
        opens_on=today - dt.timedelta(days=5),
        closes_on=today + dt.timedelta(days=10),
    )
    for n, school in enumerate(schools[:5]):
        answered(school, wave, f"NOTRIAL{n}".ljust(16, "X"), today)
    Respondent.objects.create(token="UNANSWEREDXXXXXX", school=schools[5], role="lead_dsl")
    return programme


def test_a_programme_without_a_trial_sees_its_survey_results_and_rates(
    no_trial: Programme, make_user: Callable[..., User], sign_in: Callable[..., Client]
) -> None:
    lead = sign_in(Client(), make_user(RoleName.LA_LEAD))
    results = survey_results(programme=no_trial, by=ACTOR)
    for row in results.rows:
        ((cell),) = row.cells
        assert (cell.arm, cell.n) == (DIRECT, 5)
    page = lead.get(reverse("surveys:results", kwargs={"programme_pk": no_trial.pk}))
    text = page.content.decode()
    assert "Enrolled directly (not randomised)" in text
    assert "Treatment" not in text
    wave = no_trial.waves.get()
    monitor = html.unescape(
        lead.get(reverse("surveys:monitor", kwargs={"pk": wave.pk})).content.decode()
    )
    assert MSG_NOT_RANDOMISED in monitor
    assert "Treatment" not in monitor
    assert "Enrolled directly" in monitor
    assert "5 (83%)" in monitor  # schools responded, of 6
