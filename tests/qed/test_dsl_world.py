"""`threshold.synth.dsl_call_world`: deterministic per seed, the requested group sizes, and
training effects only in the later period."""

from __future__ import annotations

import pandas as pd

from threshold.synth import dsl_call_world
from threshold.synth.dsl_calls import DSL_COLUMNS


def test_same_seed_same_records() -> None:
    a, b = dsl_call_world(4), dsl_call_world(4)
    pd.testing.assert_frame_equal(a.records, b.records)
    assert not a.records.equals(dsl_call_world(5).records)
    assert a.truth()["seed"] == 4
    assert a.truth()["rate_ratio"] == 0.35


def test_group_sizes_and_columns() -> None:
    records = dsl_call_world(1, n_trained=30, n_comparison=70).records
    assert tuple(records.columns) == DSL_COLUMNS
    assert records["group"].value_counts().to_dict() == {"comparison": 70, "trained": 30}


def test_effect_appears_only_after_training() -> None:
    records = dsl_call_world(9, n_trained=3000, n_comparison=3000, rate_ratio=0.5).records
    by = records.groupby("group")[["earlier_calls", "calls"]].mean()
    assert abs(by.loc["trained", "earlier_calls"] / by.loc["comparison", "earlier_calls"] - 1) < 0.1
    assert abs(by.loc["trained", "calls"] / by.loc["comparison", "calls"] - 0.5) < 0.05


def test_selection_sends_larger_schools_to_training() -> None:
    records = dsl_call_world(3, selection=2.0).records
    size = records.groupby("group")["pupils_hundreds"].mean()
    assert size["trained"] > size["comparison"] + 0.5
