"""The synthetic world: contract-valid, deterministic, with the evaluation's missing-data
pattern, SSW coverage, and true effects that do what they say."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from threshold.model.errors import InputError
from threshold.model.files import check_directory
from threshold.synth import Effects, WorldConfig, synthesise, write_world
from threshold.trial import randomise_as_evaluated

THRESHOLD = Path(sys.executable).parent / "threshold"


def test_world_files_meet_the_contract(worlds, tmp_path):
    write_world(worlds[0], tmp_path)
    assert check_directory(tmp_path) == []
    assert {p.name for p in tmp_path.iterdir()} >= {"contacts.csv", "referrals.csv", "world.json"}


def test_same_seed_writes_byte_identical_files_and_another_seed_does_not(tmp_path):
    for name, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        subprocess.run(
            [THRESHOLD, "synth", "--seed", seed, "--out", str(tmp_path / name), "--messy"],
            check=True,
            capture_output=True,
        )
    files = sorted(
        p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file()
    )
    assert len(files) > 15
    for relative in files:
        assert (tmp_path / "a" / relative).read_bytes() == (
            tmp_path / "b" / relative
        ).read_bytes(), relative
    assert (tmp_path / "a" / "contacts.csv").read_bytes() != (
        tmp_path / "c" / "contacts.csv"
    ).read_bytes()


def test_missing_data_pattern(worlds):
    for world in worlds:
        gaps, contacts, referrals = (
            world.tables[n] for n in ("data_gaps", "contacts", "referrals")
        )
        roles = world.la_roles
        assert len(roles["no_baseline"]) == 3
        assert len(roles["no_all_source_contacts"]) == 2
        assert len(roles["no_referral_outcomes"]) == 2
        assert not contacts["cont_la_code"].eq(world.withdrawn_la).any()
        year = contacts["cont_contact_date"].dt.year - (contacts["cont_contact_date"].dt.month < 9)
        baseline = year < world.config.intervention_year
        assert not (contacts["cont_la_code"].isin(roles["no_baseline"]) & baseline).any()
        assert (
            contacts["cont_la_code"].isin(roles["no_baseline"]).any()
        )  # intervention year present
        no_all = contacts["cont_la_code"].isin(roles["no_all_source_contacts"])
        assert (contacts.loc[no_all, "cont_contact_source_code"] == "2A").all()
        blank = referrals["cine_la_code"].isin(roles["no_referral_outcomes"])
        assert referrals.loc[blank, "cine_referral_outcome"].isna().all()
        assert referrals.loc[~blank, "cine_referral_outcome"].notna().all()
        described = set(zip(gaps["la_code"], gaps["gap"], strict=True))
        for la in roles["no_baseline"]:
            assert (la, "contacts") in described
        for la in roles["no_all_source_contacts"]:
            assert (la, "all_source_contacts") in described


def test_every_contact_from_a_school_names_its_school_and_referrals_follow_contacts(worlds):
    contacts, referrals = worlds[0].tables["contacts"], worlds[0].tables["referrals"]
    school = contacts["cont_contact_source_code"] == "2A"
    assert contacts.loc[school, "cont_source_school_urn"].notna().all()
    assert contacts.loc[~school, "cont_source_school_urn"].isna().all()
    joined = referrals.merge(
        contacts, left_on="cine_contact_id", right_on="cont_contact_id", validate="one_to_one"
    )
    assert (joined["cont_contact_outcome"] == "referral").all()
    assert (joined["cine_referral_date"] >= joined["cont_contact_date"]).all()
    assert (joined["cine_person_id"] == joined["cont_person_id"]).all()
    repeats = contacts.groupby("cont_person_id").size()
    assert (repeats > 1).mean() > 0.1  # the same child comes to notice more than once


def test_ssws_cover_las_as_in_the_programme(worlds):
    ssws = worlds[0].tables["ssws"]
    assert ssws.groupby("ssw_id")["la_code"].nunique().max() >= 2  # one SSW covers two LAs
    assert ssws.groupby("la_code")["ssw_id"].nunique().max() == 2  # an LA with two SSWs
    assert set(ssws["la_code"]) == set(worlds[0].tables["local_authorities"]["la_code"])


def test_delivery_is_for_treatment_schools_only(worlds):
    world = worlds[0]
    allocation = world.tables["allocations"].set_index("urn")
    for table in ("sessions", "ad_hoc_support", "delivery_ratings"):
        arms = allocation.loc[world.tables[table]["urn"], "arm"]
        assert (arms == "treatment").all(), table
        assert allocation.loc[world.tables[table]["urn"], "withdrawn_on"].isna().all(), table


def _nfa_by_school(world, year: int) -> pd.Series:
    contacts = world.tables["contacts"]
    in_year = (
        contacts["cont_contact_date"].dt.year - (contacts["cont_contact_date"].dt.month < 9) == year
    )
    nfa = contacts[
        in_year
        & (contacts["cont_contact_outcome"] == "nfa")
        & (contacts["cont_contact_source_code"] == "2A")
    ]
    return nfa.groupby("cont_source_school_urn").size()


def test_a_true_effect_reduces_treatment_schools_outcome_by_the_dose_it_received():
    none = synthesise(WorldConfig(seed=3), randomise_as_evaluated)
    halved = synthesise(
        WorldConfig(seed=3, effects=Effects(nfa_contacts=0.5)), randomise_as_evaluated
    )
    year = none.config.intervention_year
    allocation = none.tables["allocations"]
    treated = allocation.loc[allocation["arm"] == "treatment", "urn"]
    control = allocation.loc[allocation["arm"] == "control", "urn"]
    before, after = _nfa_by_school(none, year), _nfa_by_school(halved, year)
    # Control schools and the baseline year are untouched.
    pd.testing.assert_series_equal(
        before.reindex(control).fillna(0), after.reindex(control).fillna(0)
    )
    pd.testing.assert_series_equal(_nfa_by_school(none, year - 1), _nfa_by_school(halved, year - 1))
    # Treatment schools keep about 0.5 ** (share of the programme received so far) of contacts.
    kept = after.reindex(treated).fillna(0).sum() / before.reindex(treated).fillna(0).sum()
    assert 0.55 < kept < 0.9
    held = none.tables["sessions"].query("status == 'held'").groupby("urn").size()
    zero_dose = treated[~treated.isin(held.index)]
    pd.testing.assert_series_equal(
        before.reindex(zero_dose).fillna(0), after.reindex(zero_dose).fillna(0)
    )


def test_wellbeing_effect_shifts_endline_scores_in_treatment_schools():
    base = synthesise(WorldConfig(seed=4), randomise_as_evaluated)
    shifted = synthesise(
        WorldConfig(seed=4, effects=Effects(anxiety_contentment=3.0)), randomise_as_evaluated
    )
    scores = {
        "all_of_the_time": -2,
        "most_of_the_time": -1,
        "some_of_the_time": 0,
        "occasionally": 1,
        "never": 2,
    }

    def mean_scale(world) -> float:
        responses = world.tables["survey_responses"]
        allocation = world.tables["allocations"].set_index("urn")
        endline = responses[
            (responses["wave"] == "endline")
            & responses["urn"].map(allocation["arm"]).eq("treatment")
        ]
        return float(
            endline[["warr_tense", "warr_worried", "warr_uneasy"]]
            .apply(lambda c: c.map(scores))
            .sum(axis=1)
            .mean()
        )

    assert mean_scale(shifted) - mean_scale(base) > 1.5


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["primary=0.5"], "unknown effect 'primary'"),
        (["nfa_contacts=half"], "not a number"),
        (["nfa_contacts=0"], "a ratio between 0 and 5"),
        (["anxiety_contentment=9"], "a shift of at most 6 points"),
    ],
)
def test_bad_effects_are_refused_with_a_clear_message(items, message):
    with pytest.raises(InputError, match=message):
        Effects.parse(items)


def test_effects_parse_names_and_values():
    assert Effects.parse(["nfa-contacts=0.8", "depression_enthusiasm=-1"]) == Effects(
        nfa_contacts=0.8, depression_enthusiasm=-1.0
    )


def test_cli_reports_a_bad_effect_without_a_traceback(tmp_path):
    result = subprocess.run(
        [THRESHOLD, "synth", "--out", str(tmp_path), "--effect", "bogus=1"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "unknown effect 'bogus'" in result.stderr
    assert "Traceback" not in result.stderr


def test_smaller_worlds_keep_their_shape():
    world = synthesise(WorldConfig(seed=8, n_schools=60), randomise_as_evaluated)
    assert len(world.tables["schools"]) == 60
    counts = world.tables["schools"].groupby("la_code").size()
    assert len(counts) == 11
    assert counts.min() >= 4
    assert np.isclose(world.tables["allocations"]["arm"].eq("treatment").mean(), 0.5, atol=0.1)
