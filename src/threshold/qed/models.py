"""Count models with an exposure offset and sandwich standard errors, and the difference of two
proportions.

`fit_counts` fits a log-link GLM (Poisson, or negative binomial NB2 with its dispersion estimated
by unweighted maximum likelihood and then held fixed) with `log(exposure)` as offset and optional
weights, then forms the sandwich `H⁻¹ (Σ sᵢsᵢ') H⁻¹` (`threshold.stats.sandwich`) from the model's
own scores and observed-information Hessian: robust with Stata's `n/(n−1)` factor, or clustered
with `G/(G−1)`, as Stata's `poisson …, vce(robust)` / `vce(cluster id)` do. For the negative
binomial the dispersion α is held at its estimate, so the sandwich is over the regression
coefficients only (Stata's `nbreg` also carries α's row in its Hessian; the coefficients'
robust SEs differ from it by a little, not in the estimate).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.discrete.discrete_model import NegativeBinomial
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from threshold.stats import cluster_codes, sandwich, stata_factor

Model = Literal["poisson", "negbin"]
ProportionMethod = Literal["newcombe", "wald"]


@dataclass(frozen=True, eq=False)
class CountFit:
    """Coefficients on the log scale with their sandwich covariance."""

    terms: tuple[str, ...]
    params: np.ndarray
    vcov: np.ndarray
    model: str
    se: str
    dispersion: float | None

    def coefficient(self, term: str, alpha: float) -> tuple[float, float, float, float, float]:
        """(estimate, se, p, ci_low, ci_high) for one term on the log scale."""
        i = self.terms.index(term)
        b, se = float(self.params[i]), float(np.sqrt(self.vcov[i, i]))
        z = stats.norm.ppf(1 - alpha / 2)
        return b, se, float(2 * stats.norm.sf(abs(b / se))), b - z * se, b + z * se


def fit_counts(
    y: np.ndarray,
    X: pd.DataFrame,
    exposure: np.ndarray,
    *,
    model: Model = "poisson",
    weights: np.ndarray | None = None,
    clusters: np.ndarray | None = None,
) -> CountFit:
    """Fit log E[y] = log(exposure) + Xβ (X includes any constant) with sandwich errors."""
    dispersion = None
    if model == "negbin":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            nb = NegativeBinomial(y, X, exposure=exposure, loglike_method="nb2").fit(
                disp=0, maxiter=200
            )
        dispersion = float(nb.params.iloc[-1])
        family = families.NegativeBinomial(alpha=dispersion)
    else:
        family = families.Poisson()
    glm = GLM(y, X, family=family, exposure=exposure, var_weights=weights)
    params = np.asarray(glm.fit().params)
    scores = glm.score_obs(params)
    bread = np.linalg.inv(-glm.hessian(params))
    if clusters is None:
        factor, se, groups = stata_factor("ml", n=len(y)), "robust", None
    else:
        groups, g = cluster_codes(clusters)
        factor, se = stata_factor("ml", n=len(y), clusters=g), "cluster"
    vcov = sandwich(bread, scores, factor=factor, groups=groups)
    return CountFit(tuple(X.columns), params, vcov, model, se, dispersion)


def wilson(count: int, n: int, alpha: float) -> tuple[float, float]:
    """Wilson score interval for a proportion."""
    z = stats.norm.ppf(1 - alpha / 2)
    p = count / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return float(centre - half), float(centre + half)


def proportion_difference(
    count1: int, n1: int, count2: int, n2: int, method: ProportionMethod, alpha: float
) -> tuple[float, float, float]:
    """p1 − p2 with Newcombe's hybrid score interval (his method 10, from Wilson intervals) or
    the Wald interval."""
    p1, p2 = count1 / n1, count2 / n2
    diff = p1 - p2
    if method == "wald":
        z = stats.norm.ppf(1 - alpha / 2)
        half = z * np.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
        return diff, float(diff - half), float(diff + half)
    l1, u1 = wilson(count1, n1, alpha)
    l2, u2 = wilson(count2, n2, alpha)
    low = diff - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = diff + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return diff, float(low), float(high)
