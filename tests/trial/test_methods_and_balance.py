"""Blocked, complete and cluster randomisation with any ratio; the balance table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from threshold.model.errors import InputError
from threshold.trial import RandomisationSpec, randomise
from threshold.trial.balance import balance_table
from threshold.trial.randomisation import MSG_ALTERNATING_RATIO, MSG_CLUSTER_BLOCKS


def _units(sizes: list[int]) -> pd.DataFrame:
    block = np.repeat([f"b{i}" for i in range(len(sizes))], sizes)
    return pd.DataFrame({"id": np.arange(len(block)), "block": block})


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 30), min_size=1, max_size=6),
    ratio=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    seed=st.integers(0, 2**32 - 1),
)
def test_blocked_treats_the_intended_share_of_each_block(sizes, ratio, seed):
    spec = RandomisationSpec(unit="id", method="blocked", block_by=("block",), ratio=ratio)
    allocation = randomise(_units(sizes), spec, np.random.default_rng(seed))
    share = ratio[0] / sum(ratio)
    for _, block in allocation.groupby("block"):
        treated = (block["arm"] == "treatment").sum()
        exact = len(block) * share
        assert np.floor(exact) <= treated <= np.ceil(exact)
    assert len(allocation) == sum(sizes)


def test_each_unit_gets_the_intended_probability_under_a_two_to_one_ratio():
    units = _units([7, 4])
    spec = RandomisationSpec(unit="id", method="blocked", block_by=("block",), ratio=(2, 1))
    draws = 1500
    treated = (
        sum(
            (randomise(units, spec, np.random.default_rng(seed))["arm"] == "treatment").to_numpy()
            for seed in range(draws)
        )
        / draws
    )
    assert np.abs(treated - 2 / 3).max() < 4 * np.sqrt(2 / 9 / draws)


def test_complete_randomisation_ignores_blocks_and_treats_half():
    spec = RandomisationSpec(unit="id", method="complete", block_by=("block",))
    allocation = randomise(_units([5, 6]), spec, np.random.default_rng(0))
    assert set(allocation["block"]) == {"all"}
    assert (allocation["arm"] == "treatment").sum() in (5, 6)


def test_cluster_randomisation_gives_each_pupil_their_schools_arm():
    pupils = pd.DataFrame(
        {
            "pupil": range(60),
            "school": np.repeat([f"s{i}" for i in range(12)], 5),
            "la": np.repeat(["981", "982"], 30),
            "fsm": np.repeat(np.arange(12.0), 5),
        }
    )
    spec = RandomisationSpec(unit="pupil", block_by=("la",), median_split="fsm", cluster="school")
    allocation = randomise(pupils, spec, np.random.default_rng(3))
    assert list(allocation["unit"]) == list(range(60))
    assert (allocation.groupby("cluster")["arm"].nunique() == 1).all()
    per_school = allocation.drop_duplicates("cluster")
    counts = per_school.groupby(["block", "arm"]).size().unstack()
    assert ((counts["treatment"] - counts["control"]).abs() == 1).all()  # three schools a block
    assert set(per_school["block"]) == {"981-low", "981-high", "982-low", "982-high"}


def test_cluster_blocks_must_be_constant_within_a_cluster():
    pupils = pd.DataFrame({"pupil": [1, 2], "school": ["s", "s"], "la": ["981", "982"]})
    spec = RandomisationSpec(unit="pupil", block_by=("la",), cluster="school")
    with pytest.raises(InputError, match=MSG_CLUSTER_BLOCKS.format(cluster="s", column="la")):
        randomise(pupils, spec, np.random.default_rng(0))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"ratio": (2, 1)}, MSG_ALTERNATING_RATIO.format(ratio="2:1")),
        ({"method": "blocked", "ratio": (0, 1)}, "ratio 0:1 must be two positive whole numbers"),
        ({"method": "stratified"}, "method 'stratified' must be one of"),
    ],
)
def test_bad_specifications_are_refused(arguments, message):
    with pytest.raises(InputError, match=message):
        RandomisationSpec(unit="id", **arguments)


def test_balance_table_against_hand_computed_values():
    units = pd.DataFrame(
        {
            "pupils": [100.0, 200.0, 300.0, 500.0, None],
            "urban": ["urban", "rural", "urban", "urban", "rural"],
        }
    )
    arms = pd.Series(["treatment", "treatment", "control", "control", "control"])
    table = balance_table(units, arms, ["pupils", "urban"]).set_index(
        ["characteristic", "level"], drop=False
    )
    pupils = table.iloc[0]
    assert pupils["n_treatment"] == 2
    assert pupils["n_control"] == 2  # the missing value is left out
    assert pupils["mean_treatment"] == 150
    assert pupils["mean_control"] == 400
    pooled = np.sqrt((np.var([100, 200], ddof=1) + np.var([300, 500], ddof=1)) / 2)
    assert pupils["std_difference"] == pytest.approx((150 - 400) / pooled)
    urban = table[table["level"] == "urban"].iloc[0]
    assert urban["mean_treatment"] == pytest.approx(50.0)
    assert urban["mean_control"] == pytest.approx(200 / 3)
    p_t, p_c = 0.5, 2 / 3
    assert urban["std_difference"] == pytest.approx(
        (p_t - p_c) / np.sqrt((p_t * (1 - p_t) + p_c * (1 - p_c)) / 2)
    )
