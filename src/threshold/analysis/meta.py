"""Several trials together: one outcome's estimates pooled by inverse variance.

The fixed-effect estimate weighs each trial by 1/vᵢ (vᵢ its squared standard error). The
random-effects estimate weighs by 1/(vᵢ + τ²), where τ² — the variance of the trials' true
effects — is estimated by restricted maximum likelihood (REML, the default, as metafor's `rma`)
or by DerSimonian and Laird's moment estimator (DL, closed form). REML's τ² solves its score
equation Σwᵢ²(yᵢ − μ̂)² = Σwᵢ − Σwᵢ²/Σwᵢ (wᵢ = 1/(vᵢ + τ²)) to machine precision, truncated at 0.
Heterogeneity: Cochran's Q on k − 1 df with its p-value; I² = τ²/(τ² + s²) and H² = (τ² + s²)/s²
with s² = (k − 1)Σwᵢ/((Σwᵢ)² − Σwᵢ²) the typical within-trial variance (metafor's definitions,
which for DL equal (Q − df)/Q). Confidence intervals and p-values use the normal distribution;
the prediction interval for a new trial's true effect is μ̂ ± z·√(SE² + τ²).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

import numpy as np
from scipy import optimize, stats

from threshold.model import InputError

Method = Literal["reml", "dl"]
Measure = Literal["glass_delta", "coef"]

MSG_TOO_FEW = "{k} trial(s): pooling needs the estimates of at least 2 trials"
MSG_SE = "{label}: the standard error is {se!r}; each trial needs a positive, finite one"
MSG_ESTIMATE = "{label}: the estimate is {value!r}; each trial needs a finite one"
MSG_METHOD = "method {method!r}: use one of {choices}"
MSG_MEASURE = "measure {measure!r}: use one of {choices}"
MSG_ALPHA = "alpha is {alpha}: it must lie strictly between 0 and 1"
MSG_NO_OUTCOME = "{source}: no {analysis} estimate of {outcome!r} (outcomes: {known})"
MSG_NO_PRIMARY = "{source}: no primary estimate"
MSG_TWO_OUTCOMES = (
    "the files' primary outcomes differ ({outcomes}): name the one to pool with --outcome"
)
MSG_SAME_TRIAL = (
    "{first} and {second} are the same trial (protocol {sha}): each trial is pooled once"
)
MSG_NO_CONTROL_SD = (
    "{source}: the estimate of {outcome!r} has no control-group SD, so its Glass's Δ has no "
    "standard error; pool --measure coef instead"
)
MSG_LABELS = "{labels} label(s) for {files} file(s): give one --label per file, or none"
NOTE_FEW = (
    "With {k} trials, τ² is estimated imprecisely: read the random-effects interval with "
    "caution, and the fixed-effect estimate as the average of these trials only."
)
NOTE_GLASS = (
    "Glass's Δ of each trial is its coefficient ÷ its control-group SD; its standard error "
    "treats that SD as known, as each trial's own report does."
)
FEW_TRIALS = 5


@dataclass(frozen=True)
class Study:
    """One trial's estimate on the pooled scale."""

    label: str
    estimate: float
    se: float
    n: int | None = None
    """Schools (units) analysed, when known."""


@dataclass(frozen=True)
class Pooled:
    """A pooled estimate with its confidence interval and p-value."""

    model: Literal["fixed", "random"]
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float


@dataclass(frozen=True)
class MetaResults:
    """The pooled estimates, the heterogeneity and each trial's weight."""

    outcome: str
    measure: Measure
    method: Method
    alpha: float
    studies: tuple[Study, ...]
    fixed: Pooled
    random: Pooled
    tau2: float
    q: float
    q_df: int
    q_p_value: float
    i2: float
    h2: float
    prediction_low: float
    prediction_high: float
    weights_fixed: tuple[float, ...]
    """Each trial's share of the fixed-effect weight (sums to 1)."""
    weights_random: tuple[float, ...]
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def pool(
    studies: Sequence[Study],
    *,
    outcome: str,
    measure: Measure = "glass_delta",
    method: Method = "reml",
    alpha: float = 0.05,
    notes: Sequence[str] = (),
) -> MetaResults:
    """Fixed- and random-effects pooling of `studies` (module docstring for the methods)."""
    if method not in get_args(Method):
        raise InputError(MSG_METHOD.format(method=method, choices=list(get_args(Method))))
    if measure not in get_args(Measure):
        raise InputError(MSG_MEASURE.format(measure=measure, choices=list(get_args(Measure))))
    if not 0 < alpha < 1:
        raise InputError(MSG_ALPHA.format(alpha=alpha))
    if len(studies) < 2:
        raise InputError(MSG_TOO_FEW.format(k=len(studies)))
    for study in studies:
        if not math.isfinite(study.estimate):
            raise InputError(MSG_ESTIMATE.format(label=study.label, value=study.estimate))
        if not (math.isfinite(study.se) and study.se > 0):
            raise InputError(MSG_SE.format(label=study.label, se=study.se))
    y = np.array([s.estimate for s in studies])
    v = np.array([s.se for s in studies]) ** 2
    k = len(y)
    w = 1 / v
    fixed = _pooled("fixed", y, w, alpha)
    q = float(w @ (y - fixed.estimate) ** 2)
    tau2 = _tau2_dl(w, q) if method == "dl" else _tau2_reml(y, v)
    typical = (k - 1) * w.sum() / (w.sum() ** 2 - (w**2).sum())
    w_random = 1 / (v + tau2)
    random = _pooled("random", y, w_random, alpha)
    z = float(stats.norm.ppf(1 - alpha / 2))
    spread = math.sqrt(random.se**2 + tau2)
    extra = [NOTE_FEW.format(k=k)] if k < FEW_TRIALS else []
    if measure == "glass_delta":
        extra.append(NOTE_GLASS)
    return MetaResults(
        outcome=outcome,
        measure=measure,
        method=method,
        alpha=alpha,
        studies=tuple(studies),
        fixed=fixed,
        random=random,
        tau2=tau2,
        q=q,
        q_df=k - 1,
        q_p_value=float(stats.chi2.sf(q, k - 1)),
        i2=tau2 / (tau2 + typical),
        h2=(tau2 + typical) / typical,
        prediction_low=random.estimate - z * spread,
        prediction_high=random.estimate + z * spread,
        weights_fixed=tuple(float(x) for x in w / w.sum()),
        weights_random=tuple(float(x) for x in w_random / w_random.sum()),
        notes=(*notes, *extra),
    )


def studies_from_results(
    results: Sequence[Mapping[str, Any]],
    *,
    sources: Sequence[str],
    outcome: str | None = None,
    analysis: str = "primary",
    measure: Measure = "glass_delta",
    labels: Sequence[str] = (),
) -> tuple[str, list[Study]]:
    """The outcome pooled (the primary outcome's name when `outcome` is None; the files must
    agree) and one Study per results.json (`sources` name them in errors)."""
    if labels and len(labels) != len(results):
        raise InputError(MSG_LABELS.format(labels=len(labels), files=len(results)))
    if measure not in get_args(Measure):
        raise InputError(MSG_MEASURE.format(measure=measure, choices=list(get_args(Measure))))
    chosen = [_estimate(r, s, outcome, analysis) for r, s in zip(results, sources, strict=True)]
    names = sorted({e["outcome"] for e in chosen})
    if len(names) > 1:
        raise InputError(MSG_TWO_OUTCOMES.format(outcomes=", ".join(names)))
    seen: dict[str, str] = {}
    for data, source in zip(results, sources, strict=True):
        sha = (data.get("protocol") or {}).get("sha256")
        if sha and sha in seen:
            raise InputError(MSG_SAME_TRIAL.format(first=seen[sha], second=source, sha=sha[:12]))
        if sha:
            seen[sha] = source
    studies = []
    for index, (data, estimate, source) in enumerate(zip(results, chosen, sources, strict=True)):
        label = labels[index] if labels else str(data.get("trial") or source)
        n = int(estimate.get("n_treatment", 0)) + int(estimate.get("n_control", 0)) or None
        if measure == "coef":
            studies.append(Study(label, float(estimate["coef"]), float(estimate["se"]), n))
            continue
        sd = (estimate.get("specification") or {}).get("control_sd")
        if not sd:
            raise InputError(MSG_NO_CONTROL_SD.format(source=source, outcome=names[0]))
        studies.append(Study(label, float(estimate["glass_delta"]), float(estimate["se"]) / sd, n))
    return names[0], studies


def _estimate(
    data: Mapping[str, Any], source: str, outcome: str | None, analysis: str
) -> Mapping[str, Any]:
    estimates = data.get("estimates") or []
    if outcome is None:
        primary = [e for e in estimates if e.get("analysis") == "primary"]
        if not primary:
            raise InputError(MSG_NO_PRIMARY.format(source=source))
        return primary[0]
    for estimate in estimates:
        if estimate.get("outcome") == outcome and estimate.get("analysis") in (analysis, None):
            return estimate
    known = ", ".join(sorted({str(e.get("outcome")) for e in estimates})) or "none"
    raise InputError(
        MSG_NO_OUTCOME.format(source=source, analysis=analysis, outcome=outcome, known=known)
    )


def _pooled(
    model: Literal["fixed", "random"], y: np.ndarray, w: np.ndarray, alpha: float
) -> Pooled:
    estimate = float(w @ y / w.sum())
    se = float(1 / math.sqrt(w.sum()))
    z = float(stats.norm.ppf(1 - alpha / 2))
    p = float(2 * stats.norm.sf(abs(estimate / se)))
    return Pooled(model, estimate, se, estimate - z * se, estimate + z * se, p)


def _tau2_dl(w: np.ndarray, q: float) -> float:
    """DerSimonian–Laird: (Q − (k − 1)) / (Σw − Σw²/Σw), truncated at 0."""
    return max(0.0, (q - (len(w) - 1)) / (w.sum() - (w**2).sum() / w.sum()))


def _tau2_reml(y: np.ndarray, v: np.ndarray) -> float:
    """The root of REML's score in τ² ≥ 0 (0 when the score is not positive there)."""

    def score(tau2: float) -> float:
        w = 1 / (v + tau2)
        mu = w @ y / w.sum()
        return float((w**2) @ (y - mu) ** 2 - w.sum() + (w**2).sum() / w.sum())

    if score(0.0) <= 0:
        return 0.0
    upper = max(float(np.var(y, ddof=1)), float(v.max()))
    while score(upper) > 0:
        upper *= 2
    return float(optimize.brentq(score, 0.0, upper, xtol=1e-15, rtol=4 * np.finfo(float).eps))
