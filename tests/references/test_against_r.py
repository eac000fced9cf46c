"""Threshold's estimators against outputs stored from R (`regenerate.R`; provenance in each
output and in README.md)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from threshold.analysis import analyse_table, fit_iv, fit_multilevel, fit_ols
from threshold.analysis.meta import Study, pool
from threshold.qed import fit_counts
from threshold.stats import sandwich, stata_factor

HERE = Path(__file__).resolve().parent


def output(name: str) -> dict:
    return json.loads((HERE / "outputs" / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cars() -> pd.DataFrame:
    return pd.read_csv(HERE / "data" / "mtcars.csv")


@pytest.mark.parametrize(("method", "key"), [("reml", "reml"), ("dl", "dl")])
def test_meta_analysis_matches_metafor(method, key):
    bcg = pd.read_csv(HERE / "data" / "bcg.csv")
    studies = [Study(t, y, np.sqrt(v)) for t, y, v in bcg.itertuples(index=False)]
    ours = pool(studies, outcome="log RR", measure="coef", method=method)
    r = output("meta_bcg")
    for model, fitted in ((ours.random, r[key]), (ours.fixed, r["fixed"])):
        for field in ("estimate", "se", "ci_low", "ci_high", "p_value"):
            assert getattr(model, field) == pytest.approx(fitted[field], rel=1e-9), field
    expected = r[key]
    assert ours.tau2 == pytest.approx(expected["tau2"], rel=1e-9)
    assert ours.i2 == pytest.approx(expected["i2"], rel=1e-9)
    assert ours.h2 == pytest.approx(expected["h2"], rel=1e-9)
    assert ours.q == pytest.approx(expected["q"], rel=1e-12)
    assert ours.q_p_value == pytest.approx(expected["q_p_value"], rel=1e-6)
    assert ours.prediction_low == pytest.approx(expected["prediction_low"], rel=1e-9)
    assert ours.prediction_high == pytest.approx(expected["prediction_high"], rel=1e-9)


@pytest.mark.parametrize("kind", ["hc1", "hc2", "hc3", "cluster_gear"])
def test_least_squares_standard_errors_match_sandwich(cars, kind):
    r = output("ols_mtcars")
    se = "cluster" if kind == "cluster_gear" else kind
    clusters = cars["gear"] if se == "cluster" else None
    fit = fit_ols(cars["mpg"], cars[["wt", "hp", "cyl6", "cyl8"]], se=se, clusters=clusters)
    names = {"_cons": "(Intercept)"}
    for term, value in zip(fit.terms, fit.se, strict=True):
        assert value == pytest.approx(r["se"][kind][names.get(term, term)], rel=1e-9), term
    for term, value in zip(fit.terms, fit.coef, strict=True):
        assert value == pytest.approx(r["coef"][names.get(term, term)], rel=1e-9), term


def test_poisson_robust_errors_match_statas_convention_in_r(cars):
    r = output("glm_mtcars")["poisson"]
    X = sm.add_constant(cars[["wt", "am"]].astype(float))
    fit = fit_counts(cars["carb"].to_numpy(float), X, np.ones(len(cars)))
    names = {"const": "(Intercept)"}
    for i, term in enumerate(fit.terms):
        assert fit.params[i] == pytest.approx(r["coef"][names.get(term, term)], rel=1e-7)
        assert np.sqrt(fit.vcov[i, i]) == pytest.approx(r["se"][names.get(term, term)], rel=1e-7)


def test_logit_robust_errors_match_statas_convention_in_r(cars):
    r = output("glm_mtcars")["logit"]
    X = sm.add_constant(cars[["mpg", "am"]].astype(float))
    model = sm.GLM(cars["vs"].to_numpy(float), X, family=sm.families.Binomial())
    params = model.fit().params.to_numpy()
    bread = np.linalg.inv(-model.hessian(params))
    vcov = sandwich(bread, model.score_obs(params), factor=stata_factor("ml", n=len(cars)))
    names = {"const": "(Intercept)"}
    for i, term in enumerate(X.columns):
        assert params[i] == pytest.approx(r["coef"][names.get(term, term)], rel=1e-7)
        assert np.sqrt(vcov[i, i]) == pytest.approx(r["se"][names.get(term, term)], rel=1e-7)


def _eef(name: str) -> pd.DataFrame:
    return pd.read_csv(HERE.parent / "data" / f"eefAnalytics_{name}Data.csv")


# REML tolerances: the random-intercept fit (crt) is interior and both optimisers reach the
# optimum to ~1e-8, so 1e-6. The multisite fit is on the boundary (intercept-slope correlation
# 1), where the REML surface is flat along the boundary and BFGS and bobyqa stop at points
# whose variances differ by up to ~4e-5 (the criteria by 1e-9): 1e-4 for variances, 1e-5 for
# fixed effects and their SEs.
@pytest.mark.parametrize(
    ("kind", "slope", "rel_fixed", "rel_variance"),
    [("crt", False, 1e-6, 1e-6), ("mst", True, 1e-5, 1e-4)],
)
def test_multilevel_fit_matches_lme4(kind, slope, rel_fixed, rel_variance):
    data = _eef(kind)
    fit = fit_multilevel(
        data["Posttest"],
        data[["Intervention", "Prettest"]],
        data["School"],
        kind=kind,
        term="Intervention",
    )
    r = output(f"multilevel_{kind}")
    names = {"const": "(Intercept)"}
    for term, coef, se in zip(fit.terms, fit.params, fit.bse, strict=True):
        assert coef == pytest.approx(r["conditional"]["coef"][names.get(term, term)], rel=rel_fixed)
        assert se == pytest.approx(r["conditional"]["se"][names.get(term, term)], rel=rel_fixed)
    variances = r["conditional"]["variances"]
    assert fit.conditional.between == pytest.approx(variances["(Intercept)"], rel=rel_variance)
    assert fit.conditional.within == pytest.approx(variances["Residual"], rel=rel_variance)
    if slope:
        assert fit.conditional.treatment == pytest.approx(
            variances["Intervention"], rel=rel_variance
        )
        assert fit.conditional.covariance == pytest.approx(
            variances["(Intercept):Intervention"], rel=rel_variance
        )
        assert r["conditional"]["singular"]
        assert fit.notes
    else:
        assert fit.conditional.treatment is None
        assert not fit.notes
    unconditional = r["unconditional"]["variances"]
    assert fit.unconditional.between == pytest.approx(unconditional["(Intercept)"], rel=1e-6)
    assert fit.unconditional.within == pytest.approx(unconditional["Residual"], rel=1e-6)
    assert fit.n == r["conditional"]["n"]


@pytest.mark.parametrize("name", ["crt", "mst"])
def test_hedges_g_conditional_and_unconditional_as_eefanalytics_defines_them(name):
    r = output("hedges_g")[name]
    data = pd.read_csv(HERE.parents[1] / "tests" / "data" / f"eefAnalytics_{name}Data.csv")
    results = analyse_table(
        data, arm="Intervention", treatment="1", outcome="Posttest", baseline="Prettest",
        software="test",
    )  # fmt: skip
    e = results.primary
    assert e.coef == pytest.approx(r["coef"], rel=1e-10)
    assert (e.n_treatment, e.n_control) == (r["n_t"], r["n_c"])
    for ours, theirs in (
        ((e.hedges_g, e.hedges_ci_low, e.hedges_ci_high), r["conditional"]),
        (
            (
                e.hedges_g_unconditional,
                e.hedges_unconditional_ci_low,
                e.hedges_unconditional_ci_high,
            ),
            r["unconditional"],
        ),
    ):
        assert ours == pytest.approx((theirs["g"], theirs["ci_low"], theirs["ci_high"]), rel=1e-10)


@pytest.mark.parametrize("kind", ["classical", "hc1", "cluster"])
def test_two_stage_least_squares_matches_aer_ivreg(kind):
    r = output("iv_cigarettes")
    cig = pd.read_csv(HERE / "data" / "cigarettes.csv")
    fit = fit_iv(
        cig["packs"],
        cig[["rincome"]],
        cig[["rprice"]],
        cig[["tdiff", "rtax"]],
        se=kind,
        clusters=cig["cluster"] if kind == "cluster" else None,
    )
    for term in ("rprice", "rincome"):
        effect = fit.estimate(term)
        assert effect.coef == pytest.approx(r["coef"][term], rel=1e-9)
        assert effect.se == pytest.approx(r["se"][kind][term], rel=1e-9)
