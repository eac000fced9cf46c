"""Multilevel impact models for outcomes measured below the randomised unit (DSLs or pupils
within schools), with the variance decomposition, ICC and effect sizes that eefAnalytics'
`crtFREQ` (cluster-randomised) and `mstFREQ` (multisite) report.

The model is y_ij = a + b·T_ij + covariates + u_j (+ v_j·T_ij in a multisite trial) + e_ij,
fitted by REML with statsmodels' MixedLM. Fixed effects' standard errors are the GLS ones,
(X'V⁻¹X)⁻¹ at the REML variances (as lme4 and Stata's `mixed` report them); the CI and p-value
are Wald (normal). Effect sizes and their CIs follow Hedges (2007) as eefAnalytics applies them:
docs/analysis.md, "Multilevel models", gives every definition."""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.regression.mixed_linear_model import MixedLM
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from threshold.analysis.data import AnalysisData
from threshold.analysis.effects import StandardisedEffect
from threshold.analysis.impact import itt_estimate, itt_sample
from threshold.analysis.ols import MSG_ALPHA, MSG_DROPPED_TERM, Coefficient, _independent
from threshold.analysis.results import Estimate
from threshold.model import Arm, InputError

MultilevelDesign = Literal["crt", "mst"]
DESIGNS: dict[str, str] = {"crt": "cluster-randomised", "mst": "multisite"}

MSG_DESIGN = "multilevel design {design!r}: use crt (cluster-randomised) or mst (multisite)"
MSG_CLUSTER_ID_BLANK = (
    "{column!r} is blank for {n} row(s) (first: row label {label}): give every unit its cluster"
)
MSG_FEW_CLUSTERS = (
    "{arm} has {n} cluster(s) in {column!r}: a cluster-randomised model needs at least 2 "
    "clusters in each arm"
)
MSG_FEW_SITES = "{column!r} has {n} site(s): a multisite model needs at least 2"
MSG_MIXED_CLUSTER = (
    "{column!r} = {value!r} holds both arms, so the trial is not cluster-randomised on "
    "{column!r}: use the multisite model (mst) or the column the clusters were randomised by"
)
MSG_NO_MIXED_SITE = (
    "no site in {column!r} holds both arms, so the trial is not multisite on {column!r}: use "
    "the cluster-randomised model (crt)"
)
MSG_MISSING = "{what} has {n} missing value(s): leave those rows out (or fill them) before fitting"
MSG_TREATMENT_CODES = "the treatment {term!r} holds {values}: code it 1 (treatment) and 0 (control)"
MSG_NO_VARIATION = "the outcome takes one value ({value}) in every row: there is nothing to model"
MSG_SINGLETONS = (
    "{column!r} has {clusters} clusters for {n} units: a multilevel model needs clusters with "
    "more than one unit (an average of more than {least} per {what})"
)
MSG_NOT_CONVERGED = (
    "the multilevel model did not converge ({detail}): check the cluster column and the "
    "covariates, or analyse cluster means instead"
)
NOTE_BOUNDARY = (
    "The {what} variance was estimated on the boundary of its range ({detail}); the ICC and "
    "effect sizes use that estimate, as eefAnalytics does."
)
BOUNDARY_CORRELATION = 1 - 1e-6
"""An intercept-slope correlation this close to ±1 is reported as a boundary fit."""
GRADIENT_TOLERANCE = 1e-12
"""BFGS gradient tolerance for the REML fit (tight, so estimates agree with lme4's to ~1e-7)."""
OPTIMISERS: tuple[tuple[list[str], dict[str, float]], ...] = (
    (["bfgs"], {"gtol": GRADIENT_TOLERANCE}),
    (["lbfgs"], {}),
    (["powell"], {}),
)
"""Tried in turn until one converges: gradient methods fail when a variance's optimum is 0, where
Powell's derivative-free search still reaches it."""


@dataclass(frozen=True)
class VarianceComponents:
    """Between-cluster, within-cluster (residual) and total variance and the ICC; for a
    multisite model also the site-by-treatment variance and its covariance with the site
    intercept."""

    between: float
    within: float
    total: float
    icc: float
    treatment: float | None = None
    covariance: float | None = None


@dataclass(frozen=True)
class EffectSizes:
    """The treatment effect in SDs of the within-cluster and of the total variance."""

    within: StandardisedEffect
    total: StandardisedEffect

    def to_dict(self) -> dict[str, dict[str, float]]:
        return {"within": self.within._asdict(), "total": self.total._asdict()}


@dataclass(frozen=True)
class MultilevelResult:
    """A fitted multilevel model: the treatment coefficient, every fixed effect, the variance
    components of the model (conditional) and of the intercept-only model (unconditional),
    and the effect sizes on each."""

    design: str
    term: str
    terms: tuple[str, ...]
    params: tuple[float, ...]
    bse: tuple[float, ...]
    coef: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    conditional: VarianceComponents
    unconditional: VarianceComponents
    effect_conditional: EffectSizes
    effect_unconditional: EffectSizes
    n: int
    n_clusters: int
    alpha: float
    dropped: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "model": f"MixedLM (REML), {DESIGNS[self.design]}",
            "design": self.design,
            "fixed_effects": dict(zip(self.terms, self.params, strict=True)),
            "fixed_effect_se": dict(zip(self.terms, self.bse, strict=True)),
            "dropped_as_collinear": list(self.dropped),
            "variance_conditional": asdict(self.conditional),
            "variance_unconditional": asdict(self.unconditional),
            "icc": self.conditional.icc,
            "icc_unconditional": self.unconditional.icc,
            "effect_size_conditional": self.effect_conditional.to_dict(),
            "effect_size_unconditional": self.effect_unconditional.to_dict(),
            "n": self.n,
            "n_clusters": self.n_clusters,
            "multilevel_notes": list(self.notes),
        }

    def tidy(self) -> pd.DataFrame:
        return pd.DataFrame({"term": self.terms, "coef": self.params, "se": self.bse})


def fit_multilevel(
    y: pd.Series,
    design: pd.DataFrame,
    clusters: pd.Series,
    *,
    kind: MultilevelDesign,
    term: str = "treated",
    alpha: float = 0.05,
    cluster_name: str = "cluster",
) -> MultilevelResult:
    """Fit the multilevel model of `y` on a constant and `design` (whose 0/1 column `term` is the
    treatment) with a random intercept per `clusters` value and, when kind='mst', a random
    treatment effect per site (correlated with the intercept, as `mstFREQ` fits it)."""
    if kind not in DESIGNS:
        raise InputError(MSG_DESIGN.format(design=kind))
    if not 0 < alpha < 1:
        raise InputError(MSG_ALPHA.format(alpha=alpha))
    blank = clusters.isna() | (clusters.astype(str).str.strip() == "")
    if blank.any():
        label = clusters.index[np.flatnonzero(blank.to_numpy())[0]]
        raise InputError(
            MSG_CLUSTER_ID_BLANK.format(column=cluster_name, n=int(blank.sum()), label=label)
        )
    for what, values in (("the outcome", y), ("the regressors", design)):
        missing = int(np.asarray(values.isna()).sum())
        if missing:
            raise InputError(MSG_MISSING.format(what=what, n=missing))
    treated = design[term].to_numpy(dtype=float)
    if not np.isin(treated, (0.0, 1.0)).all():
        shown = ", ".join(str(v) for v in np.unique(treated)[:5])
        raise InputError(MSG_TREATMENT_CODES.format(term=term, values=shown))
    groups = clusters.astype(str).str.strip().to_numpy()
    _check_design(y, treated, groups, kind, cluster_name)
    X = design.astype(float).copy()
    X.insert(0, "const", 1.0)
    keep = _independent(X.to_numpy())
    dropped = tuple(X.columns[~keep])
    if term in dropped:
        raise InputError(MSG_DROPPED_TERM.format(term=term))
    X = X.loc[:, keep]
    response = y.to_numpy(dtype=float)
    Z = np.column_stack([np.ones(len(y)), treated]) if kind == "mst" else np.ones((len(y), 1))
    notes: list[str] = []
    params, G, scale = _reml(response, X.to_numpy(), groups, Z, notes)
    vcov = _gls_vcov(X.to_numpy(), groups, Z, G, scale)
    bse = np.sqrt(np.diag(vcov))
    _, G0, scale0 = _reml(response, np.ones((len(y), 1)), groups, np.ones((len(y), 1)), notes)
    unconditional = _components(G0[0, 0], scale0)
    z = float(stats.norm.ppf(1 - alpha / 2))
    i = list(X.columns).index(term)
    beta = float(params[i])
    if kind == "crt":
        conditional = _components(G[0, 0], scale)
        effect = EffectSizes(
            crt_within(beta, conditional.within, conditional.icc, treated, groups, z),
            crt_total(beta, conditional.total, conditional.icc, treated, groups, z),
        )
    else:
        conditional = _mst_components(G, scale, treated)
        effect = EffectSizes(
            mst_within(beta, conditional.within, G[1, 1], treated, groups, z),
            mst_total(beta, conditional.within, G[1, 1], conditional.total, treated, groups, z),
        )
    uncond = EffectSizes(
        crt_within(beta, unconditional.within, unconditional.icc, treated, groups, z),
        crt_total(beta, unconditional.total, unconditional.icc, treated, groups, z),
    )
    se = float(bse[i])
    return MultilevelResult(
        design=kind,
        term=term,
        terms=tuple(X.columns),
        params=tuple(float(p) for p in params),
        bse=tuple(float(s) for s in bse),
        coef=beta,
        se=se,
        ci_low=beta - z * se,
        ci_high=beta + z * se,
        p_value=float(2 * stats.norm.sf(abs(beta / se))),
        conditional=conditional,
        unconditional=unconditional,
        effect_conditional=effect,
        effect_unconditional=uncond,
        n=len(y),
        n_clusters=len(set(groups)),
        alpha=alpha,
        dropped=dropped,
        notes=tuple(dict.fromkeys(notes)),
    )


def estimate_multilevel(
    data: AnalysisData,
    outcome: str,
    *,
    kind: MultilevelDesign,
    cluster_column: str = "cluster",
    cluster_name: str | None = None,
    analysis: str = "primary",
    description: str = "",
    alpha: float = 0.05,
    covariates: tuple[str, ...] = (),
) -> tuple[Estimate, MultilevelResult]:
    """The ITT estimate for one outcome from the multilevel model, over non-withdrawn units with a
    value, adjusting as `estimate_itt` does (baseline, strata dummies, covariates); the
    Estimate's `specification` carries the multilevel fields. `cluster_name` is the column's
    name in messages and the specification (the user's, when `cluster_column` is a copy)."""
    cluster_name = cluster_name or cluster_column
    chosen = itt_sample(data, outcome, covariates)
    fit = fit_multilevel(
        chosen.y,
        chosen.design,
        data.units.loc[chosen.sample, cluster_column],
        kind=kind,
        alpha=alpha,
        cluster_name=cluster_name,
    )
    effect = Coefficient(fit.coef, fit.se, fit.p_value, fit.ci_low, fit.ci_high)
    estimate = itt_estimate(
        effect,
        data=data,
        chosen=chosen,
        outcome=outcome,
        analysis=analysis,
        description=description,
        alpha=alpha,
        per_pupil=False,
        dropped=fit.dropped,
        specification={
            "term": "treated",
            "outcome": outcome,
            "regressors": list(chosen.design.columns),
            "standard_errors": "model-based (GLS at the REML variances); Wald CI",
            "covariates": list(covariates),
            "cluster": cluster_name,
            "sample": "units not withdrawn, with the outcome observed",
            **fit.to_dict(),
        },
    )
    return estimate, fit


def summary_note(outcome: str, fit: MultilevelResult) -> str:
    """One line for the report: the model, the ICC and the four effect sizes with their CIs."""

    def shown(e: StandardisedEffect) -> str:
        return f"{e.estimate:.3f} ({e.ci_low:.3f} to {e.ci_high:.3f})"

    c, u = fit.effect_conditional, fit.effect_unconditional
    return (
        f"{outcome}: multilevel model ({DESIGNS[fit.design]}; MixedLM, REML; {fit.n} units in "
        f"{fit.n_clusters} clusters): ICC {fit.conditional.icc:.3f} (unconditional "
        f"{fit.unconditional.icc:.3f}); effect size on the within-cluster variance "
        f"{shown(c.within)}, on the total variance {shown(c.total)}; unconditional (variances "
        f"of the intercept-only model) {shown(u.within)} and {shown(u.total)}."
    )


def crt_within(
    beta: float, var_within: float, icc: float, treated: np.ndarray, groups: np.ndarray, z: float
) -> StandardisedEffect:
    """b/σ_W with Hedges' (2007) variance for unequal clusters: (N/(N_t N_c))·(1 + (ñ − 1)ρ)/
    (1 − ρ) + g²/(2(N − M)), M the clusters of both arms."""
    s = _sizes(treated, groups)
    g = beta / math.sqrt(var_within)
    variance = (s.N / (s.N_t * s.N_c)) * (1 + (s.n_tilde - 1) * icc) / (1 - icc) + g**2 / (
        2 * (s.N - s.M)
    )
    return _interval(g, variance, z)


def crt_total(
    beta: float, var_total: float, icc: float, treated: np.ndarray, groups: np.ndarray, z: float
) -> StandardisedEffect:
    """(b/σ_T)·√(1 − ρ((N − ñ_Ut m_t − ñ_Uc m_c) + ñ_Ut + ñ_Uc − 2)/(N − 2)) with Hedges' (2007)
    variance for unequal cluster sizes (docs/analysis.md writes it out)."""
    s = _sizes(treated, groups)
    n_ut = (s.N_t**2 - s.sq_t) / (s.N_t * (s.m_t - 1))
    n_uc = (s.N_c**2 - s.sq_c) / (s.N_c * (s.m_c - 1))
    N = s.N
    g = beta / math.sqrt(var_total)
    g *= math.sqrt(1 - icc * ((N - n_ut * s.m_t - n_uc * s.m_c) + n_ut + n_uc - 2) / (N - 2))
    B = n_ut * (s.m_t - 1) + n_uc * (s.m_c - 1)
    A = (s.N_t**2 * s.sq_t + s.sq_t**2 - 2 * s.N_t * s.cube_t) / s.N_t**2 + (
        s.N_c**2 * s.sq_c + s.sq_c**2 - 2 * s.N_c * s.cube_c
    ) / s.N_c**2
    first = (N / (s.N_t * s.N_c)) * (1 + (s.n_tilde - 1) * icc)
    numerator = ((N - 2) * (1 - icc) ** 2 + A * icc**2 + 2 * B * icc * (1 - icc)) * g**2
    denominator = 2 * (N - 2) * ((N - 2) - icc * (N - 2 - B))
    return _interval(g, first + numerator / denominator, z)


def mst_within(
    beta: float,
    var_within: float,
    var_slope: float,
    treated: np.ndarray,
    groups: np.ndarray,
    z: float,
) -> StandardisedEffect:
    """b/σ_W with variance 1/Σᵢ σ_W²/(σ_v² + σ_W²/ñᵢ) + g²/(2N − 4M), over the sites i holding
    both arms (ñᵢ = n_it n_ic/(n_it + n_ic)); M counts every site."""
    g = beta / math.sqrt(var_within)
    return _mst_interval(g, var_within, var_within, var_slope, treated, groups, z)


def mst_total(
    beta: float,
    var_within: float,
    var_slope: float,
    var_total: float,
    treated: np.ndarray,
    groups: np.ndarray,
    z: float,
) -> StandardisedEffect:
    """b/σ_T with variance 1/Σᵢ σ_T²/(σ_v² + σ_W²/ñᵢ) + g²/(2N − 4M) (as `mst_within`)."""
    g = beta / math.sqrt(var_total)
    return _mst_interval(g, var_total, var_within, var_slope, treated, groups, z)


@dataclass(frozen=True)
class _Sizes:
    N_t: float
    N_c: float
    N: float
    m_t: int
    m_c: int
    M: int
    sq_t: float
    sq_c: float
    cube_t: float
    cube_c: float
    n_tilde: float


def _sizes(treated: np.ndarray, groups: np.ndarray) -> _Sizes:
    """Units and clusters per arm and the sums of squared and cubed cluster sizes per arm."""
    frame = pd.DataFrame({"t": treated == 1, "g": groups})
    n_t = frame[frame["t"]].groupby("g").size().to_numpy(dtype=float)
    n_c = frame[~frame["t"]].groupby("g").size().to_numpy(dtype=float)
    N_t, N_c = n_t.sum(), n_c.sum()
    N = N_t + N_c
    sq_t, sq_c = float((n_t**2).sum()), float((n_c**2).sum())
    n_tilde = (N_c * sq_t) / (N_t * N) + (N_t * sq_c) / (N_c * N)
    return _Sizes(
        N_t=N_t,
        N_c=N_c,
        N=N,
        m_t=len(n_t),
        m_c=len(n_c),
        M=len(n_t) + len(n_c),
        sq_t=sq_t,
        sq_c=sq_c,
        cube_t=float((n_t**3).sum()),
        cube_c=float((n_c**3).sum()),
        n_tilde=n_tilde,
    )


def _mst_interval(
    g: float,
    var_scale: float,
    var_within: float,
    var_slope: float,
    treated: np.ndarray,
    groups: np.ndarray,
    z: float,
) -> StandardisedEffect:
    table = pd.crosstab(groups, treated == 1)
    both = table[(table[True] > 0) & (table[False] > 0)]
    n_t, n_c = both[True].to_numpy(dtype=float), both[False].to_numpy(dtype=float)
    harmonic = n_t * n_c / (n_t + n_c)
    N, M = len(treated), len(table)
    precision = float((var_scale / (var_slope + var_within / harmonic)).sum())
    return _interval(g, 1 / precision + g**2 / (2 * N - 4 * M), z)


def _interval(g: float, variance: float, z: float) -> StandardisedEffect:
    half = z * math.sqrt(variance)
    return StandardisedEffect(g, g - half, g + half)


def _components(between: float, within: float) -> VarianceComponents:
    between, within = float(between), float(within)
    total = between + within
    return VarianceComponents(between=between, within=within, total=total, icc=between / total)


def _mst_components(G: np.ndarray, within: float, treated: np.ndarray) -> VarianceComponents:
    """mstFREQ's decomposition: total = σ_u² + σ_W² + (N_t/N)(σ_v² + 2σ_uv); the ICC is
    (σ_u² + σ_v² + 2σ_uv)/total."""
    share = float(treated.mean())
    total = G[0, 0] + within + share * (G[1, 1] + 2 * G[0, 1])
    return VarianceComponents(
        between=float(G[0, 0]),
        within=float(within),
        total=float(total),
        icc=float(G.sum() / total),
        treatment=float(G[1, 1]),
        covariance=float(G[0, 1]),
    )


def _check_design(
    y: pd.Series, treated: np.ndarray, groups: np.ndarray, kind: str, column: str
) -> None:
    values = y.to_numpy(dtype=float)
    if np.ptp(values) == 0:
        raise InputError(MSG_NO_VARIATION.format(value=values[0]))
    frame = pd.DataFrame({"t": treated == 1, "g": groups})
    arms_per_cluster = frame.groupby("g")["t"].nunique()
    n, clusters = len(values), len(arms_per_cluster)
    if kind == "crt":
        mixed = arms_per_cluster[arms_per_cluster > 1]
        if len(mixed):
            raise InputError(MSG_MIXED_CLUSTER.format(column=column, value=mixed.index[0]))
        for arm, flag in ((Arm.TREATMENT, True), (Arm.CONTROL, False)):
            count = frame.loc[frame["t"] == flag, "g"].nunique()
            if count < 2:
                raise InputError(MSG_FEW_CLUSTERS.format(arm=arm.value, n=count, column=column))
        if n <= clusters:
            raise InputError(
                MSG_SINGLETONS.format(
                    column=column, clusters=clusters, n=n, least=1, what="cluster"
                )
            )
        return
    if clusters < 2:
        raise InputError(MSG_FEW_SITES.format(column=column, n=clusters))
    if not (arms_per_cluster > 1).any():
        raise InputError(MSG_NO_MIXED_SITE.format(column=column))
    if 2 * n <= 4 * clusters:
        raise InputError(
            MSG_SINGLETONS.format(column=column, clusters=clusters, n=n, least=2, what="site")
        )


def _reml(
    y: np.ndarray, X: np.ndarray, groups: np.ndarray, Z: np.ndarray, notes: list[str]
) -> tuple[np.ndarray, np.ndarray, float]:
    """REML fixed effects, random-effects covariance and residual variance, by the first of
    `OPTIMISERS` that converges; an error when none does, a note on a boundary."""
    model = MixedLM(y, X, groups=groups, exog_re=Z)
    detail = ""
    for method, options in OPTIMISERS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")  # recorded, not raised: judged below
            try:
                fit = model.fit(reml=True, method=method, **options)
            except (np.linalg.LinAlgError, ValueError) as error:
                detail = str(error)
                continue
        failed = [
            str(w.message)
            for w in caught
            if issubclass(w.category, ConvergenceWarning) and "converge" in str(w.message).lower()
        ]
        if fit.converged and not failed:
            G = np.asarray(fit.cov_re, dtype=float)
            _boundary_notes(G, notes)
            return np.asarray(fit.fe_params, dtype=float), G, float(fit.scale)
        detail = "; ".join(failed) or "the optimiser stopped early"
    raise InputError(MSG_NOT_CONVERGED.format(detail=detail))


def _boundary_notes(G: np.ndarray, notes: list[str]) -> None:
    names = ("between-cluster", "site-by-treatment")
    for k in range(G.shape[0]):
        if G[k, k] <= 1e-8 * max(1.0, float(np.abs(G).max())):
            notes.append(NOTE_BOUNDARY.format(what=names[k], detail="estimated as 0"))
    if G.shape[0] == 2 and G[0, 0] > 0 and G[1, 1] > 0:
        correlation = G[0, 1] / math.sqrt(G[0, 0] * G[1, 1])
        if abs(correlation) >= BOUNDARY_CORRELATION:
            notes.append(
                NOTE_BOUNDARY.format(
                    what="site-by-treatment",
                    detail=f"its correlation with the site intercept is {correlation:.6f}",
                )
            )


def _gls_vcov(
    X: np.ndarray, groups: np.ndarray, Z: np.ndarray, G: np.ndarray, scale: float
) -> np.ndarray:
    """(Σ_j X_j' V_j⁻¹ X_j)⁻¹ with V_j = σ²I + Z_j G Z_j'."""
    information = np.zeros((X.shape[1], X.shape[1]))
    for cluster in pd.unique(groups):
        rows = groups == cluster
        Zj = Z[rows]
        V = scale * np.eye(int(rows.sum())) + Zj @ G @ Zj.T
        Xj = X[rows]
        information += Xj.T @ np.linalg.solve(V, Xj)
    return np.linalg.inv(information)
