"""The protocol's robustness specifications and subgroup analyses of the primary outcome.

Robustness (`[[robustness]]`): `binary` (any event, linear probability model), `poisson` (the
count with pupils as exposure, robust SE; schools in blocks with no events are dropped, as
Stata does), `complete_case` (schools with a baseline), `alternative_baseline` (another
baseline window), `weights` (analytic weights, Stata's aweight: each school's rate weighted
by, say, its pupils; the report says so whatever the protocol's description), `covariates`
(added covariates),
`fixed_effects` (for example SSW fixed effects), `exclude` (drop named LAs).
Subgroups (`[[subgroup]]`): `windows` (a separate model per window, each with the matching
baseline window a year earlier) and `interaction` (treatment × a school characteristic: the
effect in each group and the difference).
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator, Mapping
from contextlib import suppress
from dataclasses import replace

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from threshold.analysis.data import AnalysisData, front_door_outcomes
from threshold.analysis.impact import estimate_itt, itt_design
from threshold.analysis.ols import _independent
from threshold.analysis.results import Estimate
from threshold.model import InputError
from threshold.stats import sandwich, stata_factor
from threshold.trial import Outcome, Protocol, Specification

STANDARD_ERRORS_ML = "robust (sandwich with Stata's n/(n−1), as poisson/logit …, vce(robust))"
WEIGHTS_SAID = " (analytic weights on {variable}: Stata's aweight, not frequency weights)"
MSG_NOT_ESTIMATED = "{label}: not estimated: {reason}"
MSG_NO_VARIABLE = "subgroup {name}: the schools have no characteristic {variable!r}"
MSG_ONE_LEVEL = "subgroup {name}: {variable!r} has a single value among analysed schools"
MIN_PER_ARM = 10
"""Fewest schools per arm for a separate estimate within a subgroup level."""
MSG_TOO_FEW_LEFT = (
    "{label}: not estimated: after dropping the blocks whose schools all {shared}, {n} schools "
    "remain ({treated} treatment, {control} control) for {parameters} parameters"
)
MSG_SEPARATION = (
    "{label}: not estimated: the arm and the other regressors predict every school's outcome "
    "perfectly (separation), so the model has no finite estimate"
)


class NotEstimable(Exception):
    """A robustness model that the data cannot estimate: reported as a note, never a number."""


def primary_options(protocol: Protocol) -> dict[str, object]:
    """The estimation options the protocol sets for analyses of its primary outcome."""
    return {
        "se": protocol.standard_errors,
        "alpha": protocol.alpha,
        "per_pupil": protocol.primary.per_pupil,
    }


def robustness_estimates(
    tables: Mapping[str, pd.DataFrame], data: AnalysisData, protocol: Protocol
) -> tuple[list[Estimate], list[str]]:
    """One estimate per robustness specification of the primary outcome, and a note for each
    model the data cannot estimate (which then has no estimate)."""
    estimates: list[Estimate] = []
    notes: list[str] = []
    for spec in protocol.robustness:
        try:
            for estimate in _robustness(tables, data, protocol, spec):
                estimates.append(estimate)  # kept even if a later model of the spec is not
        except NotEstimable as reason:
            notes.append(str(reason))
        except InputError as reason:  # degenerate data for this model: said, not a number
            notes.append(MSG_NOT_ESTIMATED.format(label=f"robustness: {spec.name}", reason=reason))
    return estimates, notes


def _robustness(
    tables: Mapping[str, pd.DataFrame],
    data: AnalysisData,
    protocol: Protocol,
    spec: Specification,
) -> Iterator[Estimate]:
    """The estimates of one robustness specification, in turn (two for `binary`)."""
    primary = protocol.primary
    options = primary_options(protocol)
    label = f"robustness: {spec.name}"
    settings = spec.settings
    if spec.kind == "binary":
        binary = _with_outcome(data, primary.name, lambda y: (y > 0).astype(float))
        linear = estimate_itt(
            binary,
            primary.name,
            analysis=f"{label} (linear probability)",
            **options | {"per_pupil": False},
        )
        yield replace(linear, description=spec.description)
        estimate = _glm(data, primary.name, f"{label} (logit)", protocol.alpha, logit=True)
    elif spec.kind == "poisson":
        estimate = _glm(data, primary.name, label, protocol.alpha, logit=False)
    elif spec.kind == "complete_case":
        has_baseline = data.outcomes[primary.name]["baseline"].notna()
        estimate = estimate_itt(data, primary.name, analysis=label, include=has_baseline, **options)
    elif spec.kind == "alternative_baseline":
        variant = _baseline_variant(primary, spec)
        estimate = _variant(tables, data, {primary.name: variant}, primary.name, label, options)
    elif spec.kind == "weights":
        estimate = estimate_itt(
            data, primary.name, analysis=label, weights=str(settings["variable"]), **options
        )
    elif spec.kind in ("covariates", "fixed_effects"):
        names = settings.get("variables") or [settings["variable"]]
        extra = [n for n in names if n in data.units.columns]
        estimate = estimate_itt(
            data,
            primary.name,
            analysis=label,
            covariates=tuple(protocol.covariates) + tuple(extra),
            **options,
        )
    else:  # exclude
        values = [str(v) for v in settings["values"]]
        keep = ~data.units[str(settings.get("variable", "la_code"))].astype(str).isin(values)
        estimate = estimate_itt(data, primary.name, analysis=label, include=keep, **options)
    description = spec.description
    if spec.kind == "weights":
        description += WEIGHTS_SAID.format(variable=settings["variable"])
    yield replace(estimate, description=description)


def subgroup_estimates(
    tables: Mapping[str, pd.DataFrame], data: AnalysisData, protocol: Protocol
) -> tuple[list[Estimate], list[str]]:
    """Estimates for each subgroup analysis of the primary outcome, and a note for each the data
    cannot estimate (which then has no estimate)."""
    primary = protocol.primary
    options = primary_options(protocol)
    estimates: list[Estimate] = []
    notes: list[str] = []
    for spec in protocol.subgroups:
        try:
            if spec.kind == "windows":
                estimates += _windows(tables, data, primary, spec, options)
            else:
                estimates += _interaction(data, primary.name, spec, options)
        except InputError as reason:
            notes.append(MSG_NOT_ESTIMATED.format(label=f"subgroup: {spec.name}", reason=reason))
    return estimates, notes


def _windows(
    tables: Mapping[str, pd.DataFrame],
    data: AnalysisData,
    primary: Outcome,
    spec: Specification,
    options: dict,
) -> list[Estimate]:
    variants = _window_variants(primary, spec)
    data = AnalysisData(  # every window's measures in one pass over the contract tables
        data.units,
        {**data.outcomes, **front_door_outcomes(tables, data.units, variants, data.measured)},
    )
    return [
        estimate_itt(data, name, analysis=f"subgroup: {spec.name} ({name})", **options)
        for name in variants
    ]


def _interaction(
    data: AnalysisData, outcome: str, spec: Specification, options: dict
) -> list[Estimate]:
    """The effect within each level of a characteristic (levels with at least
    `MIN_PER_ARM` schools in each arm), and, in one model with the level dummies and their
    interactions with treatment, how each level's effect differs from the first level's."""
    variable = str(spec.settings["variable"])
    if variable not in data.units.columns:
        raise InputError(MSG_NO_VARIABLE.format(name=spec.name, variable=variable))
    values = data.units[variable].astype("string")
    analysed = (
        ~data.units["withdrawn"].astype(bool) & data.outcomes[outcome]["y"].notna() & values.notna()
    )
    levels = sorted(values[analysed].unique())
    if len(levels) < 2:
        raise InputError(MSG_ONE_LEVEL.format(name=spec.name, variable=variable))
    treated = data.units["treated"] == 1
    estimates = []
    for level in levels:
        in_level = (values == level).fillna(False) & analysed
        if min((in_level & treated).sum(), (in_level & ~treated).sum()) < MIN_PER_ARM:
            continue
        estimate = estimate_itt(
            data, outcome, analysis=f"subgroup: {spec.name} = {level}", include=in_level, **options
        )
        estimates.append(
            replace(estimate, description=f"{spec.description} ({variable} = {level})")
        )
    dummies = {
        f"_is_{i}": (values == level).astype(float).fillna(0.0)
        for i, level in enumerate(levels[1:])
    }
    interactions = {
        f"_treated_x_{i}": data.units["treated"] * d for i, d in enumerate(dummies.values())
    }
    units = data.units.assign(**dummies, **interactions)
    for i, level in enumerate(levels[1:]):
        difference = estimate_itt(
            AnalysisData(units, data.outcomes),
            outcome,
            analysis=f"subgroup: {spec.name} interaction ({level} vs {levels[0]})",
            include=analysed,
            covariates=(*dummies, *interactions),
            term=f"_treated_x_{i}",
            **options,
        )
        estimates.append(replace(difference, description=spec.description))
    return estimates


def _variant(
    tables: Mapping[str, pd.DataFrame],
    data: AnalysisData,
    variants: Mapping[str, Outcome],
    name: str,
    label: str,
    options: dict,
) -> Estimate:
    outcomes = {**data.outcomes, **front_door_outcomes(tables, data.units, variants, data.measured)}
    return estimate_itt(AnalysisData(data.units, outcomes), name, analysis=label, **options)


def _baseline_variant(primary: Outcome, spec: Specification) -> Outcome:
    """The primary outcome with an `alternative_baseline` specification's baseline window."""
    window = tuple(dt.date.fromisoformat(str(d)) for d in spec.settings["baseline_window"])
    return replace(primary, baseline_window=window)


def _window_variants(primary: Outcome, spec: Specification) -> dict[str, Outcome]:
    """A `windows` subgroup's outcomes: the primary over each window, with the baseline window
    as far before it as the primary's."""
    lag = primary.window[0] - primary.baseline_window[0]  # a primary front-door outcome has both
    variants = {}
    for first, last in spec.settings["windows"]:
        start, end = dt.date.fromisoformat(str(first)), dt.date.fromisoformat(str(last))
        variants[f"{primary.name} {start:%b %Y}–{end:%b %Y}"] = replace(
            primary, window=(start, end), baseline_window=(start - lag, end - lag)
        )
    return variants


def measured_variants(protocol: Protocol) -> list[Outcome]:
    """The variants of a front-door primary outcome that the robustness and subgroup
    specifications measure, so that `assemble` can build them with the protocol's outcomes.
    A variant that cannot be made is left out; its specification reports why when it runs."""
    primary = protocol.primary
    if primary.window is None or primary.baseline_window is None:
        return []
    unmade = (KeyError, TypeError, ValueError)  # malformed settings: said when the spec runs
    variants: list[Outcome] = []
    for spec in protocol.robustness:
        if spec.kind == "alternative_baseline":
            with suppress(*unmade):
                variants.append(_baseline_variant(primary, spec))
    for spec in protocol.subgroups:
        if spec.kind == "windows":
            with suppress(*unmade):
                variants += _window_variants(primary, spec).values()
    return variants


def _with_outcome(data: AnalysisData, outcome: str, transform) -> AnalysisData:
    frame = data.outcomes[outcome]
    changed = frame.assign(y=transform(frame["y"]).where(frame["y"].notna()))
    return AnalysisData(data.units, {**data.outcomes, outcome: changed})


def _glm(data: AnalysisData, outcome: str, label: str, alpha: float, *, logit: bool) -> Estimate:
    """Poisson regression of the count (rate × pupils, pupils as exposure; the coefficient is
    the log incidence-rate ratio), or logit of any event (the log odds ratio), on the ITT
    model's regressors with robust (sandwich) standard errors. Blocks whose schools all share
    the outcome (no events, or for logit all events) have no finite estimate and are dropped,
    as Stata drops them."""
    linear = estimate_itt(data, outcome, analysis=label, alpha=alpha)
    units, frame = data.units, data.outcomes[outcome]
    sample = ~units["withdrawn"].astype(bool) & frame["y"].notna()
    pupils = units["pupils_on_roll"].astype(float)
    response = (frame["y"] > 0).astype(float) if logit else (frame["y"] * pupils).round()
    by_block = response[sample].groupby(units.loc[sample, "block"])
    varies = (
        (by_block.transform("max") > by_block.transform("min"))
        if logit
        else by_block.transform("sum") > 0
    )
    sample &= varies.reindex(units.index, fill_value=False)
    design = itt_design(units.loc[sample], frame.loc[sample, "baseline"], ())
    design.insert(0, "_cons", 1.0)
    design = design.loc[:, _independent(design.to_numpy(dtype=float))]
    treated = int(design["treated"].sum()) if "treated" in design else 0
    if "treated" not in design or len(design) <= design.shape[1] or treated in (0, len(design)):
        raise NotEstimable(
            MSG_TOO_FEW_LEFT.format(
                label=label,
                shared="had the event" if logit else "had none",
                n=len(design),
                treated=treated,
                control=len(design) - treated,
                parameters=design.shape[1],
            )
        )
    family = families.Binomial() if logit else families.Poisson()
    exposure = None if logit else pupils[sample].to_numpy()
    model = GLM(
        response[sample].to_numpy(), design.to_numpy(dtype=float), family=family, exposure=exposure
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        try:
            params = np.asarray(model.fit().params)
        except PerfectSeparationWarning:
            raise NotEstimable(MSG_SEPARATION.format(label=label)) from None
    position = list(design.columns).index("treated")
    bread = np.linalg.inv(-model.hessian(params))
    vcov = sandwich(bread, model.score_obs(params), factor=stata_factor("ml", n=len(design)))
    coef, se = float(params[position]), float(np.sqrt(vcov[position, position]))
    z = float(stats.norm.ppf(1 - alpha / 2))
    low, high = coef - z * se, coef + z * se
    nan = float("nan")
    ratio = "odds_ratio" if logit else "incidence_rate_ratio"
    return replace(
        linear,
        coef=coef,
        se=se,
        ci_low=low,
        ci_high=high,
        p_value=float(2 * stats.norm.sf(abs(coef / se))),
        glass_delta=nan,
        glass_ci_low=nan,
        glass_ci_high=nan,
        glass_sd_ci_low=nan,
        glass_sd_ci_high=nan,
        hedges_g=None,
        hedges_ci_low=None,
        hedges_ci_high=None,
        hedges_g_unconditional=None,
        hedges_unconditional_ci_low=None,
        hedges_unconditional_ci_high=None,
        pct_point=None,
        pct_point_ci_low=None,
        pct_point_ci_high=None,
        specification={
            **linear.specification,
            "model": "logit of any event" if logit else "Poisson GLM, exposure = pupils on roll",
            "standard_errors": STANDARD_ERRORS_ML,
            "coefficient": "log odds ratio" if logit else "log incidence-rate ratio",
            ratio: float(np.exp(coef)),
            "n": int(sample.sum()),
        },
    )
