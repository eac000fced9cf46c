"""Covariate weighting: entropy balancing reproduces the treated means exactly; IPW weights and
standardised mean differences against statsmodels' logit and a hand computation; weighting
removes the bias a confounder puts into the unadjusted comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from threshold.model import InputError
from threshold.qed import balance, balancing_weights, compare
from threshold.qed.weights import MSG_CONSTANT_COVARIATE, MSG_ENTROPY_FAILED
from threshold.synth import dsl_call_world

COVARIATES = ["pupils_hundreds", "primary"]
OPTIONS = {"group": "group", "treated": "trained", "count": "calls", "exposure": "dsl_years"}


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    return dsl_call_world(7, n_trained=200, n_comparison=800, selection=1.0).records


def treated_mask(records: pd.DataFrame) -> np.ndarray:
    return (records["group"] == "trained").to_numpy()


def test_entropy_balancing_matches_treated_means_exactly(records: pd.DataFrame) -> None:
    t = treated_mask(records)
    x = records[COVARIATES]
    w = balancing_weights(x, t, "entropy")
    assert np.all(w[t] == 1.0)
    assert w[~t].sum() == pytest.approx((~t).sum())
    for column in COVARIATES:
        weighted = np.average(x.loc[~t, column], weights=w[~t])
        assert weighted == pytest.approx(x.loc[t, column].mean(), rel=1e-8)


def test_ipw_weights_are_the_propensity_odds(records: pd.DataFrame) -> None:
    t = treated_mask(records)
    x = records[COVARIATES]
    w = balancing_weights(x, t, "ipw")
    p = sm.Logit(t.astype(float), sm.add_constant(x.astype(float))).fit(disp=0).predict()
    odds = (p / (1 - p))[~t]
    np.testing.assert_allclose(w[~t], odds * (~t).sum() / odds.sum(), rtol=1e-6)


def test_smds_and_effective_sample_size_by_hand(records: pd.DataFrame) -> None:
    t = treated_mask(records)
    x = records[COVARIATES]
    w = balancing_weights(x, t, "ipw")
    b = balance(x, t, w, "ipw")
    v = x["pupils_hundreds"].to_numpy()
    sd = np.sqrt((v[t].var(ddof=1) + v[~t].var(ddof=1)) / 2)
    row = b.table.set_index("covariate").loc["pupils_hundreds"]
    assert row["smd_before"] == pytest.approx((v[t].mean() - v[~t].mean()) / sd)
    after = (w[~t] * v[~t]).sum() / w[~t].sum()
    assert row["smd_after"] == pytest.approx((v[t].mean() - after) / sd)
    assert abs(row["smd_after"]) < 0.1 < abs(row["smd_before"])
    assert b.ess_after == pytest.approx(w[~t].sum() ** 2 / (w[~t] ** 2).sum())
    assert b.ess_after < b.ess_before == (~t).sum()


@pytest.mark.parametrize("method", ["ipw", "entropy"])
def test_weighting_reduces_confounding_bias(method: str) -> None:
    """Larger schools call more and train more: unadjusted overstates the rate ratio."""
    truth, unadjusted, weighted = 0.5, [], []
    for seed in range(8):
        world = dsl_call_world(
            seed,
            n_trained=300,
            n_comparison=900,
            rate_ratio=truth,
            selection=1.0,
            size_effect=0.1,
            frailty_shape=5.0,
        )
        unadjusted.append(np.log(compare(world.records, **OPTIONS).rate_ratio.estimate))
        adjusted = compare(world.records, covariates=COVARIATES, weighting=method, **OPTIONS)
        weighted.append(np.log(adjusted.rate_ratio.estimate))
        assert adjusted.balance is not None
        assert adjusted.rate_ratio.specification.weighting == method
    assert np.mean(unadjusted) - np.log(truth) > 0.15
    assert abs(np.mean(weighted) - np.log(truth)) < 0.06


def test_entropy_balancing_refuses_an_unreachable_target() -> None:
    x = pd.DataFrame({"a": [5.0, 6.0, 0.0, 1.0, 2.0]})
    t = np.array([True, True, False, False, False])
    with pytest.raises(InputError) as error:
        balancing_weights(x, t, "entropy")
    assert str(error.value) == MSG_ENTROPY_FAILED.format(covariates=["a"])


def test_constant_covariate_is_refused() -> None:
    x = pd.DataFrame({"a": [1.0, 1.0, 1.0, 1.0]})
    with pytest.raises(InputError) as error:
        balancing_weights(x, np.array([True, False, False, True]), "ipw")
    assert str(error.value) == MSG_CONSTANT_COVARIATE.format(column="a")
