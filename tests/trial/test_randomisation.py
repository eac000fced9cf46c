"""Randomisation by the evaluation's alternating procedure: balance, fairness, reproducibility."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from threshold.model.errors import InputError
from threshold.trial import RandomisationSpec, median_split, randomise, randomise_as_evaluated
from threshold.trial.randomisation import MSG_BLANK_VALUES, MSG_DUPLICATE_UNITS, MSG_MISSING_COLUMN


def _units(sizes: list[int], rng: np.random.Generator) -> pd.DataFrame:
    la = np.repeat([f"{981 + i}" for i in range(len(sizes))], sizes)
    return pd.DataFrame(
        {
            "urn": np.arange(990000, 990000 + len(la)),
            "la_code": la,
            "pct_fsm": rng.uniform(0, 60, len(la)).round(1),
        }
    )


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(1, 25), min_size=1, max_size=8), seed=st.integers(0, 2**32 - 1))
def test_every_block_is_balanced_to_within_one_unit(sizes, seed):
    units = _units(sizes, np.random.default_rng(seed))
    allocation = randomise_as_evaluated(units, np.random.default_rng(seed))
    counts = allocation.groupby(["block", "arm"]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=["treatment", "control"], fill_value=0)
    assert (abs(counts["treatment"] - counts["control"]) <= 1).all()
    assert sorted(allocation["unit"]) == sorted(units["urn"])
    for _, block in allocation.groupby("block"):  # arms alternate in random-number order
        arms = block.sort_values("random_number")["arm"].to_numpy()
        assert (arms[1:] != arms[:-1]).all()
        assert sorted(block["order"]) == list(range(1, len(block) + 1))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_the_same_seed_reproduces_the_allocation(seed):
    units = _units([7, 12, 3], np.random.default_rng(0))
    first = randomise_as_evaluated(units, np.random.default_rng(seed))
    again = randomise_as_evaluated(units, np.random.default_rng(seed))
    pd.testing.assert_frame_equal(first, again)


def test_each_unit_is_treated_with_probability_one_half():
    units = _units([5, 8], np.random.default_rng(0))  # odd-sized blocks included
    draws = 1500
    treated = np.zeros(len(units))
    for seed in range(draws):
        allocation = randomise_as_evaluated(units, np.random.default_rng(seed))
        treated += (allocation["arm"] == "treatment").to_numpy()
    share = treated / draws
    # 4 standard errors of a proportion of 0.5 over 1,500 draws is 0.052.
    assert np.abs(share - 0.5).max() < 0.052
    assert not np.allclose(share, 0.5, atol=1e-9)  # it really is random


def test_blocks_are_la_by_high_or_low_fsm_split_at_the_la_median():
    units = pd.DataFrame(
        {
            "urn": [1, 2, 3, 4, 5],
            "la_code": ["981"] * 4 + ["982"],
            "pct_fsm": [10.0, 20.0, 30.0, 40.0, 5.0],
        }
    )
    allocation = randomise_as_evaluated(units, np.random.default_rng(1))
    assert allocation["block"].tolist() == ["981-low", "981-low", "981-high", "981-high", "982-low"]


def test_ties_at_the_median_are_low():
    values = pd.Series([1.0, 2.0, 2.0, 3.0])
    assert median_split(values, pd.Series(["a"] * 4)).tolist() == ["low", "low", "low", "high"]


def test_no_blocks_means_one_block():
    units = pd.DataFrame({"id": list("abcdef")})
    allocation = randomise(units, RandomisationSpec(unit="id"), np.random.default_rng(2))
    assert set(allocation["block"]) == {"all"}
    assert (allocation["arm"] == "treatment").sum() == 3


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"urn": [1], "pct_fsm": [1.0]}), MSG_MISSING_COLUMN.split("{")[0]),
        (
            pd.DataFrame({"urn": [1, 2], "la_code": ["981", None], "pct_fsm": [1.0, 2.0]}),
            MSG_BLANK_VALUES.format(column="la_code", count=1, row=2),
        ),
        (
            pd.DataFrame({"urn": [1, 1], "la_code": ["981", "981"], "pct_fsm": [1.0, 2.0]}),
            MSG_DUPLICATE_UNITS.format(column="urn", value=1),
        ),
    ],
)
def test_bad_units_tables_are_refused(frame, message):
    with pytest.raises(InputError) as error:
        randomise_as_evaluated(frame, np.random.default_rng(0))
    assert message in str(error.value)
