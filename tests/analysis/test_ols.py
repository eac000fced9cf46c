"""fit_ols against Stata's printed results, statsmodels, replicated rows, and its own rules."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from threshold.analysis import fit_ols
from threshold.analysis.ols import (
    MSG_ALPHA,
    MSG_CLUSTERS_REQUIRED,
    MSG_CLUSTERS_UNUSED,
    MSG_DROPPED_TERM,
    MSG_DUPLICATE_NAME,
    MSG_INDEX,
    MSG_LENGTH,
    MSG_LEVERAGE_ONE,
    MSG_MISSING,
    MSG_NO_REGRESSORS,
    MSG_NOT_NUMERIC,
    MSG_TOO_FEW_OBS,
    MSG_UNKNOWN_SE,
    MSG_UNKNOWN_TERM,
    MSG_UNKNOWN_WEIGHT_KIND,
    MSG_WEIGHT_POSITIVE,
    MSG_WEIGHT_WHOLE,
)
from threshold.model.errors import InputError
from threshold.stats import MSG_TOO_FEW_CLUSTERS

DATA = Path(__file__).resolve().parents[1] / "data"
STATA_SE = {
    "classical": "classical",
    "HC1": "hc1",
    "HC2": "hc2",
    "HC3": "hc3",
    "stata_cl": "cluster",
}
SE_TYPES = ("classical", "hc1", "hc2", "hc3", "cluster")


def stata_rows() -> list[tuple[str, str, str, str, str]]:
    """estimatr's Stata results: model, Var(hp), Var(_cons), residual df, F (as printed)."""
    lines = (DATA / "estimatr_stata-ests.txt").read_text(encoding="utf-8").splitlines()
    rows = [tuple(field.strip() for field in line.split("\t")) for line in lines if line.strip()]
    assert len(rows) == 10
    return rows


def printed(text: str, rel: float = 0.0) -> pytest.approx:
    """A number as Stata printed it: equal to within half a unit of its last digit (or `rel`)."""
    decimals = -Decimal(text).as_tuple().exponent
    return pytest.approx(float(text), rel=rel, abs=0.5 * 10.0**-decimals)


def as_float(values: pd.Series) -> pd.Series:
    """Values as Stata stores a `float` variable (single precision), back in double."""
    return values.astype(np.float32).astype(float)


@pytest.mark.parametrize("storage", ["float", "double"])
@pytest.mark.parametrize("row", stata_rows(), ids=lambda row: row[0])
def test_variances_df_and_f_equal_stata_regress(row, storage):
    """estimatr's do-file: `import delimited mtcars.csv`, `gen w = drat / 5` (both store floats),
    `reg mpg hp [aweight=w], vce(...)`. With Stata's float data every printed digit agrees; with
    the data in double, to 2e-6 relative."""
    model, var_hp, var_cons, df, f = row
    weighted = model.endswith("w")
    se = STATA_SE[model.removesuffix("w") if weighted else model]
    cars = pd.read_csv(DATA / "estimatr_mtcars.csv")
    mpg, weights, rel = cars["mpg"], cars["drat"] / 5, 2e-6
    if storage == "float":
        mpg, weights, rel = as_float(mpg), as_float(as_float(cars["drat"]) / 5), 0.0
    fit = fit_ols(
        mpg,
        cars[["hp"]],
        se=se,
        clusters=cars["cyl"] if se == "cluster" else None,
        weights=weights if weighted else None,
    )
    assert fit.terms == ("_cons", "hp")
    assert fit.vcov[1, 1] == printed(var_hp, rel)
    assert fit.vcov[0, 0] == printed(var_cons, rel)
    assert fit.df_resid == int(df)
    assert fit.tidy()["t"].iloc[1] ** 2 == printed(f, rel)  # one restriction: F = t², checks b
    assert fit.n_clusters == (3 if se == "cluster" else None)


def random_design(
    seed: int = 1, n: int = 240
) -> tuple[pd.Series, pd.DataFrame, np.ndarray, np.ndarray]:
    """Regressors on very different scales, with positive weights and 17 unequal clusters."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "treat": rng.permutation(np.arange(n) % 2).astype(float),
            "rate": rng.gamma(2, 0.0025, n),
            "pupils": rng.normal(1000, 250, n),
            "urban": (rng.random(n) < 0.4).astype(float),
        }
    )
    y = pd.Series(
        0.002 * X["treat"]
        + 0.8 * X["rate"]
        + 1e-6 * X["pupils"]
        + rng.standard_normal(n) * 0.003 * (1 + X["urban"]),
        name="outcome",
    )
    weights = rng.gamma(3, 1, n)
    clusters = rng.integers(0, 17, n)
    return y, X, weights, clusters


STATSMODELS_COV = {"classical": "nonrobust", "hc1": "HC1", "hc2": "HC2", "hc3": "HC3"}


def statsmodels_fit(y, X, se, weights=None, clusters=None):
    exog = sm.add_constant(X, prepend=True)
    model = sm.OLS(y, exog) if weights is None else sm.WLS(y, exog, weights=weights)
    if se == "cluster":
        return model.fit(cov_type="cluster", cov_kwds={"groups": clusters}, use_t=True)
    return model.fit(cov_type=STATSMODELS_COV[se], use_t=True)


@pytest.mark.parametrize(
    ("se", "weighted"),
    [(se, False) for se in SE_TYPES] + [("classical", True), ("hc1", True), ("cluster", True)],
)
def test_equals_statsmodels(se, weighted):
    y, X, weights, clusters = random_design()
    w = weights if weighted else None
    g = clusters if se == "cluster" else None
    fit = fit_ols(y, X, se=se, weights=w, clusters=g)
    reference = statsmodels_fit(y, X, se, w, clusters)
    tidy = fit.tidy()
    np.testing.assert_allclose(fit.coef, reference.params, rtol=1e-9)
    np.testing.assert_allclose(fit.vcov, reference.cov_params(), rtol=1e-9)
    np.testing.assert_allclose(tidy["p_value"], reference.pvalues, rtol=1e-9)
    np.testing.assert_allclose(tidy[["ci_low", "ci_high"]], reference.conf_int(), rtol=1e-9)
    assert fit.r2 == pytest.approx(reference.rsquared, rel=1e-9)
    assert fit.r2_adj == pytest.approx(reference.rsquared_adj, rel=1e-9)
    assert fit.df_resid == (16 if se == "cluster" else 240 - 5)
    assert fit.nobs == 240


@pytest.mark.parametrize("se", ["hc2", "hc3"])
def test_weighted_hc2_hc3_use_statas_normalised_weights(se):
    """Stata's aweight leverage is x'(X'WX)⁻¹x with weights summing to N: scale-free, unlike
    statsmodels' WLS (whose leverage includes the weight)."""
    y, X, weights, _ = random_design()
    fit = fit_ols(y, X, se=se, weights=weights)
    np.testing.assert_allclose(fit_ols(y, X, se=se, weights=weights * 40).vcov, fit.vcov, rtol=1e-9)
    statsmodels_se = statsmodels_fit(y, X, se, weights).bse.to_numpy()
    assert not np.allclose(fit.se, statsmodels_se, rtol=1e-4)


def test_no_constant_and_uncentred_r2_as_statsmodels():
    y, X, _, _ = random_design()
    fit = fit_ols(y, X, se="hc1", constant=False)
    reference = sm.OLS(y, X).fit(cov_type="HC1")
    assert fit.terms == tuple(X.columns)
    np.testing.assert_allclose(fit.vcov, reference.cov_params(), rtol=1e-9)
    assert fit.r2 == pytest.approx(reference.rsquared, rel=1e-9)
    assert fit.r2_adj == pytest.approx(reference.rsquared_adj, rel=1e-9)


def strata_design(seed: int = 3, n: int = 96) -> tuple[pd.Series, pd.DataFrame]:
    """Four blocks; block 3 (one LA) has no baseline, so its missing-baseline dummy is spanned."""
    rng = np.random.default_rng(seed)
    block = np.arange(n) % 4
    missing = (block == 3).astype(float)
    baseline = np.where(missing == 1, 0.0, rng.gamma(2, 0.0025, n))
    X = pd.DataFrame(
        {"treat": rng.permutation(np.arange(n) % 2).astype(float), "baseline": baseline}
    )
    for b in (1, 2, 3):
        X[f"block{b}"] = (block == b).astype(float)
    X["missing_baseline"] = missing
    y = pd.Series(0.001 * X["treat"] + baseline + rng.normal(0, 0.002, n))
    return y, X


@pytest.mark.parametrize("se", SE_TYPES)
def test_a_spanned_missing_baseline_dummy_is_dropped(se):
    y, X = strata_design()
    clusters = np.arange(len(X)) % 12 if se == "cluster" else None
    fit = fit_ols(y, X, se=se, clusters=clusters)
    without = fit_ols(y, X.drop(columns="missing_baseline"), se=se, clusters=clusters)
    assert fit.dropped == ("missing_baseline",)
    assert fit.terms == without.terms
    np.testing.assert_allclose(fit.coef, without.coef, rtol=1e-12)
    np.testing.assert_allclose(fit.se, without.se, rtol=1e-12)
    assert fit.estimate("treat") == pytest.approx(without.estimate("treat"), rel=1e-12)
    assert fit.df_resid == (11 if se == "cluster" else 96 - 6)


def test_the_later_of_collinear_columns_is_dropped():
    y, X = strata_design()
    first = X[["treat", "missing_baseline", "block1", "block2", "block3", "baseline"]]
    fit = fit_ols(y, first)
    assert fit.dropped == ("block3",)
    assert fit.estimate("treat") == pytest.approx(fit_ols(y, X).estimate("treat"), rel=1e-10)


@pytest.mark.parametrize(
    ("columns", "dropped"),
    [(["a", "b", "copy"], ("copy",)), (["copy", "b", "a"], ("a",)), (["one", "a"], ("one",))],
)
def test_duplicated_and_constant_columns_are_dropped_in_order(columns, dropped):
    y, X, _, _ = random_design()
    data = pd.DataFrame({"a": X["rate"], "b": X["pupils"], "copy": X["rate"], "one": 1.0})
    fit = fit_ols(y, data[columns])
    kept = [c for c in ["_cons", *columns] if c not in dropped]
    assert fit.dropped == dropped
    assert fit.terms == tuple(kept)
    np.testing.assert_allclose(
        fit.coef, statsmodels_fit(y, data[kept[1:]], "hc1").params, rtol=1e-9
    )


def test_collinearity_is_judged_relative_to_each_columns_scale():
    y, X, _, _ = random_design()
    data = X.assign(
        zero=0.0,
        tiny_rate=X["rate"] * 1e-9,  # the same information as rate, on another scale: dropped
        combo=300 * X["rate"] + 1e-6 * X["pupils"] - 2 * X["urban"],  # a combination: dropped
        tiny_noise=np.random.default_rng(9).standard_normal(len(X)) * 1e-9,  # new: kept
    )
    fit = fit_ols(y, data)
    assert fit.dropped == ("zero", "tiny_rate", "combo")
    assert fit.terms[-1] == "tiny_noise"


@pytest.mark.parametrize("se", SE_TYPES)
def test_frequency_weights_equal_replicated_rows(se):
    y, X, _, clusters = random_design(n=60)
    counts = np.random.default_rng(4).integers(1, 5, len(X))
    g = clusters if se == "cluster" else None
    fit = fit_ols(y, X, se=se, clusters=g, weights=counts, weight_kind="frequency")
    rows = np.repeat(np.arange(len(X)), counts)
    long = fit_ols(
        y.iloc[rows].reset_index(drop=True),
        X.iloc[rows].reset_index(drop=True),
        se=se,
        clusters=None if g is None else g[rows],
    )
    np.testing.assert_allclose(fit.coef, long.coef, rtol=1e-9)
    np.testing.assert_allclose(fit.se, long.se, rtol=1e-9)
    assert (fit.nobs, fit.df_resid, fit.r2) == (long.nobs, long.df_resid, pytest.approx(long.r2))
    assert fit.nobs == counts.sum()


@settings(max_examples=40, deadline=None)
@given(
    order=st.permutations(range(40)),
    se=st.sampled_from(SE_TYPES),
    weight_kind=st.sampled_from(["analytic", "frequency"]),
)
def test_the_order_of_rows_does_not_matter(order, se, weight_kind):
    y, X, weights, clusters = random_design(seed=7, n=40)
    weights = np.ceil(weights)
    clusters = clusters % 6
    g = clusters if se == "cluster" else None
    options = {"se": se, "weights": weights, "weight_kind": weight_kind}
    fit = fit_ols(y, X, clusters=g, **options)
    rows = list(order)
    shuffled = fit_ols(
        y.iloc[rows],
        X.iloc[rows],
        clusters=None if g is None else g[rows],
        **{**options, "weights": weights[rows]},
    )
    np.testing.assert_allclose(shuffled.coef, fit.coef, rtol=1e-9)
    np.testing.assert_allclose(
        shuffled.vcov, fit.vcov, rtol=1e-9, atol=1e-9 * np.abs(fit.vcov).max()
    )


def test_tidy_estimate_and_to_dict_agree():
    y, X, _, _ = random_design()
    fit = fit_ols(y, X, alpha=0.1)
    tidy = fit.tidy()
    assert list(tidy.columns) == ["term", "coef", "se", "t", "p_value", "ci_low", "ci_high"]
    treat = tidy.set_index("term").loc["treat"]
    assert fit.estimate("treat") == (
        treat["coef"],
        treat["se"],
        treat["p_value"],
        treat["ci_low"],
        treat["ci_high"],
    )
    reference = statsmodels_fit(y, X, "hc1").conf_int(alpha=0.1).loc["treat"]
    assert (treat["ci_low"], treat["ci_high"]) == pytest.approx(tuple(reference), rel=1e-9)
    as_json = json.loads(json.dumps(fit.to_dict()))
    assert as_json["terms"] == list(fit.terms)
    assert as_json["estimates"][1]["coef"] == fit.coef[1]
    assert as_json["vcov"] == fit.vcov.tolist()
    assert as_json["nobs"] == 240


def test_results_cannot_be_changed_in_place():
    y, X, _, _ = random_design()
    fit = fit_ols(y, X)
    with pytest.raises(ValueError, match="read-only"):
        fit.coef[0] = 0.0


def _with(frame, column, row, value):
    frame = frame.copy()
    frame[column] = frame[column].astype(object if isinstance(value, str) else float)
    frame.loc[row, column] = value
    return frame


Y, X30, W30, G30 = random_design(n=30)
X30.index = Y.index = pd.RangeIndex(100, 130)
ERRORS = {
    "unknown se": (
        {"se": "robust"},
        MSG_UNKNOWN_SE.format(se="robust", choices=["hc1", "hc2", "hc3", "classical", "cluster"]),
    ),
    "unknown weight kind": (
        {"weight_kind": "pweight"},
        MSG_UNKNOWN_WEIGHT_KIND.format(kind="pweight", choices=["analytic", "frequency"]),
    ),
    "alpha": ({"alpha": 5}, MSG_ALPHA.format(alpha=5)),
    "cluster without clusters": ({"se": "cluster"}, MSG_CLUSTERS_REQUIRED),
    "clusters without cluster": ({"clusters": G30}, MSG_CLUSTERS_UNUSED.format(se="hc1")),
    "y too short": ({"y": Y.to_numpy()[:-1]}, MSG_LENGTH.format(what="y", n=29, nx=30)),
    "weights too long": ({"weights": np.ones(31)}, MSG_LENGTH.format(what="weights", n=31, nx=30)),
    "clusters too short": (
        {"se": "cluster", "clusters": G30[:5]},
        MSG_LENGTH.format(what="clusters", n=5, nx=30),
    ),
    "y indexed differently": ({"y": Y.reset_index(drop=True)}, MSG_INDEX.format(what="y")),
    "missing in y": ({"y": Y.where(Y.index != 104)}, MSG_MISSING.format(column="outcome", row=104)),
    "missing in X": (
        {"X": _with(X30, "rate", 107, np.nan)},
        MSG_MISSING.format(column="rate", row=107),
    ),
    "infinite in X": (
        {"X": _with(X30, "pupils", 101, np.inf)},
        MSG_MISSING.format(column="pupils", row=101),
    ),
    "text in X": ({"X": _with(X30, "urban", 101, "yes")}, MSG_NOT_NUMERIC.format(column="urban")),
    "missing weight": (
        {"weights": np.where(np.arange(30) == 3, np.nan, W30)},
        MSG_MISSING.format(column="weights", row=103),
    ),
    "missing cluster": (
        {"se": "cluster", "clusters": np.where(np.arange(30) == 8, None, G30)},
        MSG_MISSING.format(column="clusters", row=108),
    ),
    "zero weight": (
        {"weights": np.where(np.arange(30) == 2, 0.0, W30)},
        MSG_WEIGHT_POSITIVE.format(row=102, value=0.0),
    ),
    "negative weight": (
        {"weights": np.where(np.arange(30) == 5, -1.5, W30)},
        MSG_WEIGHT_POSITIVE.format(row=105, value=-1.5),
    ),
    "fractional frequency weight": (
        {"weights": np.where(np.arange(30) == 6, 1.5, 2.0), "weight_kind": "frequency"},
        MSG_WEIGHT_WHOLE.format(row=106, value=1.5),
    ),
    "too few observations": (
        {"y": Y.iloc[:5], "X": X30.iloc[:5]},
        MSG_TOO_FEW_OBS.format(n=5, k=5),
    ),
    "one cluster": (
        {"se": "cluster", "clusters": np.zeros(30)},
        MSG_TOO_FEW_CLUSTERS.format(g=1),
    ),
    "duplicate names": (
        {"X": pd.concat([X30, X30[["rate"]]], axis=1)},
        MSG_DUPLICATE_NAME.format(name="rate"),
    ),
    "a column named _cons": ({"X": X30.assign(_cons=1.0)}, MSG_DUPLICATE_NAME.format(name="_cons")),
    "no regressors": ({"X": X30[[]], "constant": False}, MSG_NO_REGRESSORS),
    "only zero columns": ({"X": X30[[]].assign(z=0.0), "constant": False}, MSG_NO_REGRESSORS),
    "leverage one": (
        {"X": X30.assign(single=(X30.index == 110).astype(float)), "se": "hc2"},
        MSG_LEVERAGE_ONE.format(row=110, se="hc2"),
    ),
}


@pytest.mark.parametrize(("changes", "message"), ERRORS.values(), ids=ERRORS.keys())
def test_bad_input_is_refused_with_its_message(changes, message):
    arguments = {"y": Y, "X": X30, "se": "hc1"} | changes
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        fit_ols(**arguments)


def test_estimate_refuses_unknown_and_dropped_terms():
    fit = fit_ols(Y, X30.assign(again=X30["rate"]))
    with pytest.raises(InputError, match=re.escape(MSG_DROPPED_TERM.format(term="again"))):
        fit.estimate("again")
    unknown = MSG_UNKNOWN_TERM.format(term="nope", terms=list(fit.terms))
    with pytest.raises(InputError, match=re.escape(unknown)):
        fit.estimate("nope")
