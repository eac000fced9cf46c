"""Flat-table mode: the ITT analysis of any two-arm trial held as one row per unit, no protocol."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from threshold.analysis.api import analysed_balance, attrition_table, distributions
from threshold.analysis.data import AnalysisData
from threshold.analysis.impact import estimate_itt
from threshold.analysis.ols import SE
from threshold.analysis.results import Results
from threshold.model import Arm, InputError

MSG_COLUMN = "{path}: there is no column {column!r} (columns: {columns})"
MSG_ARM_VALUE = "{path}: no row has {arm} = {value!r} (values: {values})"
MSG_NOT_NUMERIC = "{path} row {row}, column {column!r}: {value!r} is not a number"
FLAT_NOTE = (
    "Flat-table analysis: no pre-registered protocol; the model was specified on the command line."
)


def analyse_table(
    table: pd.DataFrame,
    *,
    arm: str,
    treatment: str,
    outcome: str,
    baseline: str | None = None,
    baseline_missing: str | None = None,
    covariates: Sequence[str] = (),
    strata: str | None = None,
    se: SE = "hc1",
    alpha: float = 0.05,
    source: str = "table",
    software: str,
) -> Results:
    """ITT estimate of `outcome` by `arm` (`treatment` vs every other value), adjusting for the
    baseline (blank, or flagged by `baseline_missing`, means missing: zero plus a dummy),
    covariates and strata dummies. Rows with a blank outcome are reported as missing."""
    columns = [arm, outcome, *filter(None, [baseline, baseline_missing, strata]), *covariates]
    for column in columns:
        if column not in table.columns:
            raise InputError(
                MSG_COLUMN.format(path=source, column=column, columns=", ".join(table.columns))
            )
    treated = table[arm].astype(str) == str(treatment)
    if not treated.any():
        values = ", ".join(sorted(table[arm].astype(str).unique())[:10])
        raise InputError(MSG_ARM_VALUE.format(path=source, arm=arm, value=treatment, values=values))
    y = _numbers(table, outcome, source)
    base = _numbers(table, baseline, source) if baseline else pd.Series(np.nan, index=table.index)
    if baseline_missing:
        flagged = table[baseline_missing].astype(str).str.lower().isin(["1", "true", "yes"])
        base = base.mask(flagged)
    units = table.assign(
        arm=np.where(treated, Arm.TREATMENT.value, Arm.CONTROL.value),
        treated=treated.astype(float),
        withdrawn=False,
        block=table[strata].astype(str) if strata else "all",
    )
    frame = pd.DataFrame(
        {"y": y, "baseline": base, "missing_reason": np.where(y.isna(), "blank", None)}
    )
    data = AnalysisData(units=units, outcomes={outcome: frame})
    estimate = estimate_itt(
        data, outcome, se=se, alpha=alpha, covariates=tuple(covariates), per_pupil=False
    )
    return Results(
        trial=f"{outcome} by {arm} ({source})",
        confirmatory=False,
        protocol_state="none",
        protocol_sha256=None,
        alpha=alpha,
        multiplicity="none",
        standard_errors=se,
        estimates=(estimate,),
        attrition=attrition_table(data, outcome),
        balance=analysed_balance(data, outcome),
        software=software,
        notes=(FLAT_NOTE,),
        distributions={outcome: distributions(data, outcome)},
    )


def _numbers(table: pd.DataFrame, column: str, source: str) -> pd.Series:
    raw = table[column]
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            MSG_NOT_NUMERIC.format(path=source, row=row + 1, column=column, value=raw.iloc[row])
        )
    return values.astype(float)
