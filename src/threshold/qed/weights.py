"""Weights that make the comparison group resemble the treated group (the ATT), and balance.

- `ipw`: inverse propensity weights from a logistic model of being treated on the covariates;
  treated units weigh 1, comparison units p/(1 − p).
- `entropy`: entropy balancing (Hainmueller 2012): comparison weights as close as possible to
  uniform (in Kullback–Leibler divergence) whose weighted covariate means equal the treated means
  exactly. Solved through its convex dual, min_λ log Σᵢ exp(λ·(xᵢ − m̄ₜ)), with scipy's BFGS on
  standardised covariates.

Comparison weights are scaled to sum to the number of comparison units. Standardised mean
differences divide by the pooled standard deviation before weighting, √((s²ₜ + s²꜀)/2), so
before and after share a denominator; effective sample size is (Σw)² / Σw².
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize
from statsmodels.discrete.discrete_model import Logit
from statsmodels.tools.sm_exceptions import PerfectSeparationError, PerfectSeparationWarning
from statsmodels.tools.tools import add_constant

from threshold.model import InputError
from threshold.qed.results import Balance

Weighting = Literal["none", "ipw", "entropy"]

BALANCE_TOL = 1e-6
MSG_ENTROPY_FAILED = (
    "entropy balancing found no weights matching the treated means of {covariates}: a treated "
    "mean lies outside the comparison group's range; drop or recode that covariate"
)
MSG_CONSTANT_COVARIATE = "covariate {column!r} does not vary: drop it from --covariate"
MSG_NO_OVERLAP = (
    "{method} weighting: the covariates {covariates} separate the groups (no comparison unit "
    "resembles the treated ones), so the weights rest on {effective:.1f} comparison unit(s) of "
    "{units}; drop or coarsen covariates, or compare without weighting"
)
MIN_EFFECTIVE_COMPARISON = 5.0
"""Fewer effective comparison units than this (Kish's (Σw)²/Σw²) and the weighted comparison
is refused: the rate ratio would rest on one or two units."""


def balancing_weights(x: pd.DataFrame, treated: np.ndarray, method: Weighting) -> np.ndarray:
    """One weight per row: 1 for treated rows, the method's weight for comparison rows."""
    weights = np.ones(len(x))
    if method == "none":
        return weights
    values = _standardised(x)
    xt, xc = values[treated], values[~treated]
    if method == "ipw":
        design = add_constant(values, has_constant="add")
        with warnings.catch_warnings():
            warnings.simplefilter("error", PerfectSeparationWarning)
            try:
                fitted = Logit(treated.astype(float), design).fit(disp=0)
            except (PerfectSeparationWarning, PerfectSeparationError):
                raise InputError(
                    MSG_NO_OVERLAP.format(
                        method=method,
                        covariates=list(x.columns),
                        effective=0.0,
                        units=int((~treated).sum()),
                    )
                ) from None
        p = fitted.predict(design)[~treated]
        w = p / (1 - p)
    else:
        target = xt.mean(axis=0)
        centred = xc - target

        def dual(lam: np.ndarray) -> tuple[float, np.ndarray]:
            z = centred @ lam
            top = z.max()
            e = np.exp(z - top)
            return float(top + np.log(e.sum())), (e / e.sum()) @ centred

        outside = (target <= xc.min(axis=0)) | (target >= xc.max(axis=0))
        if outside.any():
            raise InputError(MSG_ENTROPY_FAILED.format(covariates=list(x.columns[outside])))
        with np.errstate(over="ignore", invalid="ignore"):
            solution = optimize.minimize(
                dual, np.zeros(values.shape[1]), jac=True, method="BFGS", options={"gtol": 1e-12}
            )
        z = centred @ solution.x
        w = np.exp(z - z.max())
        if np.abs((w / w.sum()) @ centred).max() > BALANCE_TOL:
            raise InputError(MSG_ENTROPY_FAILED.format(covariates=list(x.columns)))
    effective = float(w.sum() ** 2 / (w**2).sum()) if w.sum() > 0 else 0.0
    if effective < MIN_EFFECTIVE_COMPARISON:
        raise InputError(
            MSG_NO_OVERLAP.format(
                method=method,
                covariates=list(x.columns),
                effective=effective,
                units=int((~treated).sum()),
            )
        )
    weights[~treated] = w * (~treated).sum() / w.sum()
    return weights


def balance(x: pd.DataFrame, treated: np.ndarray, weights: np.ndarray, method: str) -> Balance:
    """Means and standardised mean differences of each covariate before and after weighting."""
    rows = []
    wc = weights[~treated]
    for column in x.columns:
        v = x[column].to_numpy(dtype=float)
        vt, vc = v[treated], v[~treated]
        sd = np.sqrt((vt.var(ddof=1) + vc.var(ddof=1)) / 2)
        after = float(np.average(vc, weights=wc))
        rows.append(
            {
                "covariate": column,
                "mean_treated": vt.mean(),
                "mean_comparison": vc.mean(),
                "mean_comparison_weighted": after,
                "smd_before": (vt.mean() - vc.mean()) / sd,
                "smd_after": (vt.mean() - after) / sd,
            }
        )
    return Balance(
        method=method,
        table=pd.DataFrame(rows),
        ess_before=float((~treated).sum()),
        ess_after=float(wc.sum() ** 2 / (wc**2).sum()),
    )


def _standardised(x: pd.DataFrame) -> np.ndarray:
    values = x.to_numpy(dtype=float)
    sd = values.std(axis=0)
    for column, s in zip(x.columns, sd, strict=True):
        if s == 0:
            raise InputError(MSG_CONSTANT_COVARIATE.format(column=column))
    return (values - values.mean(axis=0)) / sd
