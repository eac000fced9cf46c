"""ITT estimates: the same numbers as an independent statsmodels fit, Glass's Δ and Hochberg as
defined, missing outcomes as missing, and calibration over 1,000 re-randomised trials."""

from __future__ import annotations

import dataclasses
import tomllib

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from threshold.analysis.data import AnalysisData, assemble
from threshold.analysis.impact import adjust_p_values, estimate_itt
from threshold.model.errors import InputError
from threshold.synth import WorldConfig, synthesise
from threshold.trial import EVALUATION_DESIGN, draw_assignments, randomise_as_evaluated
from threshold.trial.protocol import parse_protocol, template


@pytest.fixture(scope="module")
def data() -> AnalysisData:
    world = synthesise(WorldConfig(seed=31), randomise_as_evaluated)
    return assemble(world.tables, parse_protocol(tomllib.loads(template())))


def test_primary_estimate_equals_an_independent_statsmodels_fit(data):
    estimate = estimate_itt(data, "nfa_contacts")
    units, outcome = data.units, data.outcomes["nfa_contacts"]
    sample = ~units["withdrawn"] & outcome["y"].notna()
    blocks = pd.get_dummies(units.loc[sample, "block"], dtype=float, drop_first=True)
    design = pd.concat(
        [
            units.loc[sample, "treated"],
            outcome.loc[sample, "baseline"].fillna(0).rename("baseline"),
            blocks,
        ],
        axis=1,
    )  # the missing-baseline dummy is spanned by the blocks of the LAs without baseline data
    reference = sm.OLS(outcome.loc[sample, "y"], sm.add_constant(design)).fit(
        cov_type="HC1", use_t=True
    )
    assert estimate.coef == pytest.approx(reference.params["treated"], rel=1e-9)
    assert estimate.se == pytest.approx(reference.bse["treated"], rel=1e-9)
    assert estimate.p_value == pytest.approx(reference.pvalues["treated"], rel=1e-6, abs=1e-12)
    assert estimate.dropped == ("baseline_missing",)  # dropped and reported, as Stata does
    control = outcome.loc[sample & (units["treated"] == 0), "y"]
    assert estimate.glass_delta == pytest.approx(estimate.coef / control.std(ddof=1))
    assert estimate.glass_ci_low == pytest.approx(estimate.ci_low / control.std(ddof=1))
    assert estimate.pct_point == pytest.approx(100 * estimate.coef)
    assert estimate.n_treatment + estimate.n_control == sample.sum()
    assert estimate.control.mean == pytest.approx(control.mean())
    withdrawn_controls = (units["withdrawn"] & (units["treated"] == 0)).sum()
    assert estimate.control.n_missing == withdrawn_controls


def test_hochberg_adjusts_secondary_outcomes_only():
    base = estimate_itt_stub()
    estimates = [
        dataclasses.replace(base, outcome="p", analysis="primary", p_value=0.03),
        *(
            dataclasses.replace(base, outcome=f"s{i}", analysis="secondary", p_value=p)
            for i, p in enumerate([0.01, 0.02, 0.03, 0.04])
        ),
    ]
    adjusted = adjust_p_values(estimates, "hochberg")
    assert adjusted[0].p_adjusted is None
    # Hochberg by hand: p(i) -> min over k >= i of (m - k + 1) p(k) = 0.04 for each here.
    assert [e.p_adjusted for e in adjusted[1:]] == pytest.approx([0.04] * 4)
    holm = adjust_p_values(estimates, "holm")
    assert [e.p_adjusted for e in holm[1:]] == pytest.approx([0.04, 0.06, 0.06, 0.06])
    with pytest.raises(InputError, match="multiplicity method 'fdr'"):
        adjust_p_values(estimates, "fdr")


def estimate_itt_stub():
    world = synthesise(WorldConfig(seed=32, n_schools=60), randomise_as_evaluated)
    data = assemble(world.tables, parse_protocol(tomllib.loads(template())))
    return estimate_itt(data, "contacts")


def test_wellbeing_has_no_percentage_point_change_and_unknown_outcomes_are_refused(data):
    wellbeing = estimate_itt(data, "anxiety_contentment", per_pupil=False)
    assert wellbeing.pct_point is None
    with pytest.raises(InputError, match="no outcome 'calls'"):
        estimate_itt(data, "calls")


def test_calibration_over_re_randomised_trials(data):
    """1,000 trials re-randomised by the evaluation's own procedure, with the world's outcomes
    as fixed potential outcomes and a constant effect: CI coverage, type I error and bias."""
    units = data.units
    outcome = data.outcomes["nfa_contacts"]
    sd = outcome["y"].std()
    effect = 0.2 * sd
    treated, _, _ = draw_assignments(
        units["block"].astype(str).to_numpy(), EVALUATION_DESIGN, np.random.default_rng(2024), 1000
    )
    estimates, covered, rejected_at_zero = [], 0, 0
    for draw in treated:
        trial_units = units.assign(treated=draw.astype(float))
        shifted = outcome.assign(y=outcome["y"] + effect * draw)
        trial = AnalysisData(units=trial_units, outcomes={"nfa_contacts": shifted})
        estimate = estimate_itt(trial, "nfa_contacts")
        estimates.append(estimate.coef)
        covered += estimate.ci_low <= effect <= estimate.ci_high
        # With a constant additive effect, the test of zero effect on unshifted outcomes
        # rejects exactly when this interval misses the true effect.
        rejected_at_zero += not (estimate.ci_low <= effect <= estimate.ci_high)
    coverage = covered / len(treated)
    assert 0.935 <= coverage <= 0.965
    assert 0.035 <= rejected_at_zero / len(treated) <= 0.065
    assert abs(np.mean(estimates) - effect) / sd < 0.02
