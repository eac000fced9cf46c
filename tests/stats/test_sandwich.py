"""The one sandwich: against statsmodels' own robust and clustered covariances, with Stata's
small-sample factors, batched as diagnosis uses it; and no estimator keeps a sandwich of its own."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import statsmodels.api as sm

from threshold.model import InputError
from threshold.stats import cluster_codes, sandwich, stata_factor

SOURCE = Path(__file__).resolve().parents[2] / "src" / "threshold"


@pytest.fixture(scope="module")
def regression() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(19)
    n = 157
    X = sm.add_constant(np.column_stack([rng.normal(size=n), rng.integers(0, 2, n)]))
    y = X @ [1.0, 0.5, -0.3] + rng.normal(size=n) * (1 + X[:, 1] ** 2)
    return X, y, rng.integers(0, 23, n)


def _ols_pieces(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    bread = np.linalg.inv(X.T @ X)
    return bread, y - X @ bread @ X.T @ y


@pytest.mark.parametrize("kind", ["HC0", "HC1", "HC2", "HC3"])
def test_least_squares_matches_statsmodels(regression, kind):
    X, y, _ = regression
    bread, resid = _ols_pieces(X, y)
    n, k = X.shape
    leverage = np.sum((X @ bread) * X, axis=1)
    power = {"HC0": 0.0, "HC1": 0.0, "HC2": 0.5, "HC3": 1.0}[kind]
    scores = (resid / (1 - leverage) ** power)[:, None] * X
    factor = stata_factor("regress", n=n, k=k) if kind == "HC1" else 1.0
    ours = sandwich(bread, scores, factor=factor)
    reference = sm.OLS(y, X).fit(cov_type=kind).cov_params()
    np.testing.assert_allclose(ours, reference, rtol=1e-10)


def test_clustered_least_squares_matches_statsmodels(regression):
    X, y, labels = regression
    bread, resid = _ols_pieces(X, y)
    groups, g = cluster_codes(labels)
    factor = stata_factor("regress", n=len(y), k=X.shape[1], clusters=g)
    ours = sandwich(bread, resid[:, None] * X, factor=factor, groups=groups)
    reference = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": labels}).cov_params()
    np.testing.assert_allclose(ours, reference, rtol=1e-10)


def test_maximum_likelihood_uses_statas_n_over_n_minus_1(regression):
    X, _, labels = regression
    rng = np.random.default_rng(4)
    counts = rng.poisson(np.exp(0.2 + 0.3 * X[:, 1]))
    model = sm.GLM(counts, X, family=sm.families.Poisson())
    params = model.fit().params
    bread = np.linalg.inv(-model.hessian(params))
    n = len(counts)
    ours = sandwich(bread, model.score_obs(params), factor=stata_factor("ml", n=n))
    hc0 = model.fit(cov_type="HC0").cov_params()
    np.testing.assert_allclose(ours, hc0 * n / (n - 1), rtol=1e-8)
    groups, g = cluster_codes(labels)
    clustered = sandwich(
        bread, model.score_obs(params), factor=stata_factor("ml", n=n, clusters=g), groups=groups
    )
    by_hand = sum(
        np.outer(s, s)
        for s in (model.score_obs(params)[labels == c].sum(axis=0) for c in np.unique(labels))
    )
    np.testing.assert_allclose(clustered, g / (g - 1) * bread @ by_hand @ bread, rtol=1e-10)


def test_batches_give_each_fit_its_own_sandwich(regression):
    X, y, _ = regression
    bread, resid = _ols_pieces(X, y)
    stack = np.stack([resid[:, None] * X, 2 * resid[:, None] * X])
    batched = sandwich(np.stack([bread, bread]), stack, factor=1.5)
    np.testing.assert_allclose(batched[1], 4 * batched[0], rtol=1e-12)
    np.testing.assert_allclose(batched[0], sandwich(bread, stack[0], factor=1.5), rtol=1e-12)


def test_one_cluster_is_refused():
    with pytest.raises(InputError, match="1 cluster"):
        cluster_codes(["a", "a", "a"])


def test_no_estimator_keeps_a_sandwich_of_its_own():
    """Robust covariances come from `threshold.stats.sandwich` only: no estimator asks
    statsmodels for one, and no module but it multiplies a bread by a meat."""
    offenders = []
    for path in SOURCE.rglob("*.py"):
        if path.parent.name == "stats":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"cov_type\s*=", text) or re.search(
            r"bread\s*@\s*\(?\s*\w*\s*\.?T?\s*@", text
        ):
            offenders.append(str(path.relative_to(SOURCE)))
    assert offenders == []
