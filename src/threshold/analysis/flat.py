"""Flat-table mode: the ITT analysis of any two-arm trial held as one row per unit, no protocol.

Nothing in the table is guessed: a blank or third arm, a blank stratum, an unreadable
missing-baseline flag, a repeated id or the outcome given as its own baseline is an error that
names the file, row and column; rows left out (arms other than the two compared) and rows
that repeat another exactly (when no id column is given) are reported in the results' notes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from threshold.analysis.api import analysed_balance, attrition_table, distributions
from threshold.analysis.data import AnalysisData
from threshold.analysis.impact import estimate_itt
from threshold.analysis.multilevel import (
    DESIGNS,
    MSG_DESIGN,
    MultilevelDesign,
    estimate_multilevel,
    summary_note,
)
from threshold.analysis.ols import SE
from threshold.analysis.results import Results
from threshold.model import Arm, InputError

MSG_COLUMN = "{path}: there is no column {column!r} (columns: {columns})"
MSG_ARM_VALUE = "{path}: no row has {arm} = {value!r} (values: {values})"
MSG_ARM_BLANK = "{path} row {row}, column {arm!r}: the arm is blank; give every unit its arm"
MSG_ARM_THIRD = (
    "{path}, column {arm!r}: {n} arm values ({values}), but flat mode compares two: give "
    "--control VALUE to compare {treatment!r} with one of them (the other rows are left out "
    "and reported)"
)
MSG_CONTROL_IS_TREATMENT = "{path}: --control {value!r} is also the treatment value"
MSG_NOT_NUMERIC = "{path} row {row}, column {column!r}: {value!r} is not a number"
MSG_FLAG = (
    "{path} row {row}, column {column!r}: {value!r} is not a missing-baseline flag: use 1 or 0 "
    "(also 1.0/0.0, true/false, yes/no, Y/N; blank means not flagged)"
)
MSG_STRATUM_BLANK = (
    "{path} row {row}, column {column!r}: the stratum is blank; give every unit its stratum "
    "(a blank one would be merged into another)"
)
MSG_DUPLICATE_ID = (
    "{path} rows {rows}, column {column!r}: the id {value!r} appears more than once; each unit "
    "must have one row"
)
MSG_OWN_BASELINE = (
    "{path}: the outcome {outcome!r} is also given as {role}, which would make the estimate "
    "meaningless (coefficient 0); give the outcome's measure before the trial instead"
)
MSG_CLUSTER_NEEDED = (
    "--se cluster needs --cluster COLUMN, the column naming each unit's cluster "
    "(flat mode never clusters on the strata unasked)"
)
MSG_CLUSTER_UNUSED = (
    "--cluster {column!r} was given without --se cluster or --multilevel: ask for both or neither"
)
MSG_CLUSTER_BLANK = (
    "{path} row {row}, column {column!r}: the cluster is blank; give every unit its cluster"
)
MSG_MULTILEVEL_CLUSTER = (
    "--multilevel {design} needs --cluster COLUMN, the column naming each unit's cluster (crt) "
    "or site (mst)"
)
MSG_MULTILEVEL_SE = (
    "--se {se} was given with --multilevel: the multilevel model's standard errors are its own "
    "(model-based); leave --se out"
)
MULTILEVEL_SE = "model-based (multilevel, REML)"
FLAT_NOTE = (
    "Flat-table analysis: no pre-registered protocol; the model was specified on the command line."
)
NOTE_LEFT_OUT = (
    "{n} row(s) with {arm} other than {treatment!r} and {control!r} were left out ({values})."
)
NOTE_NO_ID = (
    "No id column was given, so each row was taken as a unit; {n} row(s) repeat another row "
    "exactly (rows {rows}): give --id COLUMN to check that no unit appears twice."
)
FLAG_TRUE = frozenset({"1", "true", "yes", "y"})
FLAG_FALSE = frozenset({"0", "false", "no", "n"})
ROWS_LISTED = 10


def analyse_table(
    table: pd.DataFrame,
    *,
    arm: str,
    treatment: str,
    outcome: str,
    control: str | None = None,
    unit_id: str | None = None,
    baseline: str | None = None,
    baseline_missing: str | None = None,
    covariates: Sequence[str] = (),
    strata: str | None = None,
    cluster: str | None = None,
    se: SE | None = None,
    multilevel: MultilevelDesign | None = None,
    alpha: float = 0.05,
    source: str = "table",
    software: str,
) -> Results:
    """ITT estimate of `outcome` by `arm` (`treatment` vs `control`, or vs the one other value),
    adjusting for the baseline (blank, or flagged by `baseline_missing`, means missing: zero plus
    a dummy), covariates and strata dummies; clustered errors on `cluster` when se='cluster'
    (hc1 unless told), or the multilevel model `multilevel` (crt or mst) with `cluster` as its
    clusters or sites.
    Numeric arm columns are compared as numbers (`1` matches `1.0`). Rows with a blank outcome
    are reported as missing."""
    named = [arm, outcome, *filter(None, [unit_id, baseline, baseline_missing, strata, cluster])]
    for column in [*named, *covariates]:
        if column not in table.columns:
            raise InputError(
                MSG_COLUMN.format(path=source, column=column, columns=", ".join(table.columns))
            )
    if outcome == baseline or outcome in covariates:
        role = "the baseline" if outcome == baseline else "a covariate"
        raise InputError(MSG_OWN_BASELINE.format(path=source, outcome=outcome, role=role))
    if multilevel is not None:
        if multilevel not in DESIGNS:
            raise InputError(MSG_DESIGN.format(design=multilevel))
        if cluster is None:
            raise InputError(MSG_MULTILEVEL_CLUSTER.format(design=multilevel))
        if se is not None:
            raise InputError(MSG_MULTILEVEL_SE.format(se=se))
    else:
        se = se or "hc1"
        if se == "cluster" and cluster is None:
            raise InputError(MSG_CLUSTER_NEEDED)
        if cluster is not None and se != "cluster":
            raise InputError(MSG_CLUSTER_UNUSED.format(column=cluster))
    notes = [FLAT_NOTE]
    table = table.reset_index(drop=True)
    treated, compared, left_out = _arms(table, arm, treatment, control, source)
    if left_out:
        notes.append(left_out)
    if unit_id:
        _refuse_duplicate_ids(table, unit_id, source)
    else:
        repeats = table.duplicated(keep="first")
        if repeats.any():
            rows = ", ".join(str(i + 1) for i in np.flatnonzero(repeats)[:ROWS_LISTED])
            notes.append(NOTE_NO_ID.format(n=int(repeats.sum()), rows=rows))
    if strata:
        _refuse_blanks(table, strata, MSG_STRATUM_BLANK, source)
    if cluster:
        _refuse_blanks(table, cluster, MSG_CLUSTER_BLANK, source)
    table, treated = table[compared], treated[compared]
    y = _numbers(table, outcome, source)
    base = _numbers(table, baseline, source) if baseline else pd.Series(np.nan, index=table.index)
    if baseline_missing:
        base = base.mask(_flags(table, baseline_missing, source))
    units = table.assign(
        arm=np.where(treated, Arm.TREATMENT.value, Arm.CONTROL.value),
        treated=treated.astype(float),
        withdrawn=False,
        block=table[strata].astype(str) if strata else "all",
        cluster=table[cluster] if cluster else None,
    )
    frame = pd.DataFrame(
        {"y": y, "baseline": base, "missing_reason": np.where(y.isna(), "blank", None)}
    )
    data = AnalysisData(units=units, outcomes={outcome: frame})
    if multilevel is not None:
        estimate, fit = estimate_multilevel(
            data,
            outcome,
            kind=multilevel,
            cluster_name=cluster,
            alpha=alpha,
            covariates=tuple(covariates),
        )
        notes.extend([summary_note(outcome, fit), *fit.notes])
    else:
        estimate = estimate_itt(
            data,
            outcome,
            se=se,
            alpha=alpha,
            covariates=tuple(covariates),
            per_pupil=False,
            cluster_column="cluster",
        )
    return Results(
        trial=f"{outcome} by {arm} ({source})",
        confirmatory=False,
        protocol_state="none",
        protocol_sha256=None,
        alpha=alpha,
        multiplicity="none",
        standard_errors=se or MULTILEVEL_SE,
        estimates=(estimate,),
        attrition=attrition_table(data, outcome),
        balance=analysed_balance(data, outcome),
        software=software,
        notes=tuple(notes),
        distributions={outcome: distributions(data, outcome)},
    )


def _arms(
    table: pd.DataFrame, arm: str, treatment: str, control: str | None, source: str
) -> tuple[pd.Series, pd.Series, str]:
    """Which rows are treated, which rows are compared, and a note on the rows left out."""
    _refuse_blanks(table, arm, MSG_ARM_BLANK, source, key="arm")
    raw = table[arm].astype(str).str.strip()
    numbers = pd.to_numeric(raw, errors="coerce")
    as_number = pd.to_numeric(pd.Series([treatment, control or treatment]), errors="coerce")
    if numbers.notna().all() and as_number.notna().all():
        values, wanted = numbers, (float(as_number[0]), float(as_number[1]))
    else:
        values, wanted = raw, (str(treatment).strip(), str(control or treatment).strip())
    shown = ", ".join(sorted(raw.unique())[:ROWS_LISTED])
    treated = values == wanted[0]
    if not treated.any():
        raise InputError(MSG_ARM_VALUE.format(path=source, arm=arm, value=treatment, values=shown))
    if control is None:
        if values.nunique() > 2:
            raise InputError(
                MSG_ARM_THIRD.format(
                    path=source, arm=arm, n=values.nunique(), values=shown, treatment=treatment
                )
            )
        return treated, pd.Series(True, index=table.index), ""
    if wanted[1] == wanted[0]:
        raise InputError(MSG_CONTROL_IS_TREATMENT.format(path=source, value=control))
    controls = values == wanted[1]
    if not controls.any():
        raise InputError(MSG_ARM_VALUE.format(path=source, arm=arm, value=control, values=shown))
    compared = treated | controls
    others = raw[~compared]
    note = (
        NOTE_LEFT_OUT.format(
            n=len(others),
            arm=arm,
            treatment=treatment,
            control=control,
            values=", ".join(sorted(others.unique())[:ROWS_LISTED]),
        )
        if len(others)
        else ""
    )
    return treated, compared, note


def _refuse_blanks(
    table: pd.DataFrame, column: str, message: str, source: str, *, key: str = "column"
) -> None:
    blank = table[column].isna() | (table[column].astype(str).str.strip() == "")
    if blank.any():
        row = int(np.flatnonzero(blank.to_numpy())[0]) + 1
        raise InputError(message.format(path=source, row=row, **{key: column}))


def _refuse_duplicate_ids(table: pd.DataFrame, column: str, source: str) -> None:
    _refuse_blanks(table, column, "{path} row {row}, column {column!r}: the id is blank", source)
    ids = table[column].astype(str).str.strip()
    repeated = ids[ids.duplicated(keep=False)]
    if len(repeated):
        value = repeated.iloc[0]
        rows = ", ".join(str(i + 1) for i in np.flatnonzero((ids == value).to_numpy()))
        raise InputError(
            MSG_DUPLICATE_ID.format(path=source, rows=rows, column=column, value=value)
        )


def _flags(table: pd.DataFrame, column: str, source: str) -> pd.Series:
    """The missing-baseline flags as booleans: blank is not flagged; anything unreadable is an
    error (a `Y`, `1.0` or `TRUE` is never silently read as 0)."""
    text = table[column].astype(object).fillna("").astype(str).str.strip().str.lower()
    numbers = pd.to_numeric(text, errors="coerce")
    flagged = text.isin(FLAG_TRUE) | (numbers == 1)
    readable = flagged | text.isin(FLAG_FALSE) | (numbers == 0) | (text == "")
    if not readable.all():
        row = readable[~readable].index[0]
        raise InputError(
            MSG_FLAG.format(path=source, row=row + 1, column=column, value=table[column][row])
        )
    return flagged.astype(bool)


def _numbers(table: pd.DataFrame, column: str, source: str) -> pd.Series:
    raw = table[column]
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
    if bad.any():
        row = bad[bad].index[0]
        raise InputError(
            MSG_NOT_NUMERIC.format(path=source, row=row + 1, column=column, value=raw[row])
        )
    return values.astype(float)
