"""`compare`: a trained group against a comparison group from one row per DSL (or school)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import get_args

import numpy as np
import pandas as pd

from threshold.model import InputError
from threshold.qed.models import (
    CountFit,
    Model,
    ProportionMethod,
    fit_counts,
    proportion_difference,
)
from threshold.qed.results import (
    GroupRate,
    ProportionDifference,
    QEDResults,
    RateRatio,
    Savings,
    Specification,
)
from threshold.qed.weights import Weighting, balance, balancing_weights

TREATED = "treated"
POST = "post"
INTERACTION = "treated:post"
CONSTANT = "const"
DEFAULT_DRAWS = 10_000

MSG_MISSING_COLUMN = "column {column!r} is not in the table: its columns are {columns}"
MSG_NOT_NUMERIC = "column {column!r} row {row}: {value!r} is not a number"
MSG_NEGATIVE = "column {column!r} row {row}: {value} is negative; counts cannot be"
MSG_EXPOSURE = "column {column!r} row {row}: exposure {value} must be positive (DSL-years)"
MSG_NO_TREATED = "no row has {column} = {value!r}: its values are {values}"
MSG_NO_COMPARISON = "every row has {column} = {value!r}: a comparison group is needed"
MSG_OPTION = "{name} is {value!r}: use one of {choices}"
MSG_ALPHA = "alpha is {alpha}: it must lie strictly between 0 and 1"
MSG_EARLIER_PAIR = "give both --earlier-count and --earlier-exposure, or neither"
MSG_COST_NEEDS_ROLLOUT = "--cost-per-call needs --rollout (the number of DSLs at full roll-out)"
MSG_ROLLOUT = "rollout is {value}: it must be positive"
MSG_WEIGHTING_NEEDS_COVARIATES = "weighting {method!r} needs at least one covariate"
MSG_THRESHOLD = "any_threshold is {value}: it must be at least 1"
MSG_FRACTIONAL = "column {column!r} row {row}: {value} is not a whole number; counts are whole"
MSG_BLANK_GROUP = "column {column!r} row {row}: the group is blank; give every unit its group"
MSG_THIRD_GROUP = (
    "column {column!r} has {n} groups ({values}): give --comparison VALUE to compare "
    "{treated!r} with one of them (the other rows are left out and reported)"
)
MSG_NO_COMPARISON_VALUE = "no row has {column} = {value!r}: its values are {values}"
MSG_COMPARISON_IS_TREATED = "--comparison {value!r} is also the treated value"
MSG_DUPLICATE_UNIT = (
    "column {column!r} rows {rows}: the unit {value!r} appears more than once; give one row per "
    "unit"
)
MSG_NO_EVENTS = (
    "the {group} group has no {column} at all (0 over {exposure:g} of exposure in {units} "
    "units): the rate ratio would be {ratio} with no meaningful confidence interval; compare a "
    "longer period or more units"
)
NOTE_LEFT_OUT = "{n} row(s) of other groups ({values}) were left out of the comparison."
NOTE_REPEATS = (
    "No --unit column was given, so each row was taken as a unit; {n} row(s) repeat another row "
    "exactly (rows {rows}): give --unit COLUMN to check that no unit appears twice."
)
ROWS_LISTED = 10


@dataclass(frozen=True)
class CompareConfig:
    """The inputs of a comparison, validated, as recorded with its results."""

    group: str
    treated: str
    count: str
    exposure: str
    unit: str | None = None
    comparison: str | None = None
    covariates: tuple[str, ...] = ()
    model: Model = "poisson"
    weighting: Weighting = "none"
    earlier_count: str | None = None
    earlier_exposure: str | None = None
    rollout: float | None = None
    cost_per_call: float | None = None
    any_threshold: int = 1
    any_method: ProportionMethod = "newcombe"
    alpha: float = 0.05
    draws: int = DEFAULT_DRAWS
    seed: int = 0
    unit_label: str = "DSL"


def compare(
    units: pd.DataFrame,
    *,
    group: str,
    treated: object,
    count: str,
    exposure: str,
    unit: str | None = None,
    comparison: object = None,
    covariates: Sequence[str] = (),
    model: Model = "poisson",
    weighting: Weighting = "none",
    earlier_count: str | None = None,
    earlier_exposure: str | None = None,
    rollout: float | None = None,
    cost_per_call: float | None = None,
    any_threshold: int = 1,
    any_method: ProportionMethod = "newcombe",
    alpha: float = 0.05,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    unit_label: str = "DSL",
) -> QEDResults:
    """Rates by group, the rate ratio (treated / comparison) from a log-link count model with an
    exposure offset and robust errors, the difference in the share with any contact, and, when
    asked, difference-in-differences, covariate weighting and savings at full roll-out.

    Covariates enter the weights when `weighting` is "ipw" or "entropy", else the regression.
    With more than two groups, `comparison` names the one compared (the others are left out
    and reported). Whole counts, one row per unit and events in both groups are required.
    """
    config = CompareConfig(
        group, str(treated), count, exposure, unit,
        None if comparison is None else str(comparison), tuple(covariates), model, weighting,
        earlier_count, earlier_exposure, rollout, cost_per_call, any_threshold, any_method,
        alpha, draws, seed, unit_label,
    )  # fmt: skip
    data, is_treated, notes = _validated(units, config)
    y = data[count].to_numpy(float)
    e = data[exposure].to_numpy(float)
    x = data[list(config.covariates)]
    w = balancing_weights(x, is_treated, weighting)
    weights = None if weighting == "none" else w
    in_model = [] if weighting != "none" else list(config.covariates)
    X = pd.DataFrame({CONSTANT: 1.0, TREATED: is_treated.astype(float)}, index=data.index)
    X = pd.concat([X, data[in_model].astype(float)], axis=1)
    fit = fit_counts(y, X, e, model=model, weights=weights)
    spec = _specification(config, in_model, fit.se, fit.dispersion)
    rate_ratio = _rate_ratio("trained vs comparison", fit, TREATED, alpha, spec)
    groups = (
        _group_rate(data, is_treated, config, config.treated),
        _group_rate(data, ~is_treated, config, "comparison"),
    )
    any_t, any_c = (
        (groups[0].any_contact, groups[0].units),
        (groups[1].any_contact, groups[1].units),
    )
    diff, low, high = proportion_difference(*any_t, *any_c, any_method, alpha)
    any_contact = ProportionDifference(
        groups[0].share_any, groups[1].share_any, diff, low, high, any_method
    )
    did = _did(data, is_treated, weights, config) if earlier_count else None
    savings = None
    if rollout is not None:
        savings = _savings(fit, X, e, w, is_treated, config)
    if weighting != "none":
        notes.append(
            f"Comparison {unit_label}s weighted by {weighting} to the treated group (ATT); "
            "rates by group and the share with any contact are unweighted."
        )
    return QEDResults(
        groups=groups,
        rate_ratio=rate_ratio,
        any_contact=any_contact,
        did=did,
        balance=None if weighting == "none" else balance(x, is_treated, w, weighting),
        savings=savings,
        unit_label=unit_label,
        config=asdict(config),
        notes=tuple(notes),
    )


def _validated(units: pd.DataFrame, c: CompareConfig) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """The rows compared with their columns as numbers, which are treated, and notes on rows
    left out; any input that would give a number without meaning is an InputError."""
    for name, value, choices in (
        ("model", c.model, get_args(Model)),
        ("weighting", c.weighting, get_args(Weighting)),
        ("any_method", c.any_method, get_args(ProportionMethod)),
    ):
        if value not in choices:
            raise InputError(MSG_OPTION.format(name=name, value=value, choices=list(choices)))
    if not 0 < c.alpha < 1:
        raise InputError(MSG_ALPHA.format(alpha=c.alpha))
    if (c.earlier_count is None) != (c.earlier_exposure is None):
        raise InputError(MSG_EARLIER_PAIR)
    if c.cost_per_call is not None and c.rollout is None:
        raise InputError(MSG_COST_NEEDS_ROLLOUT)
    if c.rollout is not None and c.rollout <= 0:
        raise InputError(MSG_ROLLOUT.format(value=c.rollout))
    if c.weighting != "none" and not c.covariates:
        raise InputError(MSG_WEIGHTING_NEEDS_COVARIATES.format(method=c.weighting))
    if c.any_threshold < 1:
        raise InputError(MSG_THRESHOLD.format(value=c.any_threshold))
    counts = [c.count] + [c.earlier_count] * bool(c.earlier_count)
    exposures = [c.exposure] + [c.earlier_exposure] * bool(c.earlier_exposure)
    needed = [c.group, *counts, *exposures, *c.covariates] + [c.unit] * bool(c.unit)
    for column in needed:
        if column not in units.columns:
            raise InputError(MSG_MISSING_COLUMN.format(column=column, columns=list(units.columns)))
    data = units.reset_index(drop=True).copy()
    for column in [*counts, *exposures, *c.covariates]:
        numbers = pd.to_numeric(data[column], errors="coerce")
        bad = numbers.isna() | ~np.isfinite(numbers.fillna(0))
        if bad.any():
            row = int(bad.idxmax())
            raise InputError(
                MSG_NOT_NUMERIC.format(column=column, row=row + 1, value=data[column][row])
            )
        checks = (
            (MSG_NEGATIVE, numbers < 0, counts),
            (MSG_FRACTIONAL, numbers != np.floor(numbers), counts),
            (MSG_EXPOSURE, numbers <= 0, exposures),
        )
        for message, invalid, columns in checks:
            if column in columns and invalid.any():
                row = int(invalid.idxmax())
                raise InputError(message.format(column=column, row=row + 1, value=numbers[row]))
        data[column] = numbers
    repeats = data.duplicated(keep="first")
    if c.unit:
        _refuse_duplicate_units(data, c.unit)
    data, notes = _two_groups(data, c)
    if not c.unit and repeats.any():
        rows = ", ".join(str(i + 1) for i in np.flatnonzero(repeats)[:ROWS_LISTED])
        notes.append(NOTE_REPEATS.format(n=int(repeats.sum()), rows=rows))
    is_treated = (data[c.group].astype(str).str.strip() == c.treated.strip()).to_numpy()
    if is_treated.all():
        raise InputError(MSG_NO_COMPARISON.format(column=c.group, value=c.treated))
    for label, mask in ((f"treated ({c.treated})", is_treated), ("comparison", ~is_treated)):
        for count, exposure in zip(counts, exposures, strict=True):
            if data.loc[mask, count].sum() == 0:
                raise InputError(
                    MSG_NO_EVENTS.format(
                        group=label,
                        column=count,
                        exposure=float(data.loc[mask, exposure].sum()),
                        units=int(mask.sum()),
                        ratio="0" if mask is is_treated else "infinite",
                    )
                )
    return data, is_treated, notes


def _two_groups(data: pd.DataFrame, c: CompareConfig) -> tuple[pd.DataFrame, list[str]]:
    """The rows of the treated and comparison groups: refuses blank groups, and a third group
    unless `comparison` names the one compared (then the others are left out, with a note)."""
    labels = data[c.group].astype(str).str.strip()
    blank = data[c.group].isna() | (labels == "")
    if blank.any():
        raise InputError(MSG_BLANK_GROUP.format(column=c.group, row=int(blank.idxmax()) + 1))
    values = sorted(labels.unique())
    if c.treated.strip() not in values:
        raise InputError(MSG_NO_TREATED.format(column=c.group, value=c.treated, values=values))
    if c.comparison is None:
        if len(values) > 2:
            raise InputError(
                MSG_THIRD_GROUP.format(
                    column=c.group, n=len(values), values=", ".join(values), treated=c.treated
                )
            )
        return data, []
    wanted = c.comparison.strip()
    if wanted == c.treated.strip():
        raise InputError(MSG_COMPARISON_IS_TREATED.format(value=c.comparison))
    if wanted not in values:
        raise InputError(
            MSG_NO_COMPARISON_VALUE.format(column=c.group, value=c.comparison, values=values)
        )
    kept = labels.isin([c.treated.strip(), wanted])
    others = sorted(labels[~kept].unique())
    notes = [NOTE_LEFT_OUT.format(n=int((~kept).sum()), values=", ".join(others))] if others else []
    return data[kept].reset_index(drop=True), notes


def _refuse_duplicate_units(data: pd.DataFrame, column: str) -> None:
    ids = data[column].astype(str).str.strip()
    repeated = ids[ids.duplicated(keep=False)]
    if len(repeated):
        value = repeated.iloc[0]
        rows = ", ".join(str(i + 1) for i in np.flatnonzero((ids == value).to_numpy()))
        raise InputError(MSG_DUPLICATE_UNIT.format(column=column, rows=rows, value=value))


def _specification(
    c: CompareConfig, in_model: Sequence[str], se: str, dispersion: float | None
) -> Specification:
    model = "Poisson" if c.model == "poisson" else f"negative binomial (NB2, α = {dispersion:.4g})"
    parts = [f"{model} regression of {c.count} on treated, log link, offset log({c.exposure})"]
    if in_model:
        parts.append(f"adjusted for {', '.join(in_model)}")
    if c.weighting != "none":
        parts.append(f"{c.weighting} weights on {', '.join(c.covariates)}")
    parts.append(f"{se} sandwich SE")
    return Specification(c.model, se, c.weighting, c.covariates, c.alpha, "; ".join(parts))


def _rate_ratio(
    label: str, fit: CountFit, term: str, alpha: float, spec: Specification
) -> RateRatio:
    b, se, p, low, high = fit.coefficient(term, alpha)
    return RateRatio(label, np.exp(b), np.exp(low), np.exp(high), se, p, spec)


def _group_rate(data: pd.DataFrame, mask: np.ndarray, c: CompareConfig, label: str) -> GroupRate:
    counts = data.loc[mask, c.count]
    exposure = float(data.loc[mask, c.exposure].sum())
    any_contact = int((counts >= c.any_threshold).sum())
    return GroupRate(
        label,
        int(mask.sum()),
        exposure,
        float(counts.sum()),
        float(counts.sum()) / exposure,
        any_contact,
        any_contact / int(mask.sum()),
    )


def _did(
    data: pd.DataFrame, is_treated: np.ndarray, weights: np.ndarray | None, c: CompareConfig
) -> RateRatio:
    """Poisson (or NB) on both periods with group × period interaction, clustered by unit."""
    ids = data[c.unit].to_numpy() if c.unit else np.arange(len(data))
    n = len(data)
    post = np.r_[np.zeros(n), np.ones(n)]
    treated = np.r_[is_treated, is_treated].astype(float)
    X = pd.DataFrame({CONSTANT: 1.0, TREATED: treated, POST: post, INTERACTION: treated * post})
    y = np.r_[data[c.earlier_count].to_numpy(float), data[c.count].to_numpy(float)]
    e = np.r_[data[c.earlier_exposure].to_numpy(float), data[c.exposure].to_numpy(float)]
    w = None if weights is None else np.r_[weights, weights]
    fit = fit_counts(y, X, e, model=c.model, weights=w, clusters=np.r_[ids, ids])
    weighting = f"; {c.weighting} weights" if c.weighting != "none" else ""
    spec = Specification(
        c.model,
        fit.se,
        c.weighting,
        (),
        c.alpha,
        f"{c.model} regression of counts on treated, period and treated × period, offset "
        f"log(exposure), SE clustered by {c.unit or 'row'}{weighting}: ratio of rate ratios",
    )
    return _rate_ratio("difference-in-differences", fit, INTERACTION, c.alpha, spec)


def _savings(
    fit: CountFit,
    X: pd.DataFrame,
    e: np.ndarray,
    w: np.ndarray,
    is_treated: np.ndarray,
    c: CompareConfig,
) -> Savings:
    """Calls avoided = rollout × comparison rate × (1 − RR). The interval transforms the rate
    ratio's CI with the comparison rate held at its estimate; the simulated interval draws the
    coefficients from their estimated normal sampling distribution and recomputes both the
    model's comparison rate and the rate ratio."""
    assert c.rollout is not None
    comparison = ~is_treated
    Xc = X.loc[comparison].to_numpy().copy()
    Xc[:, list(X.columns).index(TREATED)] = 0.0
    ec, wc = e[comparison], w[comparison]
    term = list(X.columns).index(TREATED)

    def rate(beta: np.ndarray) -> np.ndarray:
        return (wc * ec * np.exp(Xc @ beta.T).T).sum(axis=-1) / (wc * ec).sum()

    def avoided(beta: np.ndarray) -> np.ndarray:
        return c.rollout * rate(beta) * (1 - np.exp(beta[..., term]))

    baseline = float(rate(fit.params))
    _, _, _, low, high = fit.coefficient(TREATED, c.alpha)
    calls = float(avoided(fit.params))
    calls_ci = (
        float(c.rollout * baseline * (1 - np.exp(high))),
        float(c.rollout * baseline * (1 - np.exp(low))),
    )
    rng = np.random.default_rng(c.seed)
    draws = avoided(rng.multivariate_normal(fit.params, fit.vcov, size=c.draws))
    q = np.quantile(draws, [c.alpha / 2, 1 - c.alpha / 2])
    cost = c.cost_per_call
    return Savings(
        rollout=c.rollout,
        baseline_rate=baseline,
        cost_per_call=cost,
        calls_avoided=calls,
        calls_ci=calls_ci,
        calls_simulated_ci=(float(q[0]), float(q[1])),
        saving=None if cost is None else calls * cost,
        saving_ci=None if cost is None else (calls_ci[0] * cost, calls_ci[1] * cost),
        baseline_cost=None if cost is None else c.rollout * baseline * cost,
        draws=c.draws,
        seed=c.seed,
    )
