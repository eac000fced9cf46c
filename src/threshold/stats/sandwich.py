"""The sandwich covariance — robust and clustered standard errors — for every estimator in
Threshold: least squares (`analysis.ols`, and IV through it), the count and binary GLMs of the
robustness checks, the QED's count models, and design diagnosis.

V = c · B M B, where B is the bread — (X'WX)⁻¹ for least squares, the inverse of the negative
Hessian (observed information) for maximum likelihood — and M = Σ sᵢsᵢ' sums the outer products
of the observations' score contributions, or of each cluster's summed scores. The
small-sample factor c is Stata's:

| estimator | robust | clustered |
|---|---|---|
| least squares (`regress`) | n/(n−k) (HC1) | G/(G−1) · (n−1)/(n−k) |
| maximum likelihood (`poisson`, `logit`, `nbreg`: `vce(robust)`) | n/(n−1) | G/(G−1) |

HC0 is c = 1; HC2 and HC3 divide each score by √(1−hᵢ) and (1−hᵢ) before summing.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from threshold.model import InputError

Fit = Literal["regress", "ml"]
MSG_TOO_FEW_CLUSTERS = "{g} cluster(s): clustered standard errors need at least 2 clusters"


def cluster_codes(labels: Any) -> tuple[np.ndarray, int]:
    """Each row's cluster as a code 0..G−1, and G; fewer than 2 clusters is an error."""
    codes, uniques = pd.factorize(pd.Series(np.asarray(labels)))
    if len(uniques) < 2:
        raise InputError(MSG_TOO_FEW_CLUSTERS.format(g=len(uniques)))
    return codes, len(uniques)


def stata_factor(fit: Fit, *, n: float, k: int = 0, clusters: int | None = None) -> float:
    """Stata's small-sample factor c for `n` observations, `k` coefficients and, when
    clustered, `clusters` clusters (table in the module docstring)."""
    if clusters is not None:
        factor = clusters / (clusters - 1)
        return factor * (n - 1) / (n - k) if fit == "regress" else factor
    return n / (n - k) if fit == "regress" else n / (n - 1)


def sandwich(
    bread: np.ndarray,
    scores: np.ndarray,
    *,
    factor: float = 1.0,
    groups: np.ndarray | None = None,
) -> np.ndarray:
    """c · B (S'S) B, symmetrised. `scores` holds one row of score contributions per
    observation (n × k); with `groups` (codes 0..G−1 from `cluster_codes`) they are summed
    within each group first. Leading batch dimensions are allowed — bread (…, k, k), scores
    (…, n, k) — for many fits at once (design diagnosis)."""
    if groups is not None:
        summed = np.zeros((int(groups.max()) + 1, scores.shape[-1]))
        np.add.at(summed, groups, scores)
        scores = summed
    meat = np.einsum("...ni,...nj->...ij", scores, scores)
    vcov = factor * bread @ meat @ bread
    return (vcov + np.swapaxes(vcov, -1, -2)) / 2
