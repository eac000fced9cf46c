"""Inputs that once gave a comparison without meaning — no events in a group, weights resting on
one or two units, a third group folded into the comparison, a unit counted twice, fractional
counts — are refused with the column, row and fix, or handled and reported."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from threshold.model import InputError
from threshold.qed import compare
from threshold.synth import dsl_call_world

OPTIONS = {"group": "group", "treated": "trained", "count": "calls", "exposure": "dsl_years"}


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    return dsl_call_world(5, n_trained=60, n_comparison=200, selection=0.5).records


def test_no_events_in_the_treated_group_is_refused_not_100_percent_fewer(records):
    none = records.assign(calls=np.where(records["group"] == "trained", 0, records["calls"]))
    with pytest.raises(InputError, match=r"the treated \(trained\) group has no calls at all"):
        compare(none, **OPTIONS)


def test_no_earlier_events_in_the_comparison_group_is_refused(records):
    none = records.assign(
        earlier_calls=np.where(records["group"] == "comparison", 0, records["earlier_calls"])
    )
    with pytest.raises(InputError, match="the comparison group has no earlier_calls at all"):
        compare(none, earlier_count="earlier_calls", earlier_exposure="earlier_years", **OPTIONS)


def test_ipw_without_overlap_is_refused(records):
    separated = records.assign(
        score=np.where(records["group"] == "trained", 10.0, 0.0) + np.arange(len(records)) * 1e-3
    )
    with pytest.raises(InputError, match=r"ipw weighting: the covariates \['score'\] separate"):
        compare(separated, covariates=("score",), weighting="ipw", **OPTIONS)


def test_ipw_resting_on_a_handful_of_units_is_refused(records):
    """Nearly separated: three comparison units look like the treated ones; the weights would
    rest on them alone."""
    trained = (records["group"] == "trained").to_numpy()
    score = np.where(trained, 5.0 + np.arange(len(records)) % 7 * 0.1, 0.0)
    lookalikes = np.flatnonzero(~trained)[:3]
    score[lookalikes] = [5.0, 5.3, 5.6]
    near = records.assign(score=score, calls=records["calls"])
    with pytest.raises(InputError, match=r"rest on \d\.\d comparison unit\(s\) of 200"):
        compare(near, covariates=("score",), weighting="ipw", **OPTIONS)


def test_a_third_group_needs_comparison_and_is_reported_left_out(records):
    three = records.copy()
    three.loc[three.index[:30], "group"] = "refused training"
    with pytest.raises(InputError, match=r"3 groups \(comparison, refused training, trained\)"):
        compare(three, **OPTIONS)
    result = compare(three, comparison="comparison", **OPTIONS)
    kept = three[three["group"] != "refused training"]
    assert result.rate_ratio.estimate == pytest.approx(
        compare(kept, **OPTIONS).rate_ratio.estimate, rel=1e-12
    )
    assert result.groups[1].units == (kept["group"] == "comparison").sum()
    assert any(
        "30 row(s) of other groups (refused training) were left out" in n for n in result.notes
    )


def test_a_blank_group_is_refused(records):
    blank = records.copy()
    blank.loc[blank.index[6], "group"] = "  "
    with pytest.raises(InputError, match="column 'group' row 7: the group is blank"):
        compare(blank, **OPTIONS)


def test_a_unit_twice_is_refused(records):
    twice = pd.concat([records, records.iloc[[9]]], ignore_index=True)
    with pytest.raises(InputError, match=r"rows 10, 261: the unit 'D00010' appears more than once"):
        compare(twice, unit="dsl_id", **OPTIONS)


def test_fractional_counts_are_refused(records):
    fractional = records.assign(calls=records["calls"].astype(float))
    fractional.loc[fractional.index[12], "calls"] = 2.5
    with pytest.raises(InputError, match=r"column .calls. row 13: 2\.5 is not a whole number"):
        compare(fractional, **OPTIONS)


def test_repeated_rows_without_a_unit_column_are_reported_not_refused(records):
    """Without ids, two DSLs alike in every column cannot be told from one counted twice: the
    rows are kept, and listed (here two pairs of look-alikes, and row 10 repeated as 261)."""
    twice = pd.concat([records, records.iloc[[9]]], ignore_index=True).drop(columns="dsl_id")
    result = compare(twice, **OPTIONS)
    assert result.groups[0].units + result.groups[1].units == 261
    (note,) = result.notes
    assert "3 row(s) repeat another row exactly (rows 131, 229, 261)" in note
