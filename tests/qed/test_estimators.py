"""The comparison's estimators against independent references: statsmodels' GLM with its own
robust and clustered covariances, rates and proportions by hand, statsmodels' Newcombe interval,
and the difference-in-differences interaction against the ratio of the four cell rates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.proportion import confint_proportions_2indep

from threshold.model import InputError
from threshold.qed import compare, fit_counts, proportion_difference
from threshold.qed.api import (
    MSG_COST_NEEDS_ROLLOUT,
    MSG_EARLIER_PAIR,
    MSG_EXPOSURE,
    MSG_MISSING_COLUMN,
    MSG_NO_TREATED,
    MSG_NOT_NUMERIC,
    MSG_OPTION,
    MSG_WEIGHTING_NEEDS_COVARIATES,
)
from threshold.synth import dsl_call_world

OPTIONS = {"group": "group", "treated": "trained", "count": "calls", "exposure": "dsl_years"}


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    data = dsl_call_world(11, n_trained=120, n_comparison=400, selection=0.8).records
    rng = np.random.default_rng(3)
    return data.assign(dsl_years=rng.uniform(0.5, 1.5, len(data)).round(2))


def design(records: pd.DataFrame, *covariates: str) -> pd.DataFrame:
    X = pd.DataFrame({"const": 1.0, "treated": (records["group"] == "trained").astype(float)})
    return pd.concat([X, records[list(covariates)].astype(float)], axis=1)


def test_rates_by_group_are_totals_over_exposure(records: pd.DataFrame) -> None:
    result = compare(records, **OPTIONS)
    for g, label in zip(result.groups, ("trained", "comparison"), strict=True):
        rows = records[records["group"] == label]
        assert g.units == len(rows)
        assert g.rate == pytest.approx(rows["calls"].sum() / rows["dsl_years"].sum(), rel=1e-12)
        assert g.share_any == pytest.approx((rows["calls"] > 0).mean(), rel=1e-12)


def test_unadjusted_rate_ratio_is_the_ratio_of_rates(records: pd.DataFrame) -> None:
    result = compare(records, **OPTIONS)
    trained, comparison = result.groups
    assert result.rate_ratio.estimate == pytest.approx(trained.rate / comparison.rate, rel=1e-8)
    assert result.rate_ratio.reduction == pytest.approx(1 - trained.rate / comparison.rate)


@pytest.mark.parametrize("covariates", [(), ("pupils_hundreds", "primary")])
def test_poisson_matches_statsmodels_glm_robust(
    records: pd.DataFrame, covariates: tuple[str, ...]
) -> None:
    X = design(records, *covariates)
    y, e = records["calls"].to_numpy(float), records["dsl_years"].to_numpy(float)
    ours = fit_counts(y, X, e)
    ref = sm.GLM(y, X, family=sm.families.Poisson(), exposure=e).fit(cov_type="HC0")
    n = len(y)
    np.testing.assert_allclose(ours.params, ref.params, rtol=1e-8)
    np.testing.assert_allclose(ours.vcov, ref.cov_params() * n / (n - 1), rtol=1e-6)
    result = compare(records, covariates=covariates, **OPTIONS)
    b, se = ref.params["treated"], np.sqrt(ref.cov_params().loc["treated", "treated"] * n / (n - 1))
    assert result.rate_ratio.estimate == pytest.approx(np.exp(b), rel=1e-8)
    assert result.rate_ratio.ci_low == pytest.approx(np.exp(b - 1.959963984540054 * se), rel=1e-6)


def test_clustered_errors_match_statsmodels(records: pd.DataFrame) -> None:
    X = design(records, "pupils_hundreds")
    y, e = records["calls"].to_numpy(float), records["dsl_years"].to_numpy(float)
    clusters = np.arange(len(y)) // 4
    ours = fit_counts(y, X, e, clusters=clusters)
    ref = sm.GLM(y, X, family=sm.families.Poisson(), exposure=e).fit(
        cov_type="cluster", cov_kwds={"groups": clusters, "use_correction": False}
    )
    g = clusters.max() + 1
    np.testing.assert_allclose(ours.vcov, ref.cov_params() * g / (g - 1), rtol=1e-6)


def test_negative_binomial_uses_the_ml_dispersion(records: pd.DataFrame) -> None:
    X = design(records)
    y, e = records["calls"].to_numpy(float), records["dsl_years"].to_numpy(float)
    ref = sm.NegativeBinomial(y, X, exposure=e).fit(disp=0, maxiter=200)
    ours = fit_counts(y, X, e, model="negbin")
    assert ours.dispersion == pytest.approx(ref.params.iloc[-1], rel=1e-6)
    np.testing.assert_allclose(ours.params, ref.params.iloc[:2], rtol=1e-4)
    result = compare(records, model="negbin", **OPTIONS)
    assert "negative binomial" in result.rate_ratio.specification.description


@pytest.mark.parametrize(("counts", "method"), [((8, 165, 207, 984), "newcombe")])
def test_newcombe_matches_statsmodels(counts: tuple[int, int, int, int], method: str) -> None:
    ours = proportion_difference(*counts, method, 0.05)
    low, high = confint_proportions_2indep(*counts, method="newcomb", compare="diff")
    assert ours[0] == pytest.approx(counts[0] / counts[1] - counts[2] / counts[3])
    assert ours[1:] == pytest.approx((low, high), rel=1e-10)


def test_wald_interval_by_hand() -> None:
    diff, low, high = proportion_difference(8, 165, 207, 984, "wald", 0.05)
    p1, p2 = 8 / 165, 207 / 984
    half = 1.959963984540054 * np.sqrt(p1 * (1 - p1) / 165 + p2 * (1 - p2) / 984)
    assert (low, high) == pytest.approx((diff - half, diff + half), rel=1e-10)


def test_did_interaction_is_the_ratio_of_rate_ratios(records: pd.DataFrame) -> None:
    result = compare(
        records,
        unit="dsl_id",
        earlier_count="earlier_calls",
        earlier_exposure="earlier_years",
        **OPTIONS,
    )
    assert result.did is not None
    rate = {
        (label, period): records.loc[records["group"] == label, count].sum()
        / records.loc[records["group"] == label, exposure].sum()
        for label in ("trained", "comparison")
        for period, count, exposure in (
            (0, "earlier_calls", "earlier_years"),
            (1, "calls", "dsl_years"),
        )
    }
    expected = (rate["trained", 1] / rate["trained", 0]) / (
        rate["comparison", 1] / rate["comparison", 0]
    )
    assert result.did.estimate == pytest.approx(expected, rel=1e-8)
    assert result.did.specification.se == "cluster"


def test_did_standard_error_matches_statsmodels_clustered(records: pd.DataFrame) -> None:
    result = compare(
        records,
        unit="dsl_id",
        earlier_count="earlier_calls",
        earlier_exposure="earlier_years",
        **OPTIONS,
    )
    n = len(records)
    treated = np.tile((records["group"] == "trained").to_numpy(float), 2)
    post = np.r_[np.zeros(n), np.ones(n)]
    X = pd.DataFrame({"c": 1.0, "t": treated, "p": post, "tp": treated * post})
    y = np.r_[records["earlier_calls"], records["calls"]].astype(float)
    e = np.r_[records["earlier_years"], records["dsl_years"]].astype(float)
    groups = np.tile(np.arange(n), 2)
    ref = sm.GLM(y, X, family=sm.families.Poisson(), exposure=e).fit(
        cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False}
    )
    se = np.sqrt(ref.cov_params().loc["tp", "tp"] * n / (n - 1))
    assert result.did is not None
    assert result.did.log_se == pytest.approx(se, rel=1e-6)


def test_savings_transform_the_rate_ratio_interval(records: pd.DataFrame) -> None:
    result = compare(records, rollout=1000, cost_per_call=250.0, **OPTIONS)
    s, rr = result.savings, result.rate_ratio
    assert s is not None
    comparison = result.groups[1].rate
    assert s.calls_avoided == pytest.approx(1000 * (comparison - result.groups[0].rate), rel=1e-8)
    assert s.calls_ci == pytest.approx(
        (1000 * comparison * (1 - rr.ci_high), 1000 * comparison * (1 - rr.ci_low)), rel=1e-8
    )
    assert s.saving == pytest.approx(250 * s.calls_avoided)
    low, high = s.calls_simulated_ci
    assert low < s.calls_avoided < high
    again = compare(records, rollout=1000, cost_per_call=250.0, **OPTIONS)
    assert again.savings is not None
    assert again.savings.calls_simulated_ci == s.calls_simulated_ci  # seeded


def test_results_tidy_and_to_dict(records: pd.DataFrame) -> None:
    result = compare(records, rollout=100, cost_per_call=10.0, **OPTIONS)
    tidy = result.tidy()
    assert list(tidy.columns) == ["name", "estimate", "ci_low", "ci_high", "specification"]
    assert "saving a year" in set(tidy["name"])
    as_dict = result.to_dict()
    assert as_dict["rate_ratio"]["specification"]["model"] == "poisson"
    assert "not randomised" in as_dict["caveat"]
    assert as_dict["config"]["rollout"] == 100
    assert as_dict["savings"]["seed"] == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"count": "nope"}, MSG_MISSING_COLUMN.split("{")[0]),
        (
            {"treated": "absent"},
            MSG_NO_TREATED.split(":")[0].format(column="group", value="absent"),
        ),
        (
            {"model": "ols"},
            MSG_OPTION.format(name="model", value="ols", choices=["poisson", "negbin"]),
        ),
        ({"earlier_count": "earlier_calls"}, MSG_EARLIER_PAIR),
        ({"cost_per_call": 10.0}, MSG_COST_NEEDS_ROLLOUT),
        ({"weighting": "ipw"}, MSG_WEIGHTING_NEEDS_COVARIATES.format(method="ipw")),
    ],
)
def test_user_errors_name_the_fix(records: pd.DataFrame, options: dict, message: str) -> None:
    with pytest.raises(InputError, match=None) as error:
        compare(records, **(OPTIONS | options))
    assert message in str(error.value)


def test_bad_values_name_the_row(records: pd.DataFrame) -> None:
    bad = records.assign(dsl_years=records["dsl_years"].where(records.index != 4, 0.0))
    with pytest.raises(InputError) as error:
        compare(bad, **OPTIONS)
    assert str(error.value) == MSG_EXPOSURE.format(column="dsl_years", row=5, value=0.0)
    text = records.astype({"calls": object})
    text.loc[2, "calls"] = "many"
    with pytest.raises(InputError) as error:
        compare(text, **OPTIONS)
    assert str(error.value) == MSG_NOT_NUMERIC.format(column="calls", row=3, value="many")
