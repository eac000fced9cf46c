"""The contract's schools table from a register, a census and links; it passes the contract.

Files written here with URNs 99xxxx are invented; the others are real (tests/data/README.md).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from threshold.model import TABLES, InputError, check_table, write_table
from threshold.register import read_census, read_links, read_register, school_table

DATA = Path(__file__).resolve().parents[1] / "data"
GIAS = (
    "URN",
    "EstablishmentName",
    "LA (code)",
    "Town",
    "Postcode",
    "EstablishmentStatus (name)",
    "PhaseOfEducation (name)",
    "TypeOfEstablishment (name)",
    "NumberOfPupils",
    "PercentageFSM",
    "UrbanRural (name)",
    "OfstedRating (name)",
)


def gias(tmp_path: Path, *rows: dict[str, str]) -> pd.DataFrame:
    """A register in GIAS's own columns; each row defaults to an open community primary."""
    default = {
        "EstablishmentName": "Invented School",
        "LA (code)": "201",
        "Town": "Invented Town",
        "Postcode": "ZZ1 1ZZ",
        "EstablishmentStatus (name)": "Open",
        "PhaseOfEducation (name)": "Primary",
        "TypeOfEstablishment (name)": "Community school",
    }
    path = tmp_path / "edubase.csv"
    with path.open("w", newline="", encoding="cp1252") as handle:
        writer = csv.DictWriter(handle, fieldnames=GIAS, restval="")
        writer.writeheader()
        writer.writerows({**default, **row} for row in rows)
    return read_register(path)


def census(tmp_path: Path, rows: str) -> pd.DataFrame:
    path = tmp_path / "census.csv"
    path.write_text(f"URN,LA,SCHOOLTYPE,NOR,PNUMFSMEVER,PNUMEAL,PSENELK\n{rows}")
    return read_census(path)


def by_urn(table: pd.DataFrame) -> pd.DataFrame:
    return table.set_index("urn")


def passes_the_contract(table: pd.DataFrame, directory: Path) -> bool:
    checked = check_table(write_table(table, "schools", directory), TABLES["schools"])
    assert checked.violations == []
    return True


def test_real_register_and_census_give_a_valid_schools_table(tmp_path):
    register = read_register(DATA / "gias_open_schools_2025-07-11.csv")
    table = school_table(register, read_census(DATA / "school_census_2020-01_la201-204.csv"))
    assert passes_the_contract(table, tmp_path)
    # The republished register has no LA or phase: both come from the census. Of the 297
    # census schools, 211 are still open under the same URN; 7 of those are nurseries.
    assert len(table) == 204
    assert set(table["la_code"]) == {"201", "202", "203", "204"}
    assert (table["census_urn"] == table["urn"]).all()
    aldgate = by_urn(table).loc[100000]
    assert (aldgate["name"], aldgate["phase"], aldgate["pupils_on_roll"]) == (
        "The Aldgate School",
        "primary",
        285,
    )
    assert (aldgate["pct_fsm"], aldgate["pct_eal"], aldgate["pct_sen_support"]) == (
        16.2,
        49.5,
        17.5,
    )
    assert 100005 not in table["urn"].values  # Thomas Coram Centre: a nursery


def test_gias_names_become_contract_codes(tmp_path):
    register = gias(
        tmp_path,
        {"URN": "990001", "UrbanRural (name)": "(England/Wales) Rural village"},
        {
            "URN": "990002",
            "PhaseOfEducation (name)": "Not applicable",
            "TypeOfEstablishment (name)": "Academy special converter",
            "UrbanRural (name)": "(England/Wales) Urban major conurbation",
            "OfstedRating (name)": "Serious Weaknesses",
        },
        {
            "URN": "990003",
            "PhaseOfEducation (name)": "Middle deemed secondary",
            "TypeOfEstablishment (name)": "Free schools",
            "OfstedRating (name)": "Requires improvement",
        },
        {
            "URN": "990004",
            "PhaseOfEducation (name)": "All-through",
            "TypeOfEstablishment (name)": "A type GIAS does not have",
            "UrbanRural (name)": "(Scotland) Accessible small town",
            "OfstedRating (name)": "Good",
        },
        {
            "URN": "990005",
            "PhaseOfEducation (name)": "Not applicable",
            "TypeOfEstablishment (name)": "Pupil referral unit",
        },
    )
    table = by_urn(school_table(register))
    assert table["phase"].tolist() == [
        "primary",
        "special",  # a special school's phase is its type, whatever the phase says
        "secondary",
        "all_through",
        "alternative_provision",
    ]
    assert table["establishment_type"].tolist()[:3] == [
        "community",
        "academy_converter",
        "free_school",
    ]
    assert pd.isna(table.at[990004, "establishment_type"])  # unknown type: missing
    assert table["urban_rural"].tolist()[:2] == ["rural", "urban"]
    assert pd.isna(table.at[990004, "urban_rural"])
    assert table.at[990002, "ofsted_rating"] == "inadequate"
    assert table.at[990003, "ofsted_rating"] == "requires_improvement"
    assert pd.isna(table.at[990001, "ofsted_rating"])  # blank: missing, not "not inspected"
    assert passes_the_contract(table.reset_index(), tmp_path)


def test_closed_schools_and_phases_the_trial_has_no_code_for_are_left_out(tmp_path):
    register = gias(
        tmp_path,
        {"URN": "990001"},
        {"URN": "990002", "EstablishmentStatus (name)": "Closed"},
        {"URN": "990003", "PhaseOfEducation (name)": "Nursery"},
        {"URN": "990004", "PhaseOfEducation (name)": "16 plus"},
        {"URN": "990005", "PhaseOfEducation (name)": "Not applicable"},
        {"URN": "990006", "EstablishmentStatus (name)": "Open, but proposed to close"},
        {"URN": "990007", "LA (code)": ""},
    )
    assert school_table(register)["urn"].tolist() == [990001, 990006]


def test_an_unknown_phase_is_an_error_naming_it(tmp_path):
    register = gias(
        tmp_path, {"URN": "990001"}, {"URN": "990002", "PhaseOfEducation (name)": "Infant"}
    )
    with pytest.raises(
        InputError, match=r"row 2 \(URN 990002\) \[PhaseOfEducation \(name\)\]: 'Infant'"
    ):
        school_table(register)


def test_a_blank_name_is_an_error(tmp_path):
    register = gias(tmp_path, {"URN": "990001", "EstablishmentName": ""})
    with pytest.raises(InputError, match=r"row 1 \(URN 990001\) \[EstablishmentName\]: is blank"):
        school_table(register)


def test_a_register_without_phase_or_la_needs_a_census(tmp_path):
    register = read_register(DATA / "gias_open_schools_2025-07-11.csv")
    with pytest.raises(InputError, match="no phase column"):
        school_table(register)
    with pytest.raises(InputError, match="no LA column"):
        school_table(register[["urn", "name"]].assign(phase="Primary"))


def test_census_figures_win_and_the_registers_pupils_fill_gaps(tmp_path):
    register = gias(
        tmp_path,
        {"URN": "990001", "NumberOfPupils": "300", "PercentageFSM": "40"},
        {"URN": "990002", "NumberOfPupils": "120", "PercentageFSM": "40"},
        {"URN": "990003", "NumberOfPupils": "", "PercentageFSM": "40"},
    )
    figures = census(tmp_path, "990001,201,State-funded primary,285,16.2,SUPP,17.5\n")
    table = by_urn(school_table(register, figures))
    assert table["pupils_on_roll"].tolist()[:2] == [285, 120]
    assert pd.isna(table.at[990003, "pupils_on_roll"])
    # PercentageFSM is current eligibility, not the contract's "in the last six years"
    assert table.at[990001, "pct_fsm"] == 16.2
    assert table["pct_fsm"].isna().tolist() == [False, True, True]
    assert pd.isna(table.at[990001, "pct_eal"])  # suppressed in the census: missing
    assert table["census_urn"].tolist()[0] == 990001
    assert table["census_urn"].isna().tolist() == [False, True, True]


def test_an_older_census_joins_through_predecessor_links(tmp_path):
    register = gias(
        tmp_path,
        {"URN": "990002"},  # 990001 converted
        {"URN": "990013"},  # 990011 -> 990012 -> 990013
        {"URN": "990033"},  # 990031 and 990032 amalgamated: no one census school is it
        {"URN": "990022"},  # 990021 split: not resolved
        {"URN": "990042"},  # 990041 merged, but 990042 is in the census itself
    )
    figures = census(
        tmp_path,
        "990001,201,State-funded primary,100,10,10,10\n"
        "990011,201,State-funded primary,110,11,11,11\n"
        "990031,201,State-funded primary,131,31,31,31\n"
        "990032,201,State-funded primary,132,32,32,32\n"
        "990021,201,State-funded primary,121,21,21,21\n"
        "990041,201,State-funded primary,141,41,41,41\n"
        "990042,201,State-funded primary,142,42,42,42\n",
    )
    links = read_links(DATA / "gias_links_invented.csv")
    table = by_urn(school_table(register, figures, links))
    assert table["census_urn"].tolist()[:2] == [990001, 990011]
    assert table["pupils_on_roll"].tolist()[:2] == [100, 110]
    assert table.loc[[990033, 990022], ["census_urn", "pupils_on_roll"]].isna().all(axis=None)
    assert (table.at[990042, "census_urn"], table.at[990042, "pupils_on_roll"]) == (990042, 142)
    without_links = by_urn(school_table(register, figures))
    assert without_links["census_urn"].notna().tolist() == [False, False, False, False, True]


def test_the_census_gives_la_and_phase_when_the_register_has_none(tmp_path):
    path = tmp_path / "schools.csv"
    path.write_text("urn,name\n990001,A\n990002,B\n990003,C\n990004,D\n")
    figures = census(
        tmp_path,
        "990001,93,State-funded secondary,900,1,1,1\n"
        "990002,201,Pupil referral unit,20,1,1,1\n"
        "990003,201,State-funded nursery,50,1,1,1\n",
    )
    table = school_table(read_register(path), figures)
    assert table[["urn", "la_code", "phase"]].values.tolist() == [
        [990001, "093", "secondary"],
        [990002, "201", "alternative_provision"],
    ]


def test_postcodes_are_written_as_the_contract_wants_or_missing(tmp_path):
    register = gias(
        tmp_path,
        {"URN": "990001", "Postcode": "ec3a5de"},
        {"URN": "990002", "Postcode": "NW1  3EX"},
        {"URN": "990003", "Postcode": "not known"},
    )
    table = school_table(register)
    assert table["postcode"].tolist()[:2] == ["EC3A 5DE", "NW1 3EX"]
    assert pd.isna(table.loc[2, "postcode"])
    assert passes_the_contract(table, tmp_path)
