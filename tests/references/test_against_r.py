"""Threshold's estimators against outputs stored from R (`regenerate.R`; provenance in each
output and in README.md)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from threshold.analysis import fit_ols
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
