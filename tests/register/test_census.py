"""Reading the January school census and the KS4 performance tables (real DfE files)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from threshold.model import InputError
from threshold.register import read_census, read_performance_tables

DATA = Path(__file__).resolve().parents[1] / "data"
CENSUS = DATA / "school_census_2020-01_la201-204.csv"
KS4 = DATA / "ks4_provisional_2019_la201-204.csv"
HEADER = "URN,LA,ESTAB,SCHOOLTYPE,NOR,PNUMFSMEVER,PNUMEAL,PSENELK"


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "census.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_reads_the_real_census_without_its_national_rows():
    census = read_census(CENSUS)
    assert len(census) == 297  # 300 rows, less the three national (NAT) rows
    assert list(census.columns) == [
        "urn",
        "la_code",
        "school_type",
        "pupils_on_roll",
        "pct_fsm",
        "pct_eal",
        "pct_sen_support",
    ]
    aldgate = census.set_index("urn").loc[100000]
    assert aldgate["la_code"] == "201"
    assert aldgate["school_type"] == "State-funded primary"
    assert aldgate["pupils_on_roll"] == 285
    assert (aldgate["pct_fsm"], aldgate["pct_eal"], aldgate["pct_sen_support"]) == (
        16.2,
        49.5,
        17.5,
    )


def test_independent_schools_have_missing_fsm_and_eal_not_zero():
    census = read_census(CENSUS).set_index("urn")
    city = census.loc[100001]  # City of London School for Girls: NA in the file
    assert city["school_type"] == "Independent school"
    assert pd.isna(city["pct_fsm"])
    assert pd.isna(city["pct_eal"])
    assert city["pct_sen_support"] == 7.7


@pytest.mark.parametrize("marker", ["SUPP", "NE", "NA", "x", "..", "", "c", "low"])
def test_suppressed_and_non_numeric_markers_are_missing(tmp_path, marker):
    text = f"{HEADER}\n100000,201,3614,State-funded primary,{marker},{marker},{marker},{marker}\n"
    census = read_census(write(tmp_path, text))
    figures = census.loc[0, ["pupils_on_roll", "pct_fsm", "pct_eal", "pct_sen_support"]]
    assert figures.isna().all()


def test_percentages_written_with_a_percent_sign_and_counts_with_separators(tmp_path):
    text = f'{HEADER}\n100000,201,3614,State-funded primary,"1,285",12.3%,0%,7\n'
    census = read_census(write(tmp_path, text))
    assert census.loc[0, "pupils_on_roll"] == 1285
    assert census.loc[0, "pct_fsm"] == 12.3
    assert census.loc[0, "pct_eal"] == 0  # a real zero stays zero
    assert census.loc[0, "pct_sen_support"] == 7


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_reads_utf8_with_or_without_bom_and_windows_1252(tmp_path, encoding):
    text = f"{HEADER}\n100000,93,3614,State-funded primary – mainstream,285,16.2,49.5,17.5\n"
    census = read_census(write(tmp_path, text, encoding))
    assert census.loc[0, "urn"] == 100000
    assert census.loc[0, "la_code"] == "093"  # zero-padded to three digits
    assert census.loc[0, "school_type"] == "State-funded primary – mainstream"


def test_la_and_national_summary_rows_are_skipped(tmp_path):
    text = (
        f"{HEADER}\n"
        "100000,201,3614,State-funded primary,285,16.2,49.5,17.5\n"
        ",201,,State-funded primary,285,16.2,49.5,17.5\n"
        "NAT,,PRI,State-funded primary,4727089,23,21.2,12.6\n"
    )
    assert read_census(write(tmp_path, text))["urn"].tolist() == [100000]


def test_a_census_with_only_some_columns_has_every_figure_column(tmp_path):
    census = read_census(write(tmp_path, "URN,NOR\n100000,285\n"))
    assert census.loc[0, "pupils_on_roll"] == 285
    assert census[["la_code", "pct_fsm", "pct_eal", "pct_sen_support"]].isna().all(axis=None)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("NAT,,PRI,x,1,1,1,1\n12x456,201,1,x,1,1,1,1\n", r"row 2: URN '12x456' is not a six-digit"),
        ("100000,201,1,x,1,1,1,1\n100000,202,1,x,1,1,1,1\n", r"row 2: URN 100000 appears twice"),
        ("100000,E09000001,1,x,1,1,1,1\n", r"row 1: LA 'E09000001' is not a three-digit LA"),
        ("100000,201,1,x,1,1,140,1\n", r"row 1: PNUMEAL '140' is not a percentage between 0"),
        ("100000,201,1,x,-3,1,1,1\n", r"row 1: NOR '-3' is not a whole number of pupils"),
        ("100000,201,1,x,28.5,1,1,1\n", r"row 1: NOR '28.5' is not a whole number of pupils"),
    ],
)
def test_errors_name_the_file_row_and_field(tmp_path, rows, message):
    path = write(tmp_path, f"{HEADER}\n{rows}")
    with pytest.raises(InputError, match=rf"census\.csv {message}"):
        read_census(path)


def test_a_census_without_urns_is_refused(tmp_path):
    with pytest.raises(InputError, match="the school census needs a urn column"):
        read_census(write(tmp_path, "LA,NOR\n201,285\n"))


def test_bytes_neither_utf8_nor_windows_1252_are_refused(tmp_path):
    path = tmp_path / "census.csv"
    path.write_bytes(b"URN,NOR\n100000,\x81\n")
    with pytest.raises(InputError, match="cannot read the school census"):
        read_census(path)


def test_performance_tables_keep_school_rows_only():
    tables = read_performance_tables(KS4)
    assert len(tables) == 70  # RECTYPE 1; special schools (2) and LA totals (4) are dropped
    assert 100092 not in set(tables["urn"])  # a special school (RECTYPE 2)
    acland = tables.set_index("urn").loc[100053]
    assert acland["name"] == "Acland Burghley School"
    assert acland["la_code"] == "202"
    assert (acland["nftype"], acland["establishment_type"]) == ("CY", "community")
    assert acland["ks4_pupils"] == 136
    city = tables.set_index("urn").loc[100003]  # independent: no KS4 figures published
    assert city["establishment_type"] == "other"
    assert pd.isna(city["ks4_pupils"])


def test_performance_tables_map_types_and_leave_unknown_ones_missing(tmp_path):
    path = tmp_path / "ks4.csv"
    path.write_text(
        "RECTYPE,LEA,URN,SCHNAME,NFTYPE,TPUP\n"
        "1,202,100001,A,ACC,100\n1,202,100002,B,AC,\n1,202,100003,C,UTC,SUPP\n"
        "1,202,100004,D,NEWTYPE,5\n4,202,,,,\n"
    )
    tables = read_performance_tables(path)
    assert tables["establishment_type"].tolist()[:3] == [
        "academy_converter",
        "academy_sponsor_led",
        "free_school",
    ]
    assert pd.isna(tables.loc[3, "establishment_type"])
    assert tables["ks4_pupils"].isna().tolist() == [False, True, True, False]
