"""DfE school-level files: the January school census and the KS4 performance tables.

Both are the performance tables' CSVs with their real column names. Summary rows (national or
LA totals, with no URN) are skipped; suppressed or non-numeric figures are missing, never zero.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from threshold.model import EstablishmentType
from threshold.register._files import check_urns, figures, la_codes, pick, read_text

CENSUS_COLUMNS = {
    "urn": ("URN",),
    "la_code": ("LA", "LEA"),
    "school_type": ("SCHOOLTYPE",),
    "pupils_on_roll": ("NOR",),
    "pct_fsm": ("PNUMFSMEVER",),
    "pct_eal": ("PNUMEAL",),
    "pct_sen_support": ("PSENELK",),
}
"""Standard name: the census column(s) it is read from (FSM: eligible in the last six years)."""

KS4_COLUMNS = {
    "rectype": ("RECTYPE",),
    "urn": ("URN",),
    "name": ("SCHNAME",),
    "la_code": ("LEA", "LA"),
    "nftype": ("NFTYPE",),
    "ks4_pupils": ("TPUP",),
}
"""Standard name: the KS4 column; `ks4_pupils` is the pupils at the end of KS4, not the roll."""

SCHOOL_RECORD = "1"
"""RECTYPE of a mainstream school's row in the KS4 tables (others: special schools, totals)."""

NFTYPES = {
    "CY": EstablishmentType.COMMUNITY,
    "CYS": EstablishmentType.COMMUNITY,
    "FD": EstablishmentType.FOUNDATION,
    "FDS": EstablishmentType.FOUNDATION,
    "VA": EstablishmentType.VOLUNTARY_AIDED,
    "VC": EstablishmentType.VOLUNTARY_CONTROLLED,
    "ACC": EstablishmentType.ACADEMY_CONVERTER,
    "ACCS": EstablishmentType.ACADEMY_CONVERTER,
    "AC": EstablishmentType.ACADEMY_SPONSOR_LED,
    "ACS": EstablishmentType.ACADEMY_SPONSOR_LED,
    "F": EstablishmentType.FREE_SCHOOL,
    "FS": EstablishmentType.FREE_SCHOOL,
    "UTC": EstablishmentType.FREE_SCHOOL,
    "SS": EstablishmentType.FREE_SCHOOL,
    "CTC": EstablishmentType.OTHER,
    "IND": EstablishmentType.OTHER,
    "INDSPEC": EstablishmentType.OTHER,
    "NMSS": EstablishmentType.OTHER,
    "FESI": EstablishmentType.OTHER,
}
"""Performance-tables school types (NFTYPE); UTCs and studio schools are free schools in law.
Any other NFTYPE gives a missing type."""


def read_census(path: Path) -> pd.DataFrame:
    """One row per school: urn, la_code, school_type, pupils_on_roll and the three percentages."""
    raw = read_text(path, "school census")
    census = pick(raw, CENSUS_COLUMNS, ("urn",), path=path, what="school census")
    census = census[_has_urn(census["urn"])]
    out = pd.DataFrame({"urn": check_urns(census["urn"], path, "URN", unique=True)})
    out["la_code"] = la_codes(_column(census, "la_code"), path, "LA")
    out["school_type"] = _column(census, "school_type").replace("", None)
    for field in ("pupils_on_roll", "pct_fsm", "pct_eal", "pct_sen_support"):
        source = CENSUS_COLUMNS[field][0]
        out[field] = figures(
            _column(census, field), path, source, percent=field != "pupils_on_roll"
        )
    return out.reset_index(drop=True)


def read_performance_tables(path: Path) -> pd.DataFrame:
    """KS4 school rows (RECTYPE 1): urn, name, la_code, nftype, establishment_type, ks4_pupils."""
    raw = read_text(path, "performance tables")
    tables = pick(raw, KS4_COLUMNS, ("rectype", "urn"), path=path, what="performance tables")
    tables = tables[tables["rectype"] == SCHOOL_RECORD]
    out = pd.DataFrame({"urn": check_urns(tables["urn"], path, "URN", unique=True)})
    out["name"] = _column(tables, "name").replace("", None)
    out["la_code"] = la_codes(_column(tables, "la_code"), path, "LEA")
    out["nftype"] = _column(tables, "nftype").replace("", None)
    out["establishment_type"] = out["nftype"].map(NFTYPES).astype("string")
    out["ks4_pupils"] = figures(_column(tables, "ks4_pupils"), path, "TPUP", percent=False)
    return out.reset_index(drop=True)


def _has_urn(values: pd.Series) -> pd.Series:
    """Rows that are schools: summary rows have a blank URN or a word (NAT) in its place."""
    return values.str.contains(r"[0-9]", regex=True)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else pd.Series("", index=frame.index, dtype=object)
