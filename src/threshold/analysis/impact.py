"""Intention-to-treat impact estimates as in the evaluation: OLS of the outcome on assignment,
the baseline outcome (zero-imputed where missing, with a missing-baseline dummy) and strata
(block) dummies, with robust standard errors — HC1 (Stata's `robust`) by default."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from threshold.analysis.data import AnalysisData
from threshold.analysis.effects import glass_delta, glass_delta_sd_estimated, hedges_g, mean_ci
from threshold.analysis.ols import SE, Coefficient, fit_ols
from threshold.analysis.results import ArmSummary, Estimate
from threshold.model import Arm, InputError

MSG_UNKNOWN_OUTCOME = "no outcome {name!r} in the analysis data (outcomes: {known})"
MSG_EMPTY_ARM = "outcome {name!r}: no {arm} school has a value, so there is nothing to compare"
MSG_CONFOUNDED = (
    "outcome {name!r}: {term!r} is fully determined by the other regressors ({others}), for "
    "example every stratum holds one arm only, so there is no comparison to estimate; merge "
    "such strata or leave the confounded column out"
)
CONFOUNDED_TOLERANCE = 1e-10
"""A term whose residual on the other regressors keeps less than this share of its variation
is taken as fully determined by them."""
MSG_MULTIPLICITY = "multiplicity method {method!r} must be one of: hochberg, holm, bonferroni, none"

_MULTIPLETESTS = {"hochberg": "simes-hochberg", "holm": "holm", "bonferroni": "bonferroni"}


def estimate_itt(
    data: AnalysisData,
    outcome: str,
    *,
    analysis: str = "primary",
    description: str = "",
    se: SE = "hc1",
    alpha: float = 0.05,
    covariates: Sequence[str] = (),
    include: pd.Series | None = None,
    per_pupil: bool = True,
    weights: str | None = None,
    term: str = "treated",
    cluster_column: str = "block",
) -> Estimate:
    """The ITT estimate for one outcome over non-withdrawn schools with a value (and `include`).
    The % point change (coefficient × 100) is reported for per-pupil rates only. `weights`
    names a units column used as analytic weights (Stata's aweight; for example pupils on roll,
    so the estimate is per pupil rather than per school). `term` is the
    regressor reported (another than `treated` for an interaction among the covariates);
    se='cluster' clusters on the units column `cluster_column` (the strata, unless told)."""
    chosen = itt_sample(data, outcome, covariates, include=include, term=term)
    units, sample = data.units, chosen.sample
    clusters = units.loc[sample, cluster_column] if se == "cluster" else None
    weight = units.loc[sample, weights].astype(float) if weights else None
    fit = fit_ols(chosen.y, chosen.design, se=se, clusters=clusters, alpha=alpha, weights=weight)
    return itt_estimate(
        fit.estimate(term),
        data=data,
        chosen=chosen,
        outcome=outcome,
        analysis=analysis,
        description=description,
        alpha=alpha,
        per_pupil=per_pupil,
        dropped=fit.dropped,
        residual_sd=fit.root_mse,
        specification={
            "model": "OLS",
            "term": term,
            "outcome": outcome,
            "regressors": list(chosen.design.columns),
            "dropped_as_collinear": list(fit.dropped),
            "standard_errors": se,
            "covariates": list(covariates),
            "analytic_weights": weights,
            "sample": "randomised schools not withdrawn, with the outcome observed",
            "n": int(sample.sum()),
            "df_resid": fit.df_resid,
            "r2": fit.r2,
        },
    )


@dataclass(frozen=True, eq=False)
class ITTSample:
    """What an ITT model of one outcome is fitted to: which units (`sample`), which of them are
    treated, their outcome values and the design (treatment, baseline, strata, covariates)."""

    sample: pd.Series
    treated: pd.Series
    y: pd.Series
    design: pd.DataFrame


def itt_sample(
    data: AnalysisData,
    outcome: str,
    covariates: Sequence[str] = (),
    *,
    include: pd.Series | None = None,
    term: str = "treated",
) -> ITTSample:
    """The units not withdrawn with `outcome` observed (and in `include`) and their design;
    an arm with no value, or `term` determined by the other regressors, is an InputError."""
    if outcome not in data.outcomes:
        raise InputError(MSG_UNKNOWN_OUTCOME.format(name=outcome, known=", ".join(data.outcomes)))
    units, frame = data.units, data.outcomes[outcome]
    eligible = ~units["withdrawn"].astype(bool)
    if include is not None:
        eligible &= include.reindex(units.index).fillna(False).astype(bool)
    sample = eligible & frame["y"].notna()
    treated = units["treated"] == 1
    for arm, mask in ((Arm.TREATMENT, treated), (Arm.CONTROL, ~treated)):
        if not (sample & mask).any():
            raise InputError(MSG_EMPTY_ARM.format(name=outcome, arm=arm.value))
    design = itt_design(units.loc[sample], frame.loc[sample, "baseline"], covariates)
    refuse_confounded(design, term, outcome)
    return ITTSample(sample, treated, frame.loc[sample, "y"].astype(float), design)


def itt_estimate(
    effect: Coefficient,
    *,
    data: AnalysisData,
    chosen: ITTSample,
    outcome: str,
    analysis: str,
    description: str,
    alpha: float,
    per_pupil: bool,
    dropped: tuple[str, ...],
    specification: dict[str, object],
    residual_sd: float | None = None,
) -> Estimate:
    """The Estimate of `effect` fitted to `chosen`: its effect sizes (Hedges' g only with the
    model's `residual_sd`), each arm's unadjusted mean and n, and `specification` with the
    control group's SD, the outcome's SD and the residual SD."""
    sample, treated, y = chosen.sample, chosen.treated, chosen.y
    y_t, y_c = y[treated[sample]], y[~treated[sample]]
    control_sd, outcome_sd = float(y_c.std(ddof=1)), float(y.std(ddof=1))
    values = data.outcomes[outcome]["y"].reindex(data.units.index)
    fields = effect_fields(
        effect,
        control_sd=control_sd,
        n_treatment=len(y_t),
        n_control=len(y_c),
        per_pupil=per_pupil,
        residual_sd=residual_sd,
        outcome_sd=outcome_sd if residual_sd else None,
        alpha=alpha,
    )
    return Estimate(
        outcome=outcome,
        analysis=analysis,
        description=description,
        **fields,
        n_treatment=len(y_t),
        n_control=len(y_c),
        treatment=arm_summary(values, treated.to_numpy(), sample, alpha),
        control=arm_summary(values, ~treated.to_numpy(), sample, alpha),
        dropped=dropped,
        specification={
            **specification,
            "control_sd": control_sd,
            "outcome_sd": outcome_sd,
            "residual_sd": residual_sd,
        },
    )


def effect_fields(
    effect: Coefficient,
    *,
    control_sd: float,
    n_treatment: int,
    n_control: int,
    per_pupil: bool,
    residual_sd: float | None = None,
    outcome_sd: float | None = None,
    alpha: float = 0.05,
) -> dict[str, float | None]:
    """An estimate's coefficient, CI and p-value with the effect sizes derived from them:
    Glass's Δ (two intervals), Hedges' g conditional on `residual_sd` and unconditional on
    `outcome_sd` (each when given) and, for per-pupil outcomes only, the % point change."""
    ci = (effect.coef, effect.ci_low, effect.ci_high)
    delta = glass_delta(*ci, control_sd)
    critical = (effect.ci_high - effect.coef) / effect.se if effect.se > 0 else math.nan
    carried = glass_delta_sd_estimated(effect.coef, effect.se, critical, control_sd, n_control)
    sizes = (n_treatment, n_control, alpha)
    g = hedges_g(effect.coef, residual_sd, *sizes) if residual_sd else None
    unconditional = hedges_g(effect.coef, outcome_sd, *sizes) if outcome_sd else None
    return {
        "coef": effect.coef,
        "se": effect.se,
        "ci_low": effect.ci_low,
        "ci_high": effect.ci_high,
        "p_value": effect.p_value,
        "glass_delta": delta[0],
        "glass_ci_low": delta[1],
        "glass_ci_high": delta[2],
        "glass_sd_ci_low": carried.ci_low,
        "glass_sd_ci_high": carried.ci_high,
        "hedges_g": g.estimate if g else None,
        "hedges_ci_low": g.ci_low if g else None,
        "hedges_ci_high": g.ci_high if g else None,
        "hedges_g_unconditional": unconditional.estimate if unconditional else None,
        "hedges_unconditional_ci_low": unconditional.ci_low if unconditional else None,
        "hedges_unconditional_ci_high": unconditional.ci_high if unconditional else None,
        "pct_point": 100 * effect.coef if per_pupil else None,
        "pct_point_ci_low": 100 * effect.ci_low if per_pupil else None,
        "pct_point_ci_high": 100 * effect.ci_high if per_pupil else None,
    }


def adjust_p_values(estimates: Sequence[Estimate], method: str) -> list[Estimate]:
    """Adjust the secondary outcomes' p-values for multiplicity (Hochberg step-up by default);
    the primary keeps its own p-value."""
    if method not in (*_MULTIPLETESTS, "none"):
        raise InputError(MSG_MULTIPLICITY.format(method=method))
    secondary = [i for i, e in enumerate(estimates) if e.analysis == "secondary"]
    adjusted = list(estimates)
    if method == "none" or not secondary:
        return adjusted
    p = np.array([estimates[i].p_value for i in secondary])
    corrected = multipletests(p, method=_MULTIPLETESTS[method])[1]
    for i, value in zip(secondary, corrected, strict=True):
        adjusted[i] = replace(estimates[i], p_adjusted=float(value))
    return adjusted


def itt_design(units: pd.DataFrame, baseline: pd.Series, covariates: Sequence[str]) -> pd.DataFrame:
    """Treatment, baseline, strata dummies, then the missing-baseline dummy (when any baseline is
    missing) and covariates — so a dummy the strata already span is the one dropped."""
    design = pd.DataFrame({"treated": units["treated"].astype(float)}, index=units.index)
    if baseline.notna().any():
        design["baseline"] = baseline.fillna(0.0).astype(float)
    blocks = pd.get_dummies(units["block"].astype(str), prefix="block", dtype=float)
    design = design.join(blocks.iloc[:, 1:])
    if baseline.notna().any() and baseline.isna().any():
        design["baseline_missing"] = baseline.isna().astype(float)
    for name in covariates:
        values = units[name]
        numeric = pd.to_numeric(values, errors="coerce")
        if numeric.notna().sum() == values.notna().sum():
            design[name] = numeric.fillna(0.0)
            if numeric.isna().any():
                design[f"{name}_missing"] = numeric.isna().astype(float)
        else:
            dummies = pd.get_dummies(
                values.astype("string").fillna("(missing)"), prefix=name, dtype=float
            )
            design = design.join(dummies.iloc[:, 1:])
    return design


def refuse_confounded(design: pd.DataFrame, term: str, outcome: str) -> None:
    """Refuse `term` when the other regressors (with the constant) span it: the regression would
    otherwise drop one of them and report a number for a comparison that does not exist."""
    if term not in design.columns:
        return
    target = design[term].to_numpy(dtype=float)
    others = design.drop(columns=term)
    X = np.column_stack([np.ones(len(design)), others.to_numpy(dtype=float)])
    fitted = X @ np.linalg.lstsq(X, target, rcond=None)[0]
    total = float(((target - target.mean()) ** 2).sum())
    if total > 0 and float(((target - fitted) ** 2).sum()) <= CONFOUNDED_TOLERANCE * total:
        raise InputError(
            MSG_CONFOUNDED.format(name=outcome, term=term, others=_listed(others.columns))
        )


def _listed(names: pd.Index, shown: int = 8) -> str:
    return ", ".join(names[:shown]) + (
        f" and {len(names) - shown} more" if len(names) > shown else ""
    )


def arm_summary(
    values: pd.Series, in_arm: np.ndarray, sample: pd.Series, alpha: float
) -> ArmSummary:
    """Mean, CI and SD of the arm's analysed values; `in_arm` is boolean, in `values`' order."""
    observed = values[in_arm & sample.reindex(values.index).to_numpy(dtype=bool)].astype(float)
    mean, low, high, n, _ = mean_ci(observed.to_numpy(), alpha)
    return ArmSummary(
        mean=mean,
        ci_low=low,
        ci_high=high,
        n=n,
        n_missing=int(in_arm.sum()) - n,
        sd=float(observed.std(ddof=1)),
    )
