"""Per-school outcome measures from front-door contacts and referrals (DuckDB SQL).

Definitions (the evaluation's research questions):

- `contacts` — contacts whose source is a school (`2A`) and whose contacting school is the
  school, dated within the window (RQ2);
- `nfa_contacts` — those that ended in NFA at contact (RQ1, the primary outcome);
- `referrals` — referrals whose source is the school, dated within the window (RQ3);
- `referral_nfa` — those that ended in NFA at referral or after assessment with the outcome
  decided by `observed_by` (RQ4);
- `all_source_contacts` — contacts from anyone about the school's pupils (RQ5).

Rates are per pupil on roll. A school whose LA could not provide the data for a school year the
window touches (`data_gaps`) gets a missing value with the reason — never a zero.

Every measure over every window is one filtered count, so each table is scanned once per kind of
school it is counted by (the contacting school, the child's school), however many measures and
windows are asked for.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from threshold.model import (
    FRONT_DOOR_MEASURES,
    NFA_REFERRAL_OUTCOMES,
    ContactOutcome,
    DataGap,
    InputError,
    OutcomeMeasure,
    SourceCode,
)

MSG_NOT_FRONT_DOOR = "{measure!r} is not a front-door measure; wellbeing comes from the surveys"
MSG_OBSERVED_BY = "{name}: a referral NFA measure needs the date outcomes are observed by"
MSG_WINDOW = "{name}: the window ends ({end}) before it starts ({start})"
MSG_REPEATED = "{name} over {period} is asked for more than once; name each measure once a period"
MSG_SCHOOL_YEAR = "{value!r} is not a school year; write it like 2023/24"
MISSING_NO_PUPILS = "pupils on roll not recorded"
MISSING_ZERO_PUPILS = "no pupils on roll"

MEASURE_COLUMNS = (
    "urn",
    "name",
    "measure",
    "period",
    "start",
    "end",
    "count",
    "pupils",
    "value",
    "missing_reason",
)
_GAPS_THAT_MISS = {
    OutcomeMeasure.CONTACTS: (DataGap.CONTACTS,),
    OutcomeMeasure.NFA_CONTACTS: (DataGap.CONTACTS,),
    OutcomeMeasure.REFERRALS: (DataGap.CONTACTS,),
    OutcomeMeasure.REFERRAL_NFA: (DataGap.CONTACTS, DataGap.REFERRAL_OUTCOMES),
    OutcomeMeasure.ALL_SOURCE_CONTACTS: (DataGap.CONTACTS, DataGap.ALL_SOURCE_CONTACTS),
}
_SCHOOL = f"_source = '{SourceCode.SCHOOLS.value}'"
_NFA_REFERRAL_SQL = ", ".join(f"'{outcome.value}'" for outcome in sorted(NFA_REFERRAL_OUTCOMES))


@dataclass(frozen=True)
class _Counted:
    """Where a measure is counted: a table, the school it is counted by, which rows, and which
    of those (beyond the window) count."""

    table: str
    by: str
    rows: str
    counts: str


_COUNTED = {
    OutcomeMeasure.CONTACTS: _Counted("contacts", "_school_urn", _SCHOOL, "TRUE"),
    OutcomeMeasure.NFA_CONTACTS: _Counted(
        "contacts", "_school_urn", _SCHOOL, f"_outcome = '{ContactOutcome.NFA.value}'"
    ),
    OutcomeMeasure.REFERRALS: _Counted("referrals", "_school_urn", _SCHOOL, "TRUE"),
    OutcomeMeasure.REFERRAL_NFA: _Counted(
        "referrals",
        "_school_urn",
        _SCHOOL,
        f"_outcome IN ({_NFA_REFERRAL_SQL}) AND _closed < DATE '{{observed_after}}'",
    ),
    OutcomeMeasure.ALL_SOURCE_CONTACTS: _Counted("contacts", "_child_urn", "TRUE", "TRUE"),
}
_COLUMNS = {
    "contacts": {
        "cont_contact_date": "_date",
        "cont_contact_source_code": "_source",
        "cont_source_school_urn": "_school_urn",
        "cont_child_school_urn": "_child_urn",
        "cont_contact_outcome": "_outcome",
    },
    "referrals": {
        "cine_referral_date": "_date",
        "cine_referral_source_code": "_source",
        "cine_source_school_urn": "_school_urn",
        "cine_referral_outcome": "_outcome",
        "cine_close_date": "_closed",
    },
}


@dataclass(frozen=True)
class MeasureSpec:
    """One outcome measure over a date window (inclusive), per pupil or a count."""

    measure: OutcomeMeasure
    start: dt.date
    end: dt.date
    per_pupil: bool = True
    observed_by: dt.date | None = None

    @property
    def period(self) -> str:
        return period_label(self.start, self.end)

    def check(self, name: str) -> None:
        if self.measure not in FRONT_DOOR_MEASURES:
            raise InputError(MSG_NOT_FRONT_DOOR.format(measure=str(self.measure)))
        if self.end < self.start:
            raise InputError(MSG_WINDOW.format(name=name, start=self.start, end=self.end))
        if self.measure is OutcomeMeasure.REFERRAL_NFA and self.observed_by is None:
            raise InputError(MSG_OBSERVED_BY.format(name=name))


def school_years(start: dt.date, end: dt.date) -> list[str]:
    """The school years (`2021/22`, September to August) a window touches."""
    first = start.year - (start.month < 9)
    last = end.year - (end.month < 9)
    return [f"{year}/{(year + 1) % 100:02d}" for year in range(first, last + 1)]


def school_year_window(label: str) -> tuple[dt.date, dt.date]:
    """A school year's outcome window as the evaluation measured it: 1 September to 31 July."""
    match = re.fullmatch(r"([0-9]{4})/([0-9]{2})", label.strip())
    if match is None or (int(match[1]) + 1) % 100 != int(match[2]):
        raise InputError(MSG_SCHOOL_YEAR.format(value=label))
    year = int(match[1])
    return dt.date(year, 9, 1), dt.date(year + 1, 7, 31)


def period_label(start: dt.date, end: dt.date) -> str:
    """`2023/24` for a school year's window (1 September to 31 July), else `START:END`."""
    if (start.month, start.day, end.month, end.day) == (9, 1, 7, 31) and end.year == start.year + 1:
        return f"{start.year}/{end.year % 100:02d}"
    return f"{start.isoformat()}:{end.isoformat()}"


def build_measures(
    schools: pd.DataFrame,
    contacts: pd.DataFrame,
    referrals: pd.DataFrame,
    data_gaps: pd.DataFrame,
    specs: Mapping[str, MeasureSpec] | Iterable[tuple[str, MeasureSpec]],
) -> pd.DataFrame:
    """One row per named measure, period and school (`MEASURE_COLUMNS`): the `count`, `pupils`
    on roll, the `value` (the rate per pupil, or the count) and `missing_reason` (blank unless
    the value is missing). `specs` maps names to measures, or pairs them when one name is
    measured over several periods."""
    named = list(specs.items()) if isinstance(specs, Mapping) else list(specs)
    seen: set[tuple[str, dt.date, dt.date]] = set()
    for name, spec in named:
        spec.check(name)
        if (name, spec.start, spec.end) in seen:
            raise InputError(MSG_REPEATED.format(name=name, period=spec.period))
        seen.add((name, spec.start, spec.end))
    if not named:
        return pd.DataFrame(columns=list(MEASURE_COLUMNS))
    with duckdb.connect() as con:
        con.register("schools", schools[["urn", "la_code", "pupils_on_roll"]])
        for table, frame in (("contacts", contacts), ("referrals", referrals)):
            con.register(f"{table}_frame", frame)  # not copied: DuckDB reads only the columns used
            columns = ", ".join(f"{column} AS {alias}" for column, alias in _COLUMNS[table].items())
            con.execute(f"CREATE VIEW {table} AS SELECT {columns} FROM {table}_frame")
        counted = _count(con, [spec for _, spec in named])
        con.register("counted", counted)
        con.register("missing", _missing_reasons(data_gaps, [spec for _, spec in named]))
        con.register("specs", pd.DataFrame({"spec": range(len(named))}))
        frame = con.execute(
            """
            SELECT p.spec, s.urn, s.pupils_on_roll AS pupils, m.reason AS missing_reason,
                   CASE WHEN m.reason IS NULL THEN coalesce(c.n, 0) END AS count
            FROM specs p CROSS JOIN schools s
            LEFT JOIN counted c ON c.spec = p.spec AND c.urn = s.urn
            LEFT JOIN missing m ON m.spec = p.spec AND m.la_code = s.la_code
            ORDER BY p.spec, s.urn
            """
        ).df()
    return _values(frame, named)


def _count(con: duckdb.DuckDBPyConnection, specs: list[MeasureSpec]) -> pd.DataFrame:
    """`spec`, `urn`, `n`: every spec's count per school, one scan per table and school key."""
    groups: dict[tuple[str, str, str], list[int]] = {}
    for index, spec in enumerate(specs):
        where = _COUNTED[spec.measure]
        groups.setdefault((where.table, where.by, where.rows), []).append(index)
    frames = [pd.DataFrame({"spec": [], "urn": [], "n": []})]
    for (table, by, rows), indices in groups.items():
        first = min(specs[i].start for i in indices)
        after = max(specs[i].end for i in indices) + dt.timedelta(days=1)
        counts = ", ".join(
            f'count(*) FILTER (WHERE {_in_window(specs[i])} AND {_condition(specs[i])}) AS "{i}"'
            for i in indices
        )
        wide = con.execute(
            f"""
            SELECT {by} AS urn, {counts} FROM {table}
            WHERE {rows} AND {by} IS NOT NULL
              AND _date >= DATE '{first.isoformat()}' AND _date < DATE '{after.isoformat()}'
            GROUP BY 1
            """
        ).df()
        long = wide.melt(id_vars="urn", var_name="spec", value_name="n")
        frames.append(long.astype({"spec": "int64"}))
    return pd.concat(frames, ignore_index=True).astype({"spec": "int64", "n": "int64"})


def _in_window(spec: MeasureSpec) -> str:
    after = spec.end + dt.timedelta(days=1)
    return f"_date >= DATE '{spec.start.isoformat()}' AND _date < DATE '{after.isoformat()}'"


def _condition(spec: MeasureSpec) -> str:
    condition = _COUNTED[spec.measure].counts
    if spec.observed_by is None:
        return condition
    return condition.format(observed_after=(spec.observed_by + dt.timedelta(days=1)).isoformat())


def _missing_reasons(data_gaps: pd.DataFrame, specs: list[MeasureSpec]) -> pd.DataFrame:
    """`spec`, `la_code`, `reason`: each LA's gaps in the school years a spec's window touches
    (`2021/22: why; 2022/23: why`), for the gaps that make its measure missing."""
    gaps = data_gaps[["la_code", "school_year", "gap", "reason"]].sort_values(
        "school_year", kind="stable"
    )
    frames = [pd.DataFrame({"spec": [], "la_code": [], "reason": []})]
    for index, spec in enumerate(specs):
        relevant = gaps[
            gaps["gap"].isin([gap.value for gap in _GAPS_THAT_MISS[spec.measure]])
            & gaps["school_year"].isin(school_years(spec.start, spec.end))
        ]
        said = relevant["school_year"].astype(str) + ": " + relevant["reason"].astype(str)
        reasons = said.groupby(relevant["la_code"].astype(str)).agg("; ".join)
        frames.append(
            pd.DataFrame({"spec": index, "la_code": reasons.index, "reason": reasons.to_numpy()})
        )
    return pd.concat(frames, ignore_index=True).astype(
        {"spec": "int64", "la_code": object, "reason": object}
    )


def _values(frame: pd.DataFrame, named: list[tuple[str, MeasureSpec]]) -> pd.DataFrame:
    """Names, periods and values (rates per pupil, or counts) with pupils' missing reasons."""
    at = frame["spec"].to_numpy()

    def each(values: list[object]) -> np.ndarray:
        return np.array(values, dtype=object)[at]

    specs = [spec for _, spec in named]
    per_pupil = np.array([spec.per_pupil for spec in specs], dtype=bool)[at]
    count = frame["count"].astype("Int64")
    pupils = frame["pupils"].astype("Int64")
    reason = frame["missing_reason"].astype(object)
    measured = reason.isna() & per_pupil
    reason = reason.mask(measured & pupils.isna(), MISSING_NO_PUPILS)
    reason = reason.mask(measured & pupils.eq(0).fillna(False), MISSING_ZERO_PUPILS)
    rate = count.astype("Float64") / pupils.astype("Float64")
    value = rate.where(per_pupil, count.astype("Float64")).mask(reason.notna(), pd.NA)
    return pd.DataFrame(
        {
            "urn": frame["urn"],
            "name": each([name for name, _ in named]),
            "measure": each([spec.measure.value for spec in specs]),
            "period": each([spec.period for spec in specs]),
            "start": np.array([spec.start for spec in specs], dtype="datetime64[ns]")[at],
            "end": np.array([spec.end for spec in specs], dtype="datetime64[ns]")[at],
            "count": count,
            "pupils": pupils,
            "value": value,
            "missing_reason": reason,
        },
        columns=list(MEASURE_COLUMNS),
    )
