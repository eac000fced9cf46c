"""The synthetic world meets the evaluation's figures (docs/synthetic-world.md).

Figures are averaged over four seeds; each tolerance is a few standard errors of that average,
so a generator that is off by a meaningful amount (for example a doubled rate) fails.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from factories.world_measures import primary_r_squared, school_measures
from threshold.model import WARR_SCORES
from threshold.synth import World
from threshold.synth.delivery import SESSION_COUNT_DISTRIBUTION


def _active_schools(world: World) -> pd.DataFrame:
    allocation = world.tables["allocations"]
    active = allocation.loc[allocation["withdrawn_on"].isna(), "urn"]
    return world.tables["schools"].set_index("urn").loc[active]


def _average(worlds: list[World], statistic) -> float:
    return float(np.mean([statistic(world) for world in worlds]))


@pytest.mark.parametrize(
    ("column", "mean", "mean_tol", "sd", "sd_tol"),
    [
        ("pupils_on_roll", 1087, 50, 408, 50),
        ("pct_fsm", 22, 2.5, 14, 2.5),
        ("pct_eal", 14, 4, 15, 5),
        ("pct_sen_support", 11.4, 1.0, 5.4, 1.0),
    ],
)
def test_school_characteristics(worlds, column, mean, mean_tol, sd, sd_tol):
    assert _average(worlds, lambda w: _active_schools(w)[column].mean()) == pytest.approx(
        mean, abs=mean_tol
    )
    assert _average(worlds, lambda w: _active_schools(w)[column].std()) == pytest.approx(
        sd, abs=sd_tol
    )


def test_nine_in_ten_schools_are_urban(worlds):
    share = _average(worlds, lambda w: (_active_schools(w)["urban_rural"] == "urban").mean())
    assert share == pytest.approx(0.90, abs=0.04)


def test_scale_of_the_trial(worlds):
    for world in worlds:
        assert len(world.tables["local_authorities"]) == 11
        assert len(world.tables["schools"]) == 308
        assert world.tables["allocations"]["withdrawn_on"].notna().sum() == 18


# (measure, offset from the intervention year, mean, tolerance, SD, tolerance): DOMAIN.md.
RATES = [
    ("nfa", -1, 0.005, 0.0015, 0.008, 0.003),
    ("nfa", 0, 0.008, 0.002, 0.012, 0.004),
    ("contacts", -1, 0.017, 0.004, 0.018, 0.007),
    ("contacts", 0, 0.024, 0.005, 0.030, 0.010),
    ("referrals", 0, 0.007, 0.002, 0.008, 0.004),
    ("referral_nfa", 0, 0.001, 0.0005, 0.003, 0.0015),
    ("all_sources", -1, 0.10, 0.025, 0.11, 0.05),
    ("all_sources", 0, 0.12, 0.03, 0.11, 0.06),
]


@pytest.mark.parametrize(("measure", "offset", "mean", "mean_tol", "sd", "sd_tol"), RATES)
def test_per_pupil_outcome_rates(worlds, measure, offset, mean, mean_tol, sd, sd_tol):
    def rate(world: World) -> pd.Series:
        return school_measures(world)[(measure, world.config.intervention_year + offset)].dropna()

    assert _average(worlds, lambda w: rate(w).mean()) == pytest.approx(mean, abs=mean_tol)
    assert _average(worlds, lambda w: rate(w).std()) == pytest.approx(sd, abs=sd_tol)


def test_nfa_counts_are_zero_heavy_and_overdispersed(worlds):
    world = worlds[0]
    rate = school_measures(world)[("nfa", world.config.intervention_year - 1)].dropna()
    counts = rate * _active_schools(world).loc[rate.index, "pupils_on_roll"]
    assert counts.round().eq(0).mean() > 0.05
    assert counts.var() > 4 * counts.mean()  # Poisson would give var == mean


def test_primary_model_r_squared(worlds):
    assert _average(worlds, primary_r_squared) == pytest.approx(0.62, abs=0.12)


def test_sessions_per_treatment_school_follow_the_evaluation(worlds):
    reference = np.array(SESSION_COUNT_DISTRIBUTION) / sum(SESSION_COUNT_DISTRIBUTION)
    for world in worlds:
        sessions = world.tables["sessions"]
        allocation = world.tables["allocations"]
        treated = allocation.loc[
            (allocation["arm"] == "treatment") & allocation["withdrawn_on"].isna(), "urn"
        ]
        held = (
            sessions[sessions["status"] == "held"]
            .groupby("urn")
            .size()
            .reindex(treated, fill_value=0)
        )
        counts = np.bincount(held, minlength=9)
        assert np.abs(counts - reference * len(treated)).max() <= 1
        assert held.mean() == pytest.approx(3.4, abs=0.15)


@pytest.mark.parametrize(
    ("wave", "arm", "rate"),
    [
        ("baseline", "treatment", 0.53),
        ("baseline", "control", 0.36),
        ("endline", "treatment", 0.31),
        ("endline", "control", 0.22),
    ],
)
def test_survey_response_rates_by_arm_and_wave(worlds, wave, arm, rate):
    def response(world: World) -> float:
        allocation = world.tables["allocations"]
        schools = allocation.loc[
            (allocation["arm"] == arm) & allocation["withdrawn_on"].isna(), "urn"
        ]
        responses = world.tables["survey_responses"]
        return schools.isin(responses.loc[responses["wave"] == wave, "urn"]).mean()

    assert _average(worlds, response) == pytest.approx(rate, abs=0.06)


@pytest.mark.parametrize(
    ("items", "mean", "sd"),
    [(("tense", "worried", "uneasy"), 0.5, 2.5), (("depressed", "gloomy", "miserable"), 3.5, 2.2)],
)
def test_wellbeing_scales(worlds, items, mean, sd):
    scores = {answer.value: score for answer, score in WARR_SCORES.items()}

    def scale(world: World) -> pd.Series:
        answers = world.tables["survey_responses"][[f"warr_{item}" for item in items]]
        return answers.apply(lambda column: column.map(scores)).sum(axis=1, min_count=3).dropna()

    assert _average(worlds, lambda w: scale(w).mean()) == pytest.approx(mean, abs=0.4)
    assert _average(worlds, lambda w: scale(w).std()) == pytest.approx(sd, abs=0.4)


def test_waves_link_person_by_person(worlds):
    responses = worlds[0].tables["survey_responses"]
    both = responses.groupby("respondent_token")["wave"].nunique().eq(2)
    assert both.sum() > 20
    assert (responses.groupby("respondent_token")["urn"].nunique() == 1).all()


def test_costs_per_treatment_school(worlds):
    def per_la(world: World) -> pd.Series:
        costs = world.tables["costs"]
        allocation = world.tables["allocations"]
        la_of = world.tables["schools"].set_index("urn")["la_code"]
        treated = allocation.loc[
            (allocation["arm"] == "treatment") & allocation["withdrawn_on"].isna(), "urn"
        ]
        spend = costs.dropna(subset=["la_code"]).groupby("la_code")["amount_gbp"].sum()
        return spend / treated.map(la_of).value_counts().reindex(spend.index)

    def pooled(world: World) -> float:
        allocation = world.tables["allocations"]
        n = ((allocation["arm"] == "treatment") & allocation["withdrawn_on"].isna()).sum()
        return world.tables["costs"]["amount_gbp"].sum() / n

    assert _average(worlds, pooled) == pytest.approx(1900, abs=350)
    assert _average(worlds, lambda w: per_la(w).mean()) == pytest.approx(2500, abs=700)
    assert _average(worlds, lambda w: per_la(w).min()) < 1600
    for world in worlds:
        london = world.tables["local_authorities"].set_index("region").loc["London", "la_code"]
        assert per_la(world).idxmax() == london
        assert per_la(world).max() > 3500
        assert (world.tables["costs"]["category"] == "ssw_training").sum() == 1
