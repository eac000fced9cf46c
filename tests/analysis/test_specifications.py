"""Robustness and subgroup analyses of the primary outcome, each against an independent fit."""

from __future__ import annotations

import dataclasses
import tomllib

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from threshold.analysis import AnalysisData, assemble, estimate_itt, itt_design
from threshold.analysis import data as analysis_data
from threshold.analysis.specifications import (
    measured_variants,
    robustness_estimates,
    subgroup_estimates,
)
from threshold.synth import WorldConfig, synthesise
from threshold.trial import parse_protocol, randomise_as_evaluated, template


@pytest.fixture(scope="module")
def setting():
    world = synthesise(WorldConfig(seed=51), randomise_as_evaluated)
    raw = tomllib.loads(template())
    raw["robustness"].append(
        {"name": "without_981", "kind": "exclude", "variable": "la_code", "values": ["981"]}
    )
    protocol = parse_protocol(raw)
    data = assemble(world.tables, protocol)
    robustness = {
        e.analysis.removeprefix("robustness: "): e
        for e in robustness_estimates(world.tables, data, protocol)[0]
    }
    subgroups = {
        e.analysis.removeprefix("subgroup: "): e
        for e in subgroup_estimates(world.tables, data, protocol)[0]
    }
    return world, protocol, data, robustness, subgroups


def test_variants_built_with_the_protocols_outcomes_give_the_same_estimates(setting, monkeypatch):
    world, protocol, _, robustness, subgroups = setting
    build = analysis_data.build_measures
    calls = []

    def counted(*args):
        calls.append(args)
        return build(*args)

    monkeypatch.setattr(analysis_data, "build_measures", counted)
    data = assemble(world.tables, protocol, measured_variants(protocol))
    again = [
        *robustness_estimates(world.tables, data, protocol)[0],
        *subgroup_estimates(world.tables, data, protocol)[0],
    ]
    assert len(calls) == 1  # the alternative baseline and the windows were built with the rest
    assert [(e.analysis, e.coef, e.se, e.n_control) for e in again] == [
        (e.analysis, e.coef, e.se, e.n_control) for e in (*robustness.values(), *subgroups.values())
    ]


def _sample(data: AnalysisData) -> pd.Series:
    return ~data.units["withdrawn"] & data.outcomes["nfa_contacts"]["y"].notna()


def _reference(data: AnalysisData, y: pd.Series, sample: pd.Series, **fit):
    design = itt_design(data.units[sample], data.outcomes["nfa_contacts"]["baseline"][sample], ())
    design = design.drop(
        columns="baseline_missing"
    )  # spanned by the strata, as the estimate reports
    return sm.WLS(y[sample], sm.add_constant(design), **fit).fit(cov_type="HC1", use_t=True)


def test_every_planned_specification_is_estimated(setting):
    _, protocol, _, robustness, _ = setting
    names = {name.split(" (")[0] for name in robustness}
    assert names == {spec.name for spec in protocol.robustness}


def test_binary_outcome_is_a_linear_probability_model_of_any_nfa_contact(setting):
    _, _, data, robustness, _ = setting
    sample = _sample(data)
    any_nfa = (data.outcomes["nfa_contacts"]["y"] > 0).astype(float)
    reference = _reference(data, any_nfa, sample)
    linear = robustness["binary (linear probability)"]
    assert linear.coef == pytest.approx(reference.params["treated"], rel=1e-9)
    assert linear.se == pytest.approx(reference.bse["treated"], rel=1e-9)


def test_binary_outcome_by_logit_drops_blocks_without_variation(setting):
    _, _, data, robustness, _ = setting
    logit = robustness["binary (logit)"]
    assert logit.specification["odds_ratio"] == pytest.approx(np.exp(logit.coef))
    sample = _sample(data)
    any_nfa = (data.outcomes["nfa_contacts"]["y"] > 0).astype(float)
    grouped = any_nfa[sample].groupby(data.units.loc[sample, "block"])
    varies = (grouped.transform("max") > grouped.transform("min")).reindex(
        sample.index, fill_value=False
    )
    kept = sample & varies
    assert logit.specification["n"] == kept.sum()
    design = itt_design(data.units[kept], data.outcomes["nfa_contacts"]["baseline"][kept], ())
    design = sm.add_constant(design.drop(columns="baseline_missing"))
    reference = sm.Logit(any_nfa[kept], design).fit(disp=0, cov_type="HC0")
    n = int(kept.sum())
    stata_se = reference.bse["treated"] * np.sqrt(n / (n - 1))  # logit …, vce(robust)
    assert logit.coef == pytest.approx(reference.params["treated"], rel=1e-6)
    assert logit.se == pytest.approx(stata_se, rel=1e-5)
    assert logit.ci_low == pytest.approx(logit.coef - 1.959963984540054 * stata_se, rel=1e-5)
    assert "n/(n−1)" in logit.specification["standard_errors"]


def test_poisson_with_exposure_and_all_zero_blocks_dropped(setting):
    _, _, data, robustness, _ = setting
    estimate = robustness["poisson"]
    assert estimate.specification["incidence_rate_ratio"] == pytest.approx(np.exp(estimate.coef))
    sample = _sample(data)
    pupils = data.units["pupils_on_roll"].astype(float)
    counts = (data.outcomes["nfa_contacts"]["y"] * pupils).round()
    totals = counts[sample].groupby(data.units.loc[sample, "block"]).transform("sum")
    kept = sample & (totals > 0).reindex(sample.index, fill_value=False)
    assert estimate.specification["n"] == kept.sum()
    assert np.isnan(estimate.glass_delta)
    design = itt_design(data.units[kept], data.outcomes["nfa_contacts"]["baseline"][kept], ())
    design = sm.add_constant(design.drop(columns="baseline_missing"))
    reference = sm.GLM(
        counts[kept], design, family=sm.families.Poisson(), exposure=pupils[kept]
    ).fit(cov_type="HC0")
    n = int(kept.sum())
    assert estimate.coef == pytest.approx(reference.params["treated"], rel=1e-6)
    assert estimate.se == pytest.approx(reference.bse["treated"] * np.sqrt(n / (n - 1)), rel=1e-5)


def test_complete_case_uses_schools_with_a_baseline(setting):
    _, _, data, robustness, _ = setting
    with_baseline = (_sample(data) & data.outcomes["nfa_contacts"]["baseline"].notna()).sum()
    estimate = robustness["complete_case"]
    assert estimate.n_treatment + estimate.n_control == with_baseline
    assert estimate.dropped == ()


def test_pupil_weights_are_analytic_weights(setting):
    _, _, data, robustness, _ = setting
    sample = _sample(data)
    reference = _reference(
        data,
        data.outcomes["nfa_contacts"]["y"],
        sample,
        weights=data.units.loc[sample, "pupils_on_roll"].astype(float),
    )
    assert robustness["pupil_weights"].coef == pytest.approx(reference.params["treated"], rel=1e-9)
    assert robustness["pupil_weights"].se == pytest.approx(reference.bse["treated"], rel=1e-6)
    assert robustness["pupil_weights"].description == (
        "Weighted by pupils on roll (analytic weights on pupils_on_roll: Stata's aweight, "
        "not frequency weights)"
    )


def test_alternative_baseline_and_exclusion_change_the_sample_or_baseline(setting):
    _, _, data, robustness, _ = setting
    primary = estimate_itt(data, "nfa_contacts")
    assert robustness["alternative_baseline"].coef != pytest.approx(primary.coef, rel=1e-6)
    excluded = robustness["without_981"]
    in_981 = (_sample(data) & (data.units["la_code"] == "981")).sum()
    assert (
        excluded.n_treatment + excluded.n_control
        == primary.n_treatment + primary.n_control - in_981
    )


def test_timing_windows_split_the_year(setting):
    _, _, data, _, subgroups = setting
    autumn = next(
        e for name, e in subgroups.items() if name.startswith("timing") and "Sep 2021" in name
    )
    spring = next(
        e for name, e in subgroups.items() if name.startswith("timing") and "Mar 2022" in name
    )
    primary = estimate_itt(data, "nfa_contacts")
    # Sep–Feb and Mar–Jul together are the whole window, so the mean rates add up.
    assert autumn.control.mean + spring.control.mean == pytest.approx(
        primary.control.mean, rel=1e-9
    )
    assert autumn.specification["n"] == spring.specification["n"]


def test_interaction_matches_an_independent_interaction_model(setting):
    _, _, data, _, subgroups = setting
    key = next(name for name in subgroups if name.startswith("urban interaction"))
    sample = _sample(data)
    urban = (data.units["urban_rural"] == "urban").astype(float)
    design = itt_design(data.units[sample], data.outcomes["nfa_contacts"]["baseline"][sample], ())
    design = design.drop(columns="baseline_missing").assign(
        urban=urban[sample], treated_x=data.units["treated"][sample] * urban[sample]
    )
    reference = sm.OLS(data.outcomes["nfa_contacts"]["y"][sample], sm.add_constant(design)).fit(
        cov_type="HC1", use_t=True
    )
    assert subgroups[key].coef == pytest.approx(reference.params["treated_x"], rel=1e-9)
    assert subgroups[key].se == pytest.approx(reference.bse["treated_x"], rel=1e-9)


def test_within_level_estimates_need_enough_schools(setting):
    subgroups = setting[4]
    for name, estimate in subgroups.items():
        if " = " in name:
            assert min(estimate.n_treatment, estimate.n_control) >= 10, name
    assert dataclasses.is_dataclass(next(iter(subgroups.values())))


def _binary_only(protocol, outcome: pd.Series, data: AnalysisData):
    """The robustness analyses of a protocol with only the `binary` check, on `data` with the
    primary outcome replaced by `outcome`."""
    binary = [s for s in protocol.robustness if s.kind == "binary"]
    changed = dataclasses.replace(protocol, robustness=tuple(binary))
    frame = data.outcomes["nfa_contacts"].assign(y=outcome)
    return robustness_estimates({}, AnalysisData(data.units, {"nfa_contacts": frame}), changed)


def _half_the_blocks(data: AnalysisData) -> pd.Series:
    """Whether a school's block is in the first half of the blocks (by name)."""
    blocks = sorted(data.units["block"].unique())
    return data.units["block"].isin(blocks[: len(blocks) // 2])


def test_a_logit_with_every_block_dropped_is_a_note_not_a_number(setting):
    """In half the blocks every school had an NFA contact, in the other half none: no block
    varies, so the logit has no school left. The linear probability model is still reported;
    the logit is a note."""
    _, protocol, data, _, _ = setting
    estimates, notes = _binary_only(protocol, _half_the_blocks(data).astype(float), data)
    assert [e.analysis for e in estimates] == ["robustness: binary (linear probability)"]
    [note] = notes
    assert note.startswith("robustness: binary (logit): not estimated: after dropping the blocks")
    assert "0 schools remain (0 treatment, 0 control)" in note


def test_a_logit_the_arm_predicts_perfectly_is_a_note_not_a_number(setting):
    """Every school of half the blocks had an NFA contact (those blocks are dropped); in the
    others, treatment schools had one and control schools none: perfect separation, so no
    finite log odds ratio."""
    _, protocol, data, _, _ = setting
    treated = data.units["arm"] == "treatment"
    estimates, notes = _binary_only(
        protocol, (treated | _half_the_blocks(data)).astype(float), data
    )
    assert [e.analysis for e in estimates] == ["robustness: binary (linear probability)"]
    assert notes == [
        "robustness: binary (logit): not estimated: the arm and the other regressors predict "
        "every school's outcome perfectly (separation), so the model has no finite estimate"
    ]


def test_a_model_the_data_make_degenerate_is_a_note_and_the_run_goes_on(setting):
    """Every school had an NFA contact: the linear probability model's control SD is 0, so no
    standardised effect exists; the check is a note, not a failed analysis."""
    _, protocol, data, _, _ = setting
    everyone = pd.Series(1.0, index=data.units.index)
    estimates, notes = _binary_only(protocol, everyone, data)
    assert estimates == []
    assert notes == [
        "robustness: binary: not estimated: control_sd is 0.0: a standardised effect needs a "
        "positive standard deviation"
    ]
