"""Effect sizes and descriptive means as the evaluation reports them."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from threshold.analysis.ols import MSG_ALPHA
from threshold.model import InputError

MSG_SD = "{what} is {value}: a standardised effect needs a positive standard deviation"
MSG_GROUP_SIZE = "{what} is {value}: Hedges' g needs at least 2 units in each arm"


class StandardisedEffect(NamedTuple):
    """An effect in standard-deviation units with its confidence interval."""

    estimate: float
    ci_low: float
    ci_high: float


class MeanCI(NamedTuple):
    """A mean with its t-based confidence interval, the values used and the values missing."""

    mean: float
    ci_low: float
    ci_high: float
    n: int
    n_missing: int


def glass_delta(
    coef: float, ci_low: float, ci_high: float, control_sd: float
) -> StandardisedEffect:
    """Glass's Δ: the coefficient and its CI divided by the control group's SD of the outcome."""
    _check_sd("control_sd", control_sd)
    return StandardisedEffect(coef / control_sd, ci_low / control_sd, ci_high / control_sd)


def glass_delta_sd_estimated(
    coef: float, se: float, critical: float, control_sd: float, n_control: int
) -> StandardisedEffect:
    """Glass's Δ with a CI that carries the control SD's own sampling error: by the delta
    method, Var(Δ) ≈ SE²/s² + Δ²/(2(n꜀ − 1)) (the second term is Var(s)/s² × Δ² for a normal
    outcome; Hedges & Olkin 1985, ch. 5), and the CI is Δ ± `critical`·√Var(Δ), with the
    coefficient's own critical value. The default interval (`glass_delta`) treats s as known."""
    _check_sd("control_sd", control_sd)
    if n_control < 2:
        raise InputError(MSG_GROUP_SIZE.format(what="n_control", value=n_control))
    delta = coef / control_sd
    half = critical * math.sqrt((se / control_sd) ** 2 + delta**2 / (2 * (n_control - 1)))
    return StandardisedEffect(delta, delta - half, delta + half)


def hedges_g(coef: float, sd: float, n_t: int, n_c: int, alpha: float = 0.05) -> StandardisedEffect:
    """Hedges' g as eefAnalytics' `srtFREQ` defines it: d = coef / `sd` (the residual SD of the
    fitted model for the conditional g, the outcome's SD for the unconditional),
    Var(d) = (n_t + n_c)/(n_t·n_c) + d²/(2(n_t + n_c)), J = 1 − 3/(4(n_t + n_c − 2) − 1),
    g = J·d with CI g ± z·J·√Var(d) (z for `alpha`; eefAnalytics rounds it to 1.96)."""
    for what, n in (("n_t", n_t), ("n_c", n_c)):
        if n < 2:
            raise InputError(MSG_GROUP_SIZE.format(what=what, value=n))
    _check_sd("the standard deviation", sd)
    d = coef / sd
    half = stats.norm.ppf(1 - alpha / 2) * math.sqrt(
        (n_t + n_c) / (n_t * n_c) + d**2 / (2 * (n_t + n_c))
    )
    j = 1 - 3 / (4 * (n_t + n_c - 2) - 1)
    return StandardisedEffect(j * d, j * (d - half), j * (d + half))


def mean_ci(values: Any, alpha: float = 0.05) -> MeanCI:
    """Mean of the non-missing values with a t interval; NaN where fewer than 2 (or 1) values."""
    if not 0 < alpha < 1:
        raise InputError(MSG_ALPHA.format(alpha=alpha))
    array = pd.Series(values, dtype=float).to_numpy()
    present = array[~np.isnan(array)]
    n = len(present)
    mean = float(present.mean()) if n else math.nan
    if n < 2:
        return MeanCI(mean, math.nan, math.nan, n, len(array) - n)
    half = stats.t.ppf(1 - alpha / 2, n - 1) * present.std(ddof=1) / math.sqrt(n)
    return MeanCI(mean, mean - half, mean + half, n, len(array) - n)


def _check_sd(what: str, sd: float) -> None:
    if not sd > 0:
        raise InputError(MSG_SD.format(what=what, value=sd))
