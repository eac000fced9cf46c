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
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import duckdb
import pandas as pd

from threshold.model import (
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

FRONT_DOOR_MEASURES = (
    OutcomeMeasure.CONTACTS,
    OutcomeMeasure.NFA_CONTACTS,
    OutcomeMeasure.REFERRALS,
    OutcomeMeasure.REFERRAL_NFA,
    OutcomeMeasure.ALL_SOURCE_CONTACTS,
)
_GAPS_THAT_MISS = {
    OutcomeMeasure.CONTACTS: (DataGap.CONTACTS,),
    OutcomeMeasure.NFA_CONTACTS: (DataGap.CONTACTS,),
    OutcomeMeasure.REFERRALS: (DataGap.CONTACTS,),
    OutcomeMeasure.REFERRAL_NFA: (DataGap.CONTACTS, DataGap.REFERRAL_OUTCOMES),
    OutcomeMeasure.ALL_SOURCE_CONTACTS: (DataGap.CONTACTS, DataGap.ALL_SOURCE_CONTACTS),
}
_NFA_REFERRAL_SQL = ", ".join(f"'{outcome.value}'" for outcome in sorted(NFA_REFERRAL_OUTCOMES))
MEASURE_COLUMNS = ("urn", "name", "measure", "count", "pupils", "value", "missing_reason")


@dataclass(frozen=True)
class MeasureSpec:
    """One outcome measure over a date window (inclusive), per pupil or a count."""

    measure: OutcomeMeasure
    start: dt.date
    end: dt.date
    per_pupil: bool = True
    observed_by: dt.date | None = None

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


def build_measures(
    schools: pd.DataFrame,
    contacts: pd.DataFrame,
    referrals: pd.DataFrame,
    data_gaps: pd.DataFrame,
    specs: Mapping[str, MeasureSpec],
) -> pd.DataFrame:
    """One row per school and named measure: `urn`, `name`, `measure`, `count`, `pupils`,
    `value` (the rate per pupil, or the count) and `missing_reason` (blank unless missing)."""
    for name, spec in specs.items():
        spec.check(name)
    con = duckdb.connect()
    con.register("schools", schools[["urn", "la_code", "pupils_on_roll"]])
    con.register(
        "contacts",
        contacts[
            [
                "cont_contact_date",
                "cont_contact_source_code",
                "cont_source_school_urn",
                "cont_child_school_urn",
                "cont_contact_outcome",
            ]
        ],
    )
    con.register(
        "referrals",
        referrals[
            [
                "cine_referral_date",
                "cine_referral_source_code",
                "cine_source_school_urn",
                "cine_referral_outcome",
                "cine_close_date",
            ]
        ],
    )
    con.register("gaps", data_gaps[["la_code", "school_year", "gap", "reason"]])
    frames = [_one(con, name, spec) for name, spec in specs.items()]
    con.close()
    if not frames:
        return pd.DataFrame(columns=list(MEASURE_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def _one(con: duckdb.DuckDBPyConnection, name: str, spec: MeasureSpec) -> pd.DataFrame:
    school = f"'{SourceCode.SCHOOLS.value}'"
    window = "BETWEEN $start AND $end"
    counted = {
        OutcomeMeasure.CONTACTS: f"""
            SELECT cont_source_school_urn AS urn, count(*) AS n FROM contacts
            WHERE cont_contact_source_code = {school} AND cont_contact_date {window}
            GROUP BY 1""",
        OutcomeMeasure.NFA_CONTACTS: f"""
            SELECT cont_source_school_urn AS urn, count(*) AS n FROM contacts
            WHERE cont_contact_source_code = {school} AND cont_contact_date {window}
              AND cont_contact_outcome = '{ContactOutcome.NFA.value}'
            GROUP BY 1""",
        OutcomeMeasure.REFERRALS: f"""
            SELECT cine_source_school_urn AS urn, count(*) AS n FROM referrals
            WHERE cine_referral_source_code = {school} AND cine_referral_date {window}
            GROUP BY 1""",
        OutcomeMeasure.REFERRAL_NFA: f"""
            SELECT cine_source_school_urn AS urn, count(*) AS n FROM referrals
            WHERE cine_referral_source_code = {school} AND cine_referral_date {window}
              AND cine_referral_outcome IN ({_NFA_REFERRAL_SQL})
              AND cine_close_date <= $observed_by
            GROUP BY 1""",
        OutcomeMeasure.ALL_SOURCE_CONTACTS: f"""
            SELECT cont_child_school_urn AS urn, count(*) AS n FROM contacts
            WHERE cont_contact_date {window}
            GROUP BY 1""",
    }[spec.measure]
    gaps = ", ".join(f"'{gap.value}'" for gap in _GAPS_THAT_MISS[spec.measure])
    years = ", ".join(f"'{year}'" for year in school_years(spec.start, spec.end))
    query = f"""
        WITH counted AS ({counted}),
        missing AS (
            SELECT la_code,
                   string_agg(school_year || ': ' || reason, '; ' ORDER BY school_year) AS reason
            FROM gaps WHERE gap IN ({gaps}) AND school_year IN ({years}) GROUP BY la_code
        )
        SELECT s.urn,
               CASE WHEN m.reason IS NULL THEN coalesce(c.n, 0) END AS count,
               s.pupils_on_roll AS pupils,
               m.reason AS missing_reason
        FROM schools s
        LEFT JOIN counted c ON c.urn = s.urn
        LEFT JOIN missing m ON m.la_code = s.la_code
        ORDER BY s.urn
    """
    parameters: dict[str, object] = {"start": spec.start, "end": spec.end}
    if spec.measure is OutcomeMeasure.REFERRAL_NFA:
        parameters["observed_by"] = spec.observed_by
    frame = con.execute(query, parameters).df()
    frame["count"] = frame["count"].astype("Int64")
    no_pupils = frame["pupils"].isna() & frame["missing_reason"].isna() & spec.per_pupil
    frame.loc[no_pupils, "missing_reason"] = "pupils on roll not recorded"
    if spec.per_pupil:
        frame["value"] = frame["count"].astype("Float64") / frame["pupils"].astype("Float64")
    else:
        frame["value"] = frame["count"].astype("Float64")
    frame.loc[frame["missing_reason"].notna(), "value"] = pd.NA
    frame.insert(1, "name", name)
    frame.insert(2, "measure", spec.measure.value)
    return frame.loc[:, list(MEASURE_COLUMNS)]
