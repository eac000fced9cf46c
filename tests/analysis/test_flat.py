"""Flat-table mode: any two-arm trial as one row per unit, no protocol."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from threshold.analysis import analyse_table
from threshold.model import InputError
from threshold.report import write_report


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


ARGS = {"arm": "group", "treatment": "T", "outcome": "post", "software": "t", "source": "u.csv"}


@pytest.mark.parametrize("coding", [("1.0", "0.0"), ("Y", "N"), ("TRUE", "false"), (" yes", "no")])
def test_missing_baseline_flags_are_read_in_every_common_coding(table, coding):
    """A flag written 1.0/0.0 or Y/N is read as a flag, never ignored (zeros used as baselines)."""
    flagged = table.assign(
        pre=table["pre"].fillna(0.0), flag=np.where(table["pre"].isna(), *coding)
    )
    with_flag = analyse_table(flagged, baseline="pre", baseline_missing="flag", **ARGS)
    blank = analyse_table(table, baseline="pre", **ARGS)
    assert with_flag.primary.coef == pytest.approx(blank.primary.coef, rel=1e-12)


def test_an_unreadable_flag_names_the_row(table):
    flagged = table.assign(flag="0").astype({"flag": object})
    flagged.loc[7, "flag"] = "maybe"
    with pytest.raises(InputError, match=r"u.csv row 8, column 'flag': 'maybe' is not a missing"):
        analyse_table(flagged, baseline="pre", baseline_missing="flag", **ARGS)


def test_a_blank_stratum_is_refused_not_merged(table):
    blanks = table.astype({"stratum": object})
    blanks.loc[3, "stratum"] = None
    with pytest.raises(InputError, match=r"u.csv row 4, column 'stratum': the stratum is blank"):
        analyse_table(blanks, strata="stratum", **ARGS)


def test_a_blank_arm_is_refused_not_counted_as_control(table):
    blanks = table.astype({"group": object})
    blanks.loc[11, "group"] = " "
    with pytest.raises(InputError, match=r"u.csv row 12, column 'group': the arm is blank"):
        analyse_table(blanks, **ARGS)


def test_a_third_arm_needs_control_and_its_rows_are_reported_left_out(table):
    three = table.copy()
    three.loc[:14, "group"] = "waitlist"
    with pytest.raises(InputError, match=r"3 arm values \(C, T, waitlist\).*--control"):
        analyse_table(three, **ARGS)
    results = analyse_table(three, control="C", **ARGS)
    two = analyse_table(table.iloc[15:], **ARGS)
    assert results.primary.coef == pytest.approx(two.primary.coef, rel=1e-12)
    assert any(
        "15 row(s) with group other than 'T' and 'C' were left out" in n for n in results.notes
    )


def test_numeric_arms_are_compared_as_numbers(table):
    numeric = table.assign(group=np.where(table["group"] == "T", "1.0", "0.0"))
    results = analyse_table(numeric, **{**ARGS, "treatment": "1"})
    reference = analyse_table(table, **ARGS)
    assert results.primary.coef == pytest.approx(reference.primary.coef, rel=1e-12)


def test_repeated_ids_are_refused_and_repeated_rows_reported(table):
    with_ids = table.assign(school=[f"S{i}" for i in range(len(table))])
    doubled = pd.concat([with_ids, with_ids.iloc[[4]]], ignore_index=True)
    with pytest.raises(InputError, match=r"rows 5, 121, column 'school': the id 'S4' appears"):
        analyse_table(doubled, unit_id="school", **ARGS)
    results = analyse_table(doubled, **ARGS)
    assert any("1 row(s) repeat another row exactly (rows 121)" in n for n in results.notes)


def test_treatment_confounded_with_strata_is_refused(table):
    confounded = table.assign(stratum=table["group"] + "-block")
    with pytest.raises(InputError, match=r"'treated' is fully determined by the other regressors"):
        analyse_table(confounded, strata="stratum", **ARGS)


def test_the_outcome_as_its_own_baseline_is_refused(table):
    with pytest.raises(InputError, match="the outcome 'post' is also given as the baseline"):
        analyse_table(table, baseline="post", **ARGS)
    with pytest.raises(InputError, match="the outcome 'post' is also given as a covariate"):
        analyse_table(table, covariates=("post",), **ARGS)


def test_clustered_errors_need_a_named_cluster_column(table):
    with pytest.raises(InputError, match="--se cluster needs --cluster COLUMN"):
        analyse_table(table, strata="stratum", se="cluster", **ARGS)
    with pytest.raises(InputError, match="without --se cluster"):
        analyse_table(table, cluster="stratum", **ARGS)
    clustered = table.assign(la=np.arange(len(table)) % 12)
    results = analyse_table(clustered, cluster="la", se="cluster", **ARGS)
    sample = table["post"].notna()
    design = sm.add_constant((table["group"] == "T").astype(float).rename("treated"))
    reference = sm.OLS(table.loc[sample, "post"], design[sample]).fit(
        cov_type="cluster", cov_kwds={"groups": clustered.loc[sample, "la"]}, use_t=True
    )
    assert results.primary.se == pytest.approx(reference.bse["treated"], rel=1e-9)
    assert results.primary.specification["n"] == sample.sum()


def test_every_dropped_column_is_listed_in_the_results_and_the_report(table, tmp_path):
    doubled = table.assign(x2=2 * table["x"])
    results = analyse_table(doubled, covariates=("x", "x2"), **ARGS)
    assert results.primary.dropped == ("x2",)
    note = "post (primary): dropped as collinear with the regressors before them: x2."
    assert note in results.to_dict()["notes"]
    write_report(results, tmp_path)
    assert note in (tmp_path / "report.md").read_text()
    assert note in (tmp_path / "report.html").read_text()
