"""Least squares as Stata's `regress`: weights, robust and clustered errors, collinear columns.

`fit_ols(y, X)` adds a constant `_cons` as the first term unless `constant=False`. `y`, `weights`
and `clusters` are matched to the rows of `X` by position; a pandas Series among them must carry
X's index. Collinear regressors are dropped the way `_rmcoll` reports them: scanning in order, a
column whose part orthogonal to the kept columns before it is under `COLLINEAR_TOL` of its own
length (after weighting) is dropped; that is R's `lm` rule, and the relative test makes it
indifferent to the scale of a column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, get_args

import numpy as np
import pandas as pd
from scipy import linalg, stats

from threshold.model import InputError
from threshold.stats import cluster_codes, sandwich, stata_factor

SE = Literal["hc1", "hc2", "hc3", "classical", "cluster"]
WeightKind = Literal["analytic", "frequency"]
CONSTANT = "_cons"
COLLINEAR_TOL = 1e-7
LEVERAGE_TOL = 1e-8

MSG_UNKNOWN_SE = "unknown se type {se!r}: use one of {choices}"
MSG_UNKNOWN_WEIGHT_KIND = "unknown weight kind {kind!r}: use one of {choices}"
MSG_ALPHA = "alpha is {alpha}: it must lie strictly between 0 and 1"
MSG_CLUSTERS_REQUIRED = "se='cluster' needs clusters: give one cluster label per row of X"
MSG_CLUSTERS_UNUSED = "clusters were given with se={se!r}: ask for se='cluster' or leave them out"
MSG_LENGTH = "{what} has {n} rows but X has {nx}: give one value per row of X"
MSG_INDEX = "{what} is indexed differently from X: align it first, e.g. with .reindex(X.index)"
MSG_DUPLICATE_NAME = "X has more than one column named {name!r}: give each regressor its own name"
MSG_NOT_NUMERIC = "{column} is not numeric: code it as numbers (e.g. 0/1 dummies) before fitting"
MSG_MISSING = "{column} is missing or infinite at row {row}: drop or impute it before fitting"
MSG_WEIGHT_POSITIVE = "weights at row {row} is {value}: weights must be positive"
MSG_WEIGHT_WHOLE = "weights at row {row} is {value}: frequency weights must be whole numbers"
MSG_NO_REGRESSORS = "no regressor to fit: every column of X is zero or there are none"
MSG_TOO_FEW_OBS = "{n} observations for {k} parameters: need more observations than parameters"
MSG_LEVERAGE_ONE = (
    "row {row} has leverage 1 (the model fits it exactly), so {se} standard errors are undefined:"
    " use se='hc1' or remove the regressor that singles it out"
)
MSG_UNKNOWN_TERM = "{term!r} is not a regressor of this model: its terms are {terms}"
MSG_DROPPED_TERM = "{term!r} was dropped as collinear with the regressors before it: no estimate"


class Coefficient(NamedTuple):
    """One coefficient with its standard error, two-sided p-value and confidence interval."""

    coef: float
    se: float
    p_value: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True, eq=False)
class OLSResult:
    """A fitted linear model; arrays follow `terms`."""

    terms: tuple[str, ...]
    dropped: tuple[str, ...]
    coef: np.ndarray
    se: np.ndarray
    vcov: np.ndarray
    df_resid: float
    nobs: int
    r2: float
    r2_adj: float
    root_mse: float
    """√(RSS/(n − k)), Stata's Root MSE: the residual standard deviation."""
    se_type: str
    n_clusters: int | None
    alpha: float

    def tidy(self) -> pd.DataFrame:
        """One row per kept term: term, coef, se, t, p_value, ci_low, ci_high."""
        return pd.DataFrame({"term": list(self.terms), **self._columns(slice(None))})

    def estimate(self, term: str) -> Coefficient:
        """The estimate for one term."""
        if term in self.dropped:
            raise InputError(MSG_DROPPED_TERM.format(term=term))
        if term not in self.terms:
            raise InputError(MSG_UNKNOWN_TERM.format(term=term, terms=list(self.terms)))
        at = self.terms.index(term)
        row = self._columns(slice(at, at + 1))
        return Coefficient(
            *(float(row[c][0]) for c in ("coef", "se", "p_value", "ci_low", "ci_high"))
        )

    def _columns(self, terms: slice) -> dict[str, np.ndarray]:
        """coef, se, t, p_value, ci_low and ci_high of the terms at `terms`."""
        coef, se = self.coef[terms], self.se[terms]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = coef / se
        half = stats.t.ppf(1 - self.alpha / 2, self.df_resid) * se
        return {
            "coef": coef,
            "se": se,
            "t": t,
            "p_value": 2 * stats.t.sf(np.abs(t), self.df_resid),
            "ci_low": coef - half,
            "ci_high": coef + half,
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly copy (NaN becomes None)."""

        def number(x: float) -> float | None:
            return None if np.isnan(x) else float(x)

        return {
            "terms": list(self.terms),
            "dropped": list(self.dropped),
            "estimates": [
                {k: (v if k == "term" else number(v)) for k, v in row.items()}
                for row in self.tidy().to_dict("records")
            ],
            "vcov": self.vcov.tolist(),
            "df_resid": float(self.df_resid),
            "nobs": self.nobs,
            "r2": number(self.r2),
            "r2_adj": number(self.r2_adj),
            "se_type": self.se_type,
            "n_clusters": self.n_clusters,
            "alpha": self.alpha,
        }


def fit_ols(
    y: Any,
    X: pd.DataFrame,
    *,
    se: SE = "hc1",
    clusters: Any = None,
    weights: Any = None,
    weight_kind: WeightKind = "analytic",
    constant: bool = True,
    alpha: float = 0.05,
) -> OLSResult:
    """Fit y on X by (weighted) least squares with Stata's `regress` standard errors.

    se: "classical", "hc1" (Stata's `robust`), "hc2", "hc3", or "cluster" (needs `clusters`;
    t tests use G - 1 df). Analytic weights are `[aweight=]` (rescaled to sum to N); frequency
    weights are `[fweight=]` (as if each row were repeated; N is their sum).
    """
    _check_options(se, weight_kind, alpha, clusters)
    design = X.copy()
    if constant:
        if CONSTANT in design.columns:
            raise InputError(MSG_DUPLICATE_NAME.format(name=CONSTANT))
        design.insert(0, CONSTANT, 1.0)
    names = [str(c) for c in design.columns]
    if not names:
        raise InputError(MSG_NO_REGRESSORS)
    for name in names:
        if names.count(name) > 1:
            raise InputError(MSG_DUPLICATE_NAME.format(name=name))
    x = _matrix(design, names, X.index)
    yv = _numbers(_aligned(y, "y", X), getattr(y, "name", None) or "y", X.index)
    w = np.ones(len(X))
    if weights is not None:
        w = _numbers(_aligned(weights, "weights", X), "weights", X.index)
        _check_weights(w, weight_kind, X.index)
    groups, n_clusters = None, None
    if clusters is not None:
        labels = pd.Series(_aligned(clusters, "clusters", X))
        if labels.isna().any():
            row = X.index[int(np.flatnonzero(labels.isna())[0])]
            raise InputError(MSG_MISSING.format(column="clusters", row=row))
        groups, n_clusters = cluster_codes(labels)
    if weight_kind == "analytic":
        w = w * len(w) / w.sum()
        nobs = len(w)
    else:
        nobs = round(w.sum())

    root = np.sqrt(w)
    keep = _independent(x * root[:, None])
    if not keep.any():
        raise InputError(MSG_NO_REGRESSORS)
    x = x[:, keep]
    k = x.shape[1]
    if nobs <= k:
        raise InputError(MSG_TOO_FEW_OBS.format(n=nobs, k=k))
    q, r = np.linalg.qr(x * root[:, None])
    coef = linalg.solve_triangular(r, q.T @ (yv * root))
    r_inv = linalg.solve_triangular(r, np.eye(k))
    bread = r_inv @ r_inv.T
    resid = yv - x @ coef
    rss = float(w @ resid**2)

    df_resid: float = nobs - k
    if se == "classical":
        vcov = rss / (nobs - k) * bread
    elif se == "cluster":
        scores = (w * resid)[:, None] * x
        factor = stata_factor("regress", n=nobs, k=k, clusters=n_clusters)
        vcov = sandwich(bread, scores, factor=factor, groups=groups)
        df_resid = n_clusters - 1
    else:
        contribution = resid * (w if weight_kind == "analytic" else np.sqrt(w))
        if se in ("hc2", "hc3"):
            # Stata's leverage leaves the (normalised) weight out of h: x_i'(X'WX)^-1 x_i.
            leverage = np.sum((x @ bread) * x, axis=1)
            if (1 - leverage < LEVERAGE_TOL).any():
                row = X.index[int(np.argmax(leverage))]
                raise InputError(MSG_LEVERAGE_ONE.format(row=row, se=se))
            contribution = contribution / (1 - leverage) ** (0.5 if se == "hc2" else 1.0)
        factor = stata_factor("regress", n=nobs, k=k) if se == "hc1" else 1.0
        vcov = sandwich(bread, contribution[:, None] * x, factor=factor)

    has_constant = np.linalg.norm(root - q @ (q.T @ root)) < COLLINEAR_TOL * np.linalg.norm(root)
    centre = float(w @ yv / w.sum()) if has_constant else 0.0
    tss = float(w @ (yv - centre) ** 2)
    r2 = 1 - rss / tss if tss > 0 else float("nan")
    r2_adj = 1 - (1 - r2) * (nobs - has_constant) / (nobs - k)
    for array in (coef, vcov):
        array.setflags(write=False)
    se_values = np.sqrt(np.clip(np.diag(vcov), 0.0, None))  # rounding can leave -1e-20
    se_values.setflags(write=False)
    return OLSResult(
        terms=tuple(n for n, kept in zip(names, keep, strict=True) if kept),
        dropped=tuple(n for n, kept in zip(names, keep, strict=True) if not kept),
        coef=coef,
        se=se_values,
        vcov=vcov,
        df_resid=df_resid,
        nobs=nobs,
        r2=r2,
        r2_adj=r2_adj,
        root_mse=float(np.sqrt(rss / (nobs - k))),
        se_type=se,
        n_clusters=n_clusters,
        alpha=alpha,
    )


def _check_options(se: str, weight_kind: str, alpha: float, clusters: Any) -> None:
    if se not in get_args(SE):
        raise InputError(MSG_UNKNOWN_SE.format(se=se, choices=list(get_args(SE))))
    if weight_kind not in get_args(WeightKind):
        choices = list(get_args(WeightKind))
        raise InputError(MSG_UNKNOWN_WEIGHT_KIND.format(kind=weight_kind, choices=choices))
    if not 0 < alpha < 1:
        raise InputError(MSG_ALPHA.format(alpha=alpha))
    if se == "cluster" and clusters is None:
        raise InputError(MSG_CLUSTERS_REQUIRED)
    if se != "cluster" and clusters is not None:
        raise InputError(MSG_CLUSTERS_UNUSED.format(se=se))


def _aligned(values: Any, what: str, X: pd.DataFrame) -> Any:
    """Values as a 1-D sequence matched to X's rows by position, after checking length/index."""
    if isinstance(values, pd.Series) and len(values) == len(X):
        if not values.index.equals(X.index):
            raise InputError(MSG_INDEX.format(what=what))
        return values.reset_index(drop=True)
    array = np.asarray(values)
    if array.ndim != 1 or len(array) != len(X):
        raise InputError(MSG_LENGTH.format(what=what, n=len(array), nx=len(X)))
    return array


def _matrix(design: pd.DataFrame, names: list[str], index: pd.Index) -> np.ndarray:
    """The design's columns as finite floats (at once when they are), or the error `_numbers`
    gives for the first bad column."""
    numeric = all(
        pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
        for dtype in design.dtypes
    )
    if numeric:
        x = design.to_numpy(dtype=float, na_value=np.nan)
        if np.isfinite(x).all():
            return x
    return np.column_stack(
        [_numbers(design.iloc[:, j], names[j], index) for j in range(len(names))]
    )


def _numbers(values: Any, column: str, index: pd.Index) -> np.ndarray:
    """Finite floats, or an error naming the column and the first bad row."""
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
        raise InputError(MSG_NOT_NUMERIC.format(column=column))
    array = series.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(array)
    if bad.any():
        raise InputError(MSG_MISSING.format(column=column, row=index[int(np.argmax(bad))]))
    return array


def _check_weights(w: np.ndarray, kind: str, index: pd.Index) -> None:
    bad = w <= 0
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(MSG_WEIGHT_POSITIVE.format(row=index[i], value=w[i]))
    bad = w != np.round(w)
    if kind == "frequency" and bad.any():
        i = int(np.argmax(bad))
        raise InputError(MSG_WEIGHT_WHOLE.format(row=index[i], value=w[i]))


def _independent(a: np.ndarray) -> np.ndarray:
    """Mask of the columns that are not combinations of the kept columns before them."""
    basis = np.empty_like(a)
    keep = np.zeros(a.shape[1], dtype=bool)
    kept = 0
    for j in range(a.shape[1]):
        length = np.linalg.norm(a[:, j])
        if length == 0:
            continue
        rest = a[:, j] / length
        for _ in range(2):  # Gram-Schmidt twice is enough for orthogonality to working precision
            rest = rest - basis[:, :kept] @ (basis[:, :kept].T @ rest)
        size = np.linalg.norm(rest)
        if size > COLLINEAR_TOL:
            basis[:, kept] = rest / size
            keep[j] = True
            kept += 1
    return keep
