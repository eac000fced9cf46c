"""Two-stage least squares as Stata's `ivregress 2sls …, small`, and the evaluation's compliance
analyses: excluding treatment schools that held no session, and assignment as the instrument for
dosage (sessions ÷ the maximum) or for any session.

`fit_iv` follows `fit_ols`: a constant `_cons` comes first, then the exogenous regressors, then
the endogenous ones; rows are matched by position to `exog`; analytic weights are rescaled to sum
to N; exogenous regressors and instruments collinear with the columns before them are dropped
and reported. Each endogenous regressor's first stage is `fit_ols` on the kept exogenous
regressors and instruments with the same standard errors, and its F is the Wald test that the
instruments' coefficients are zero, as `estat firststage` reports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
from scipy import stats

from threshold.analysis.data import AnalysisData
from threshold.analysis.impact import effect_fields, estimate_itt, itt_sample
from threshold.analysis.ols import (
    COLLINEAR_TOL,
    CONSTANT,
    MSG_DUPLICATE_NAME,
    MSG_UNKNOWN_SE,
    OLSResult,
    _aligned,
    _check_options,
    _check_weights,
    _independent,
    _numbers,
    fit_ols,
)
from threshold.analysis.results import Estimate
from threshold.model import InputError

IVSE = Literal["classical", "hc1", "cluster"]

MSG_FRAME_INDEX = (
    "{what} is indexed differently from exog: align it first, e.g. with .reindex(exog.index)"
)
MSG_NO_ENDOGENOUS = "no endogenous regressor: give at least one column in endog"
MSG_UNDERIDENTIFIED = (
    "{k} endogenous regressor(s) but {m} instrument(s) independent of the exogenous regressors:"
    " give at least one instrument per endogenous regressor"
)
MSG_NO_VARIATION = (
    "{name} does not vary once the exogenous regressors are allowed for (it is constant or a"
    " combination of them): an endogenous regressor must vary to be instrumented"
)
MSG_NOT_IDENTIFIED = (
    "the instruments do not predict {names} beyond the exogenous regressors, so the effect is"
    " not identified: use instruments that do"
)
MSG_MAXIMUM = "maximum is {value}: dosage is sessions held ÷ maximum, so give a positive number"

ANALYSIS_EXCLUDING = "compliance: excluding treatment schools with no session"
ANALYSIS_IV_DOSE = "compliance: IV, dosage instrumented by assignment"
ANALYSIS_IV_ANY = "compliance: IV, any session instrumented by assignment"


@dataclass(frozen=True)
class FirstStage:
    """One endogenous regressor's first stage: its coefficients on the (kept) excluded
    instruments, their standard errors, and the F test that they are all zero."""

    endogenous: str
    instruments: tuple[str, ...]
    coef: tuple[float, ...]
    se: tuple[float, ...]
    f_stat: float
    df_num: int
    df_denom: float
    p_value: float


@dataclass(frozen=True, eq=False)
class IVResult(OLSResult):
    """A 2SLS fit: the second stage's coefficients and variances (`tidy`, `estimate`) as in
    `OLSResult`, with the instruments used and each endogenous regressor's first stage."""

    endogenous: tuple[str, ...]
    instruments: tuple[str, ...]
    dropped_instruments: tuple[str, ...]
    first_stages: tuple[FirstStage, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly copy (NaN becomes None)."""
        return super().to_dict() | {
            "endogenous": list(self.endogenous),
            "instruments": list(self.instruments),
            "dropped_instruments": list(self.dropped_instruments),
            "first_stages": [
                {k: _json(v) for k, v in asdict(stage).items()} for stage in self.first_stages
            ],
        }


def fit_iv(
    y: Any,
    exog: pd.DataFrame,
    endog: pd.DataFrame,
    instruments: pd.DataFrame,
    *,
    se: IVSE = "hc1",
    clusters: Any = None,
    weights: Any = None,
    constant: bool = True,
    alpha: float = 0.05,
) -> IVResult:
    """Fit y on exog and endog by two-stage least squares, the excluded `instruments` standing in
    for `endog`, with Stata's `ivregress 2sls …, small` standard errors: "classical", "hc1"
    (`robust`) or "cluster" (needs `clusters`; G - 1 df). Weights are `[aweight=]`. R² is
    1 - RSS/TSS from the residuals y - Xb (negative when 2SLS fits worse than the mean), centred
    when there is a constant."""
    if se not in get_args(IVSE):
        raise InputError(MSG_UNKNOWN_SE.format(se=se, choices=list(get_args(IVSE))))
    _check_options(se, "analytic", alpha, clusters)
    if endog.shape[1] == 0:
        raise InputError(MSG_NO_ENDOGENOUS)
    for what, frame in (("endog", endog), ("instruments", instruments)):
        if not frame.index.equals(exog.index):
            raise InputError(MSG_FRAME_INDEX.format(what=what))
    table = pd.concat([exog, endog, instruments], axis=1)
    names = [*([CONSTANT] if constant else []), *(str(c) for c in table.columns)]
    for name in names:
        if names.count(name) > 1:
            raise InputError(MSG_DUPLICATE_NAME.format(name=name))
    values = np.column_stack(
        [
            _numbers(table.iloc[:, j], str(table.columns[j]), exog.index)
            for j in range(table.shape[1])
        ]
    )
    yv = _numbers(_aligned(y, "y", exog), getattr(y, "name", None) or "y", exog.index)
    w = np.ones(len(exog))
    if weights is not None:
        w = _numbers(_aligned(weights, "weights", exog), "weights", exog.index)
        _check_weights(w, "analytic", exog.index)
    w = w * len(w) / w.sum()
    root = np.sqrt(w)[:, None]
    k_exog, k_endog = exog.shape[1], endog.shape[1]
    ones = np.ones((len(exog), int(constant)))
    x, n, z = np.split(values, [k_exog, k_exog + k_endog], axis=1)
    endog_names = [str(c) for c in endog.columns]

    keep = _independent(np.column_stack([ones, x, z]) * root)[ones.shape[1] :]
    keep_x, keep_z = keep[:k_exog], keep[k_exog:]
    if keep_z.sum() < k_endog:
        raise InputError(MSG_UNDERIDENTIFIED.format(k=k_endog, m=int(keep_z.sum())))
    included = np.column_stack([ones, x[:, keep_x]])
    varies = _independent(np.column_stack([included, n]) * root)[included.shape[1] :]
    if not varies.all():
        raise InputError(MSG_NO_VARIATION.format(name=endog_names[int(np.argmin(varies))]))
    correlations = _canonical_correlations(included * root, n * root, z[:, keep_z] * root)
    if correlations.min() < COLLINEAR_TOL:
        raise InputError(MSG_NOT_IDENTIFIED.format(names=", ".join(endog_names)))
    regressors, excluded = exog.loc[:, keep_x], instruments.loc[:, keep_z]
    options = {
        "se": se,
        "clusters": clusters,
        "weights": weights,
        "constant": constant,
        "alpha": alpha,
    }
    first = [
        fit_ols(endog.iloc[:, j], pd.concat([regressors, excluded], axis=1), **options)
        for j in range(k_endog)
    ]
    fitted = np.column_stack([included, z[:, keep_z]]) @ np.column_stack([f.coef for f in first])

    # OLS of y - (X - X̂)b on X̂ has coefficients b and residuals y - Xb (as X̂'(y - Xb) = 0), so
    # fit_ols gives the 2SLS variances from the residuals Stata uses.
    hat = np.column_stack([included, fitted])
    b = np.linalg.lstsq(hat * root, yv * root[:, 0], rcond=None)[0]
    resid = yv - np.column_stack([included, n]) @ b
    design = pd.DataFrame(
        np.column_stack([x[:, keep_x], fitted]),
        columns=[*map(str, regressors.columns), *endog_names],
        index=exog.index,
    )
    second = fit_ols(hat @ b + resid, design, **options)
    centre = float(w @ yv / w.sum()) if constant else 0.0
    tss = float(w @ (yv - centre) ** 2)
    r2 = 1 - float(w @ resid**2) / tss if tss > 0 else float("nan")
    k = hat.shape[1]
    return IVResult(
        **{f.name: getattr(second, f.name) for f in fields(OLSResult)}
        | {
            "dropped": tuple(str(c) for c in exog.columns[~keep_x]),
            "r2": r2,
            "r2_adj": 1 - (1 - r2) * (second.nobs - int(constant)) / (second.nobs - k),
        },
        endogenous=tuple(endog_names),
        instruments=tuple(map(str, excluded.columns)),
        dropped_instruments=tuple(str(c) for c in instruments.columns[~keep_z]),
        first_stages=tuple(
            _first_stage(name, fit, tuple(map(str, excluded.columns)))
            for name, fit in zip(endog_names, first, strict=True)
        ),
    )


def _canonical_correlations(included: np.ndarray, n: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Canonical correlations of the endogenous regressors and the instruments, both net of the
    included regressors (each set of columns independent of them)."""
    q = np.linalg.qr(included)[0]

    def net(a: np.ndarray) -> np.ndarray:
        return np.linalg.qr(a - q @ (q.T @ a))[0]

    return np.linalg.svd(net(n).T @ net(z), compute_uv=False)


def _first_stage(endogenous: str, fit: OLSResult, instruments: tuple[str, ...]) -> FirstStage:
    """The Wald F that the instruments' coefficients are all zero; missing when there are more
    instruments than clusters less one, as their clustered variance is then singular."""
    at = [fit.terms.index(name) for name in instruments]
    coef, vcov = fit.coef[at], fit.vcov[np.ix_(at, at)]
    m = len(at)
    f_stat = float("nan")
    if fit.n_clusters is None or m <= fit.n_clusters - 1:
        f_stat = float(coef @ np.linalg.solve(vcov, coef)) / m
    return FirstStage(
        endogenous=endogenous,
        instruments=instruments,
        coef=tuple(map(float, coef)),
        se=tuple(map(float, fit.se[at])),
        f_stat=f_stat,
        df_num=m,
        df_denom=fit.df_resid,
        p_value=float(stats.f.sf(f_stat, m, fit.df_resid)),
    )


def _json(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return None if isinstance(value, float) and np.isnan(value) else value


def estimate_excluding_zero_dose(data: AnalysisData, outcome: str, **options: Any) -> Estimate:
    """The ITT model (`estimate_itt` and its options) without the treatment schools that held no
    session."""
    units = data.units
    include = ~((units["treated"] == 1) & (units["sessions_held"] == 0))
    if options.get("include") is not None:
        include &= options["include"].reindex(units.index).fillna(False).astype(bool)
    estimate = estimate_itt(
        data, outcome, **{"analysis": ANALYSIS_EXCLUDING, **options, "include": include}
    )
    sample = "randomised schools not withdrawn, with the outcome observed, less treatment schools"
    return replace(
        estimate,
        specification=estimate.specification | {"sample": f"{sample} that held no session"},
    )


def estimate_iv_dose(
    data: AnalysisData, outcome: str, *, maximum: float, **options: Any
) -> Estimate:
    """2SLS of the outcome on dosage (sessions held ÷ `maximum`), instrumented by assignment,
    with the ITT model's exogenous regressors: the effect of the full programme. Options are
    `estimate_itt`'s description, se, alpha, covariates, include and per_pupil."""
    if not 0 < maximum < np.inf:
        raise InputError(MSG_MAXIMUM.format(value=maximum))
    dosage = data.units["sessions_held"].astype(float) / maximum
    specification = {"maximum": float(maximum)}
    return _estimate_iv(
        data, outcome, dosage.rename("dosage"), ANALYSIS_IV_DOSE, specification, **options
    )


def estimate_iv_any(data: AnalysisData, outcome: str, **options: Any) -> Estimate:
    """2SLS of the outcome on holding any session (0/1), instrumented by assignment, with the ITT
    model's exogenous regressors. Options as `estimate_iv_dose`."""
    received = data.units["any_session"].astype(float).rename("any_session")
    return _estimate_iv(data, outcome, received, ANALYSIS_IV_ANY, {}, **options)


def _estimate_iv(
    data: AnalysisData,
    outcome: str,
    received: pd.Series,
    analysis: str,
    specification: dict[str, object],
    *,
    description: str = "",
    se: IVSE = "hc1",
    alpha: float = 0.05,
    covariates: Sequence[str] = (),
    include: pd.Series | None = None,
    per_pupil: bool = True,
) -> Estimate:
    """The ITT estimate's sample, arms and control SD, with the 2SLS coefficient of `received`
    (instrumented by `treated`) in place of the ITT coefficient."""
    itt = estimate_itt(
        data,
        outcome,
        analysis=analysis,
        description=description,
        se=se,
        alpha=alpha,
        covariates=covariates,
        include=include,
        per_pupil=per_pupil,
    )
    units, chosen = data.units, itt_sample(data, outcome, covariates, include=include)
    sample, design = chosen.sample, chosen.design
    exog = design.drop(columns="treated")
    fit = fit_iv(
        chosen.y,
        exog,
        received.loc[sample].to_frame(),
        design[["treated"]],
        se=se,
        clusters=units.loc[sample, "block"] if se == "cluster" else None,
        alpha=alpha,
    )
    effect = fit.estimate(str(received.name))
    stage = fit.first_stages[0]
    spec = itt.specification
    return replace(
        itt,
        **effect_fields(
            effect,
            control_sd=float(spec["control_sd"]),  # type: ignore[arg-type]
            n_treatment=itt.n_treatment,
            n_control=itt.n_control,
            per_pupil=per_pupil,
            residual_sd=float(spec["residual_sd"]),  # type: ignore[arg-type]  # the ITT model's
            outcome_sd=float(spec["outcome_sd"]),  # type: ignore[arg-type]
            alpha=alpha,
        ),
        dropped=fit.dropped,
        specification=itt.specification
        | specification
        | {
            "model": "2SLS",
            "regressors": [*exog.columns, str(received.name)],
            "endogenous": str(received.name),
            "instruments": ["treated"],
            "dropped_as_collinear": list(fit.dropped),
            "df_resid": fit.df_resid,
            "r2": fit.r2,
            "itt_coef": itt.coef,
            "first_stage_coef": stage.coef[0],
            "first_stage_se": stage.se[0],
            "first_stage_f": stage.f_stat,
            "first_stage_df": [stage.df_num, stage.df_denom],
            "first_stage_p": stage.p_value,
        },
    )
