"""Outcome measures: hand-made cases for each definition, gaps as missing (never zero), and
agreement with an independent pandas computation on a synthetic world."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from factories.world_measures import school_measures
from threshold.measures import MeasureSpec, build_measures, school_years
from threshold.model import OutcomeMeasure
from threshold.model.errors import InputError
from threshold.synth import WorldConfig, synthesise
from threshold.trial import randomise_as_evaluated

START, END = dt.date(2021, 9, 1), dt.date(2022, 7, 31)


def _tables():
    schools = pd.DataFrame(
        {
            "urn": [990001, 990002, 990003],
            "la_code": ["981", "981", "982"],
            "pupils_on_roll": pd.array([1000, 500, None], dtype="Int64"),
        }
    )
    day = pd.Timestamp
    contacts = pd.DataFrame(
        {
            "cont_contact_date": [
                day("2021-09-01"),
                day("2022-07-31"),
                day("2022-08-01"),
                day("2021-10-10"),
                day("2021-10-11"),
                day("2021-12-01"),
            ],
            "cont_contact_source_code": ["2A", "2A", "2A", "6", "2A", "2A"],
            "cont_source_school_urn": pd.array(
                [990001, 990001, 990001, None, 990002, 990003], dtype="Int64"
            ),
            "cont_child_school_urn": pd.array(
                [990001, 990001, 990001, 990001, 990002, 990003], dtype="Int64"
            ),
            "cont_contact_outcome": ["nfa", "referral", "nfa", "nfa", "early_help", "nfa"],
        }
    )
    referrals = pd.DataFrame(
        {
            "cine_referral_date": [day("2022-07-31"), day("2021-11-01"), day("2021-11-02")],
            "cine_referral_source_code": ["2A", "2A", "2A"],
            "cine_source_school_urn": pd.array([990001, 990001, 990002], dtype="Int64"),
            "cine_referral_outcome": ["open", "nfa_after_assessment", "nfa_at_referral"],
            "cine_close_date": [pd.NaT, day("2022-08-15"), day("2021-11-03")],
        }
    )
    gaps = pd.DataFrame(
        {
            "la_code": ["982"],
            "school_year": ["2021/22"],
            "gap": ["referral_outcomes"],
            "reason": ["not recorded"],
        }
    )
    return schools, contacts, referrals, gaps


def _measure(measure: OutcomeMeasure, **options) -> pd.DataFrame:
    spec = MeasureSpec(
        measure,
        START,
        END,
        observed_by=END if measure is OutcomeMeasure.REFERRAL_NFA else None,
        **options,
    )
    return build_measures(*_tables(), {"m": spec}).set_index("urn")


def test_each_definition_on_hand_made_records():
    contacts = _measure(OutcomeMeasure.CONTACTS)
    assert contacts["count"].tolist() == [
        2,
        1,
        1,
    ]  # 1 Aug is outside; the police contact is not the school's
    assert contacts.loc[990001, "value"] == pytest.approx(2 / 1000)
    nfa = _measure(OutcomeMeasure.NFA_CONTACTS)
    assert nfa["count"].tolist() == [1, 0, 1]
    assert _measure(OutcomeMeasure.REFERRALS)["count"].tolist() == [2, 1, 0]
    referral_nfa = _measure(OutcomeMeasure.REFERRAL_NFA)
    assert referral_nfa.loc[990001, "count"] == 0  # closed NFA after 31 July: not yet observed
    assert referral_nfa.loc[990002, "count"] == 1
    assert _measure(OutcomeMeasure.ALL_SOURCE_CONTACTS)["count"].tolist() == [3, 1, 1]


def test_missing_is_missing_with_its_reason_never_zero():
    referral_nfa = _measure(OutcomeMeasure.REFERRAL_NFA)
    assert pd.isna(referral_nfa.loc[990003, "count"])
    assert pd.isna(referral_nfa.loc[990003, "value"])
    assert referral_nfa.loc[990003, "missing_reason"] == "2021/22: not recorded"
    contacts = _measure(OutcomeMeasure.CONTACTS)  # the gap is about referral outcomes only
    assert contacts.loc[990003, "count"] == 1
    assert contacts.loc[990003, "missing_reason"] == "pupils on roll not recorded"
    assert pd.isna(contacts.loc[990003, "value"])
    counts = _measure(OutcomeMeasure.CONTACTS, per_pupil=False)
    assert counts.loc[990003, "value"] == 1


def test_a_window_touching_a_year_with_a_gap_is_missing():
    schools, contacts, referrals, gaps = _tables()
    gaps = pd.DataFrame(
        {"la_code": ["981"], "school_year": ["2020/21"], "gap": ["contacts"], "reason": ["none"]}
    )
    spec = MeasureSpec(OutcomeMeasure.CONTACTS, dt.date(2021, 3, 1), dt.date(2021, 10, 31))
    out = build_measures(schools, contacts, referrals, gaps, {"m": spec}).set_index("urn")
    assert out.loc[[990001, 990002], "missing_reason"].tolist() == ["2020/21: none"] * 2
    assert school_years(dt.date(2021, 3, 1), dt.date(2021, 10, 31)) == ["2020/21", "2021/22"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (MeasureSpec(OutcomeMeasure.ANXIETY_CONTENTMENT, START, END), "not a front-door measure"),
        (
            MeasureSpec(OutcomeMeasure.REFERRAL_NFA, START, END),
            "needs the date outcomes are observed by",
        ),
        (MeasureSpec(OutcomeMeasure.CONTACTS, END, START), "the window ends"),
    ],
)
def test_bad_specifications(spec, message):
    with pytest.raises(InputError, match=message):
        build_measures(*_tables(), {"m": spec})


def test_agrees_with_an_independent_computation_on_a_synthetic_world():
    world = synthesise(WorldConfig(seed=21), randomise_as_evaluated)
    tables = world.tables
    independent = school_measures(world)
    names = {
        "nfa": OutcomeMeasure.NFA_CONTACTS,
        "contacts": OutcomeMeasure.CONTACTS,
        "referral_nfa": OutcomeMeasure.REFERRAL_NFA,
        "all_sources": OutcomeMeasure.ALL_SOURCE_CONTACTS,
    }
    specs = {
        f"{name}_{year}": MeasureSpec(
            measure,
            dt.date(year, 9, 1),
            dt.date(year + 1, 7, 31),
            observed_by=dt.date(year + 1, 7, 31),
        )
        for name, measure in names.items()
        for year in (2020, 2021)
    }
    built = build_measures(
        tables["schools"], tables["contacts"], tables["referrals"], tables["data_gaps"], specs
    )
    for key, spec_name in (
        (k, f"{k[0]}_{k[1]}") for k in independent if k[0] in names and k[1] in (2020, 2021)
    ):
        mine = (
            built[built["name"] == spec_name]
            .set_index("urn")["value"]
            .reindex(independent[key].index)
        )
        np.testing.assert_allclose(
            mine.astype(float).fillna(-1), independent[key].fillna(-1), rtol=1e-12
        )
