"""Design diagnosis by simulation: run a design K times and measure its planned estimator.

Each replicate re-randomises the units by the design's own procedure and fits the planned
estimator — OLS of the outcome on treatment, the baseline (zero-imputed, with a
missing-baseline dummy) and block dummies, with HC1 (Stata `robust`) standard errors. All
replicates are fitted at once: the covariates are partialled out once (Frisch–Waugh–Lovell) and
every replicate's coefficient and robust variance follow from column sums of matrix products,
instead of fitting a model object per replicate.

Outcomes come either from the units table (design-based: potential outcomes fixed, only the
assignment varies) or from a normal outcome model whose noise is drawn afresh each replicate.
The true effect is added to treated units in outcome standard deviations.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from threshold.model import InputError
from threshold.stats import sandwich, stata_factor
from threshold.trial.randomisation import (
    RandomisationSpec,
    _blocks,
    check_units,
    draw_assignments,
)

MSG_OUTCOME = (
    "the outcome column {column!r} must be numeric and complete; row {row} holds {value!r}"
)
MSG_REPLICATES = "replicates={value} must be at least 10"
MSG_NO_COMPARISON = (
    "{units} units in {blocks} blocks leave {df} residual degrees of freedom for the planned "
    "estimator (treatment, block dummies and baseline): no block-adjusted comparison is "
    "possible; use fewer blocks or more units"
)


@dataclass(frozen=True)
class Diagnosis:
    """Operating characteristics of the planned estimator over the replicates."""

    replicates: int
    units: int
    effect_sd: float
    true_effect: float
    power: float
    type_i_error: float
    bias: float
    rmse: float
    coverage: float
    mean_se: float
    sd_estimate: float
    alpha: float
    spec: dict[str, object]

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def tidy(self) -> pd.DataFrame:
        values = {k: v for k, v in self.to_dict().items() if k != "spec"}
        return pd.DataFrame({"measure": list(values), "value": list(values.values())})


@dataclass(frozen=True)
class Fits:
    """Estimates from many replicates: coefficients, HC1 standard errors, residual df."""

    coef: np.ndarray
    se: np.ndarray
    df: int


def fit_many(outcomes: np.ndarray, treated: np.ndarray, covariates: np.ndarray) -> Fits:
    """OLS of each column of `outcomes` (n × K) on the matching column of `treated` (n × K) and
    the fixed `covariates` (n × p, including the constant), with HC1 standard errors.

    Collinear covariates are dropped (their span is what matters), so a missing-baseline dummy
    spanned by block dummies costs nothing and breaks nothing.
    """
    basis = _orthonormal_basis(covariates)
    n = outcomes.shape[0]
    t_res = treated - basis @ (basis.T @ treated)
    y_res = outcomes - basis @ (basis.T @ outcomes)
    sxx = np.einsum("ij,ij->j", t_res, t_res)
    coef = np.einsum("ij,ij->j", t_res, y_res) / sxx
    residual = y_res - t_res * coef
    parameters = basis.shape[1] + 1
    # By Frisch–Waugh–Lovell, the treatment's row of the full sandwich is that of the
    # one-regressor fit on the residualised treatment: bread 1/sxx, scores t_res × residual.
    scores = (t_res * residual).T[:, :, None]
    bread = (1 / sxx)[:, None, None]
    vcov = sandwich(bread, scores, factor=stata_factor("regress", n=n, k=parameters))
    se = np.sqrt(vcov[:, 0, 0])
    return Fits(coef=coef, se=se, df=n - parameters)


def treatment_coefs(outcome: np.ndarray, treated: np.ndarray, covariates: np.ndarray) -> np.ndarray:
    """The OLS coefficient of treatment for one `outcome` (n) under each of many assignments
    (rows of `treated`, K × n), adjusting for the fixed `covariates` (n × p, with the constant).

    By Frisch–Waugh–Lovell, with Q an orthonormal basis of the covariates, each coefficient is
    t'(I − QQ')y / (t't − t'QQ't): matrix products of `treated` with y and Q only, never a
    residualised n × K matrix (so it is the cheap way to many coefficients without their SEs).
    """
    basis = _orthonormal_basis(covariates)
    y_res = outcome - basis @ (basis.T @ outcome)
    projected = treated @ basis
    sxx = np.einsum("ij,ij->i", treated, treated) - np.einsum("ij,ij->i", projected, projected)
    return (treated @ y_res) / sxx


def diagnose(
    units: pd.DataFrame,
    spec: RandomisationSpec,
    *,
    effect_sd: float,
    rng: np.random.Generator,
    replicates: int = 2000,
    outcome: str | None = None,
    baseline: str | None = None,
    r2: float = 0.0,
    alpha: float = 0.05,
) -> Diagnosis:
    """Simulate `replicates` trials of `units` randomised by `spec`.

    With `outcome`, its values are the control potential outcomes (design-based); without, a
    standard-normal outcome model is drawn each replicate, of which a share `r2` of the variance
    is explained by a fixed baseline covariate. The effect is `effect_sd` outcome SDs.
    """
    if replicates < 10:
        raise InputError(MSG_REPLICATES.format(value=replicates))
    check_units(units, spec)
    n = len(units)
    blocks = _blocks(units, spec) if spec.method != "complete" else np.full(n, "all")
    treated = draw_assignments(blocks.astype(str), spec, rng, replicates)[0].T.astype(float)
    if outcome is not None:
        y0 = _numeric(units, outcome)
        base = units[baseline] if baseline else None
        y0 = np.repeat(y0[:, None], replicates, axis=1)
        scale = float(np.std(y0[:, 0], ddof=1))
    else:
        signal = rng.standard_normal(n)
        noise = rng.standard_normal((n, replicates))
        y0 = np.sqrt(r2) * signal[:, None] + np.sqrt(1 - r2) * noise
        base = pd.Series(signal)
        scale = 1.0
    covariates = _covariates(base, blocks)
    df = n - _orthonormal_basis(covariates).shape[1] - 1
    if df < 1:
        raise InputError(MSG_NO_COMPARISON.format(units=n, blocks=len(np.unique(blocks)), df=df))
    tau = effect_sd * scale
    with_effect = fit_many(y0 + tau * treated, treated, covariates)
    null = fit_many(y0, treated, covariates)
    critical = float(stats.t.ppf(1 - alpha / 2, with_effect.df))
    low, high = (
        with_effect.coef - critical * with_effect.se,
        with_effect.coef + critical * with_effect.se,
    )
    return Diagnosis(
        replicates=replicates,
        units=n,
        effect_sd=effect_sd,
        true_effect=tau,
        power=float(np.mean(np.abs(with_effect.coef / with_effect.se) > critical)),
        type_i_error=float(np.mean(np.abs(null.coef / null.se) > critical)),
        bias=float(np.mean(with_effect.coef) - tau),
        rmse=float(np.sqrt(np.mean((with_effect.coef - tau) ** 2))),
        coverage=float(np.mean((low <= tau) & (tau <= high))),
        mean_se=float(np.mean(with_effect.se)),
        sd_estimate=float(np.std(with_effect.coef, ddof=1)),
        alpha=alpha,
        spec=spec.to_dict(),
    )


def _covariates(baseline: pd.Series | None, blocks: np.ndarray) -> np.ndarray:
    """Constant, baseline (zero-imputed) and its missing dummy, and block dummies."""
    n = len(blocks)
    columns = [np.ones(n)]
    if baseline is not None:
        values = pd.to_numeric(baseline, errors="coerce").to_numpy(dtype=float)
        missing = np.isnan(values)
        columns += [np.where(missing, 0.0, values), missing.astype(float)]
    names = np.unique(blocks)
    columns += [(blocks == name).astype(float) for name in names[1:]]
    return np.column_stack(columns)


def _orthonormal_basis(matrix: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the column space (rank-revealing, via the SVD)."""
    left, singular, _ = np.linalg.svd(matrix, full_matrices=False)
    tolerance = singular.max() * max(matrix.shape) * np.finfo(float).eps
    return left[:, singular > tolerance]


def _numeric(units: pd.DataFrame, column: str) -> np.ndarray:
    values = pd.to_numeric(units[column], errors="coerce")
    bad = values.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(
            MSG_OUTCOME.format(column=column, row=row + 1, value=units[column].iloc[row])
        )
    return values.to_numpy(dtype=float)
