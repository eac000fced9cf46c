"""Power calculations against published values and independent references.

Published values:
- The DSL supervision evaluation (NIESR for What Works for Children's Social Care): MDES 0.29
  with 308 schools and R² 0.2 at randomisation, 0.28 with 289 schools and R² 0.3 at analysis
  (α .05 two-sided, power .8, P .5).
- Dong & Maynard (2013), "PowerUp!", Journal of Research on Educational Effectiveness 6(1),
  24–67, as cross-checked in the PowerUpR package's documented examples: individual random
  assignment MDES .356 with n = 250; blocked individual assignment MDES .325 with n = 15 per
  block and J = 20 blocks (their fixed-effects design, df N − 2J; the constant-effect design
  Threshold uses, df N − J − 1, gives the same to 3 decimals); two-level cluster random
  assignment MDES .629 with ρ = .17, n = 15 and J = 20; and the inverse (power .80, required n
  or J) for each.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.power import TTestIndPower

from threshold.analysis import analyse_table
from threshold.model.errors import InputError
from threshold.trial import Design, mdes, power, required_units

THRESHOLD = Path(sys.executable).parent / "threshold"


@pytest.mark.parametrize(
    ("design", "published"),
    [
        (Design(units=308, r2=0.2), 0.29),
        (Design(units=289, r2=0.3), 0.28),
        (Design(units=250), 0.356),
        (Design(units=300, blocks=20), 0.325),
        (Design(units=20, cluster_size=15, icc=0.17), 0.629),
    ],
)
def test_mdes_matches_published_values(design, published):
    decimals = len(str(published).split(".")[1])
    assert round(mdes(design).effect, decimals) == published


@pytest.mark.parametrize(
    ("design", "effect"),
    [
        (Design(units=250), 0.356),
        (Design(units=300, blocks=20), 0.325),
        (Design(units=20, cluster_size=15, icc=0.17), 0.629),
    ],
)
def test_power_at_the_published_mdes_is_eighty_percent(design, effect):
    assert power(design, effect).power == pytest.approx(0.80, abs=0.002)


@pytest.mark.parametrize(
    ("design", "effect", "published"),
    [
        (Design(units=2), 0.356, 250),
        (Design(units=2, cluster_size=15, icc=0.17), 0.6291, 20),
    ],
)
def test_required_units_match_published_values(design, effect, published):
    assert required_units(design, effect).units == published


def test_large_sample_multiplier_is_about_2_8():
    """Bloom (1995, 2006): for α .05 two-sided and power .8, M → 1.96 + 0.84 ≈ 2.80."""
    assert mdes(Design(units=100_000)).multiplier == pytest.approx(2.8016, abs=0.001)


@pytest.mark.parametrize("units", [40, 120, 308])
def test_close_to_the_exact_noncentral_t_solution(units):
    """statsmodels solves the unadjusted two-sample t-test exactly (noncentral t); PowerUp!'s
    multiplier is an approximation that agrees to well under 1%."""
    exact = TTestIndPower().solve_power(nobs1=units / 2, ratio=1.0, alpha=0.05, power=0.8)
    assert mdes(Design(units=units)).effect == pytest.approx(exact, rel=0.01)


def test_attrition_and_allocation_share():
    full = mdes(Design(units=308, r2=0.2)).effect
    assert mdes(Design(units=308, r2=0.2, attrition=0.1)).effect == pytest.approx(
        mdes(Design(units=round(308 * 0.9), r2=0.2)).effect, rel=0.002
    )
    assert mdes(Design(units=308, r2=0.2, p_treat=0.3)).effect > full
    assert mdes(Design(units=308, r2=0.2, sides="one")).effect < full


@settings(max_examples=60, deadline=None)
@given(
    units=st.integers(20, 2000),
    r2=st.floats(0, 0.9),
    icc=st.floats(0.01, 0.5),
    size=st.integers(2, 60),
)
def test_properties(units, r2, icc, size):
    assert mdes(Design(units=units + 10, r2=r2)).effect < mdes(Design(units=units, r2=r2)).effect
    assert (
        mdes(Design(units=units, r2=min(r2 + 0.05, 0.95))).effect
        < mdes(Design(units=units, r2=r2)).effect
    )
    cluster = Design(units=units, cluster_size=size, icc=icc)
    assert (
        mdes(Design(units=units, cluster_size=size, icc=icc + 0.05)).effect > mdes(cluster).effect
    )
    found = mdes(cluster)
    assert power(cluster, found.effect).power == pytest.approx(0.8, abs=0.01)
    needed = required_units(Design(units=2, r2=r2), found.effect)
    assert mdes(needed.design).effect <= found.effect
    assert mdes(Design(units=needed.units - 1, r2=r2)).effect > found.effect


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"units": 1}, "units=1 must be at least 2"),
        ({"units": 100, "r2": 1.0}, "r2=1.0 must be from 0 up to"),
        ({"units": 100, "p_treat": 0}, "p_treat=0 must be between 0 and 1"),
        ({"units": 10, "blocks": 5, "cluster_size": 3}, "blocks=5 must be 0 for a cluster design"),
    ],
)
def test_bad_designs_are_refused(arguments, message):
    with pytest.raises(InputError, match=message):
        Design(**arguments)


def test_too_few_units_for_the_model_is_a_clear_error():
    with pytest.raises(InputError, match="degrees of freedom"):
        mdes(Design(units=10, blocks=9))


def test_a_blocked_designs_degrees_of_freedom_are_the_analysis_models():
    """Power for a blocked design uses the df of the model the analysis fits (block dummies, one
    treatment effect, the baseline): PowerUp!'s BIRA2_1c, not its fixed-effects-by-block 1f."""
    rng = np.random.default_rng(5)
    units = pd.DataFrame(
        {
            "arm": np.tile(["T", "C"], 154),
            "block": np.repeat(np.arange(22), 14).astype(str),
            "pre": rng.normal(size=308),
        }
    )
    units["post"] = units["pre"] + rng.normal(size=308)
    fitted = analyse_table(
        units, arm="arm", treatment="T", outcome="post", baseline="pre", strata="block",
        software="test",
    )  # fmt: skip
    design = Design(units=308, blocks=22, covariates=1)
    assert design.df == fitted.primary.specification["df_resid"] == 308 - 22 - 1 - 1


def test_cli_json_has_the_answer_and_echoes_the_inputs():
    result = subprocess.run(
        [THRESHOLD, "design", "mdes", "--units", "308", "--r2", "0.2", "--blocks", "22", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    output = json.loads(result.stdout)
    assert output["mdes"] == pytest.approx(mdes(Design(units=308, r2=0.2, blocks=22)).effect)
    assert output["inputs"] == {
        "units": 308,
        "r2": 0.2,
        "alpha": 0.05,
        "power": 0.8,
        "p_treat": 0.5,
        "sides": "two",
        "blocks": 22,
        "covariates": 0,
        "attrition": 0.0,
    }
    power_run = subprocess.run(
        [THRESHOLD, "design", "power", "--units", "250", "--effect", "0.356", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(power_run.stdout)["power"] == pytest.approx(0.8, abs=0.002)
    units_run = subprocess.run(
        [
            THRESHOLD,
            "design",
            "units",
            "--effect",
            "0.6291",
            "--cluster-size",
            "15",
            "--icc",
            "0.17",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(units_run.stdout)["units"] == 20


def test_cli_reports_bad_input_without_a_traceback():
    result = subprocess.run(
        [THRESHOLD, "design", "mdes", "--units", "1"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "units=1 must be at least 2" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("option", [{"icc": 0.1}, {"r2_within": 0.3}])
def test_a_cluster_parameter_without_a_cluster_size_is_refused(option):
    """Once `design mdes --icc 0.1` without --cluster-size silently ran a design of units."""
    with pytest.raises(InputError, match=r"describes a cluster design, but no cluster size"):
        Design(units=100, **option)
