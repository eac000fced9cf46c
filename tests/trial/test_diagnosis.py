"""Design diagnosis: the batched estimator equals statsmodels' OLS with HC1, and the
simulation is calibrated (type I error, coverage, bias, and power at the computed MDES)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from threshold.model.errors import InputError
from threshold.trial import Design, RandomisationSpec, draw_assignments, mdes, randomise
from threshold.trial.diagnosis import diagnose, fit_many, treatment_coefs

THRESHOLD = Path(sys.executable).parent / "threshold"


def _blocked_units(n: int = 120, blocks: int = 6) -> pd.DataFrame:
    return pd.DataFrame({"unit": range(n), "block": np.arange(n) % blocks})


def test_batched_fits_equal_statsmodels_hc1_with_a_collinear_dummy_dropped():
    rng = np.random.default_rng(5)
    n, k = 90, 6
    blocks = np.repeat(np.arange(3), 30)
    baseline = rng.gamma(2, 1, n)
    missing = (blocks == 2).astype(float)  # a whole block lacks baseline: spanned by block dummies
    baseline[missing == 1] = 0
    dummies = np.column_stack([(blocks == b).astype(float) for b in (1, 2)])
    covariates = np.column_stack([np.ones(n), baseline, missing, dummies])
    treated = np.column_stack([rng.permutation(np.repeat([0.0, 1.0], n // 2)) for _ in range(k)])
    outcomes = (
        0.3 * treated
        + baseline[:, None]
        + rng.standard_normal((n, k)) * rng.gamma(1, 1, n)[:, None]
    )
    fits = fit_many(outcomes, treated, covariates)
    full_rank = np.column_stack([np.ones(n), baseline, dummies])  # the missing dummy is redundant
    for j in range(k):
        reference = sm.OLS(outcomes[:, j], np.column_stack([treated[:, j], full_rank])).fit(
            cov_type="HC1"
        )
        assert fits.coef[j] == pytest.approx(reference.params[0], rel=1e-10)
        assert fits.se[j] == pytest.approx(reference.bse[0], rel=1e-10)
    assert fits.df == n - 5


def test_many_assignments_of_one_outcome_give_the_batched_fits_coefficients():
    rng = np.random.default_rng(6)
    n, k = 80, 40
    blocks = np.repeat(np.arange(4), 20)
    baseline = rng.gamma(2, 1, n)
    covariates = np.column_stack(
        [np.ones(n), baseline, *[(blocks == b).astype(float) for b in (1, 2, 3)]]
    )
    treated = np.column_stack([rng.permutation(np.repeat([0.0, 1.0], n // 2)) for _ in range(k)])
    y = baseline + rng.standard_normal(n)
    coefs = treatment_coefs(y, treated.T, covariates)
    expected = fit_many(np.repeat(y[:, None], k, axis=1), treated, covariates).coef
    np.testing.assert_allclose(coefs, expected, rtol=1e-10)
    assert len(set(np.round(coefs, 8))) > k // 2  # the assignments differ, so do the estimates


def test_one_batched_draw_is_the_allocation_randomise_gives():
    units = _blocked_units(40, 3)
    for method in ("alternating", "blocked"):
        spec = RandomisationSpec(unit="unit", method=method, block_by=("block",), ratio=(1, 1))
        allocation = randomise(units, spec, np.random.default_rng(9))
        treated, numbers, order = draw_assignments(
            units["block"].astype(str).to_numpy(), spec, np.random.default_rng(9), 1
        )
        assert (treated[0] == (allocation["arm"] == "treatment").to_numpy()).all()
        assert (numbers[0] == allocation["random_number"].to_numpy()).all()
        assert (order[0] == allocation["order"].to_numpy()).all()


def test_many_draws_keep_every_block_balanced():
    blocks = np.repeat(["a", "b", "c"], [5, 8, 3])
    spec = RandomisationSpec(unit="unit", block_by=("block",))
    treated, _, _ = draw_assignments(blocks, spec, np.random.default_rng(1), 500)
    for name in "abc":
        in_block = treated[:, blocks == name]
        assert np.abs(2 * in_block.sum(axis=1) - in_block.shape[1]).max() <= 1
    assert 0.45 < treated.mean() < 0.55


def test_simulation_is_calibrated_at_zero_effect_and_powered_at_the_mdes():
    units = _blocked_units(308, 22)
    spec = RandomisationSpec(unit="unit", block_by=("block",))
    target = mdes(Design(units=308, r2=0.5, blocks=22, covariates=1)).effect
    result = diagnose(
        units, spec, effect_sd=target, rng=np.random.default_rng(2), replicates=4000, r2=0.5
    )
    assert 0.035 <= result.type_i_error <= 0.065
    assert 0.935 <= result.coverage <= 0.965
    assert abs(result.bias) < 0.02
    assert result.power == pytest.approx(0.80, abs=0.03)
    assert result.mean_se == pytest.approx(result.sd_estimate, rel=0.05)


def test_design_based_diagnosis_of_a_skewed_zero_heavy_outcome():
    rng = np.random.default_rng(3)
    units = _blocked_units(300, 10)
    units["rate"] = rng.poisson(rng.gamma(0.5, 8, 300)) / 1000
    units["baseline"] = np.where(
        units["block"] < 3, np.nan, units["rate"] * rng.uniform(0.5, 1.5, 300)
    )
    spec = RandomisationSpec(unit="unit", block_by=("block",))
    result = diagnose(
        units,
        spec,
        effect_sd=0.0,
        rng=np.random.default_rng(4),
        replicates=3000,
        outcome="rate",
        baseline="baseline",
    )
    assert 0.03 <= result.type_i_error <= 0.07
    assert abs(result.bias) < 0.02 * units["rate"].std()


def test_bad_inputs_are_refused():
    units = _blocked_units(20, 2)
    units.loc[3, "unit"] = 2
    with pytest.raises(InputError, match="repeats 2"):
        diagnose(units, RandomisationSpec(unit="unit"), effect_sd=0.1, rng=np.random.default_rng(0))
    with pytest.raises(InputError, match="replicates=5 must be at least 10"):
        diagnose(
            _blocked_units(),
            RandomisationSpec(unit="unit"),
            effect_sd=0.1,
            rng=np.random.default_rng(0),
            replicates=5,
        )
    text = _blocked_units().assign(y="x")
    with pytest.raises(InputError, match="outcome column 'y' must be numeric"):
        diagnose(
            text,
            RandomisationSpec(unit="unit"),
            effect_sd=0.1,
            rng=np.random.default_rng(0),
            outcome="y",
        )


def test_cli_diagnose_json():
    result = subprocess.run(
        [
            THRESHOLD,
            "design",
            "diagnose",
            "--effect",
            "0",
            "--replicates",
            "500",
            "--seed",
            "3",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    output = json.loads(result.stdout)
    assert output["replicates"] == 500
    assert output["units"] == 308
    assert 0.02 < output["type_i_error"] < 0.09


def test_cli_diagnoses_a_synthetic_worlds_primary_outcome():
    result = subprocess.run(
        [
            THRESHOLD,
            "design",
            "diagnose",
            "--effect",
            "0.25",
            "--world-seed",
            "3",
            "--replicates",
            "1000",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    output = json.loads(result.stdout)
    assert 250 < output["units"] < 308  # the withdrawn LA's schools are not analysed
    assert output["spec"]["median_split"] == "pct_fsm"
    assert output["power"] > 0.5
    assert 0.9 < output["coverage"] < 0.98


@pytest.mark.parametrize(("units", "blocks"), [(30, 30), (30, 40), (20, 19)])
def test_more_blocks_than_the_estimator_can_carry_is_refused(units, blocks):
    """Once power 0, coverage 0 and SE NaN were reported as if they were a diagnosis."""
    frame = pd.DataFrame({"unit": np.arange(units), "block": np.arange(units) % blocks})
    spec = RandomisationSpec(unit="unit", method="alternating", block_by=("block",))
    with pytest.raises(InputError, match=r"residual degrees of freedom .* no block-adjusted"):
        diagnose(frame, spec, effect_sd=0.3, rng=np.random.default_rng(0), replicates=50)
