"""Flat-table mode: any two-arm trial as one row per unit, no protocol."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from threshold.analysis import analyse_table
from threshold.model import InputError


@pytest.fixture
def table() -> pd.DataFrame:
    rng = np.random.default_rng(8)
    n = 120
    frame = pd.DataFrame(
        {
            "group": np.where(rng.random(n) < 0.5, "T", "C"),
            "stratum": rng.integers(0, 4, n).astype(str),
            "pre": rng.normal(size=n),
            "x": rng.normal(size=n),
        }
    )
    frame["post"] = 0.5 * frame["pre"] + 0.3 * (frame["group"] == "T") + rng.normal(size=n)
    frame.loc[:9, "pre"] = np.nan
    frame.loc[100, "post"] = np.nan
    return frame


def test_matches_an_independent_fit(table):
    results = analyse_table(
        table,
        arm="group",
        treatment="T",
        outcome="post",
        baseline="pre",
        covariates=("x",),
        strata="stratum",
        software="test",
    )
    estimate = results.primary
    sample = table["post"].notna()
    design = pd.DataFrame(
        {
            "treated": (table["group"] == "T").astype(float),
            "pre": table["pre"].fillna(0),
            "pre_missing": table["pre"].isna().astype(float),
            "x": table["x"],
        }
    ).join(pd.get_dummies(table["stratum"], prefix="s", drop_first=True, dtype=float))
    reference = sm.OLS(table.loc[sample, "post"], sm.add_constant(design[sample])).fit(
        cov_type="HC1", use_t=True
    )
    assert estimate.coef == pytest.approx(reference.params["treated"], rel=1e-9)
    assert estimate.se == pytest.approx(reference.bse["treated"], rel=1e-9)
    assert estimate.n_treatment + estimate.n_control == sample.sum()
    assert results.attrition.iloc[-1]["missing_outcome"] == 1  # the total row
    assert not results.confirmatory
    assert results.protocol_state == "none"


def test_a_baseline_missing_column_marks_baselines_missing(table):
    flagged = table.assign(pre=table["pre"].fillna(99.0), flag=table["pre"].isna().astype(int))
    with_flag = analyse_table(
        flagged,
        arm="group",
        treatment="T",
        outcome="post",
        baseline="pre",
        baseline_missing="flag",
        software="t",
    )
    blank = analyse_table(
        table, arm="group", treatment="T", outcome="post", baseline="pre", software="t"
    )
    assert with_flag.primary.coef == pytest.approx(blank.primary.coef, rel=1e-12)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"outcome": "score"}, "there is no column 'score'"),
        ({"treatment": "X"}, "no row has group = 'X'"),
    ],
)
def test_clear_errors(table, options, message):
    arguments = {
        "arm": "group",
        "treatment": "T",
        "outcome": "post",
        "software": "t",
        "source": "trial.csv",
    }
    with pytest.raises(InputError, match=message):
        analyse_table(table, **{**arguments, **options})


def test_non_numbers_name_the_row_and_column(table):
    broken = table.astype({"post": object})
    broken.loc[5, "post"] = "n/a?"
    with pytest.raises(
        InputError, match=r"trial.csv row 6, column 'post': 'n/a\?' is not a number"
    ):
        analyse_table(
            broken, arm="group", treatment="T", outcome="post", software="t", source="trial.csv"
        )
