"""Looking schools up: by URN, by name (2,553 real register rows share a name), by successor."""

from __future__ import annotations

from pathlib import Path

import pytest

from threshold.model import InputError
from threshold.register import Register, read_links, read_register

DATA = Path(__file__).resolve().parents[1] / "data"
ST_JOSEPHS = "St Joseph's Catholic Primary School"


@pytest.fixture(scope="module")
def register() -> Register:
    return Register(read_register(DATA / "gias_open_schools_2025-07-11.csv"))


def test_by_urn(register):
    school = register.by_urn(100000)
    assert (school["name"], school["postcode"]) == ("The Aldgate School", "EC3A 5DE")
    assert register.by_urn(999999) is None


def test_by_name_returns_every_school_of_that_name(register):
    found = register.by_name(ST_JOSEPHS)
    assert len(found) == 57  # 56 spelled exactly so, and one "St Josephs Catholic Primary School"
    assert (found["name"] == ST_JOSEPHS).sum() == 56
    assert found["urn"].is_unique


@pytest.mark.parametrize(
    "spelling", ["ST. JOSEPH’S CATHOLIC PRIMARY SCHOOL", "  st josephs  catholic primary-school "]
)
def test_by_name_ignores_case_punctuation_and_spaces(register, spelling):
    assert (
        register.by_name(spelling)["urn"].tolist() == register.by_name(ST_JOSEPHS)["urn"].tolist()
    )


def test_by_name_is_an_exact_match_not_a_fuzzy_one(register):
    assert register.by_name("St Joseph's Catholic Primary").empty


def test_by_name_within_an_la(tmp_path):
    path = tmp_path / "edubase.csv"
    path.write_text(
        "URN,EstablishmentName,LA (code)\n990001,Hill School,201\n990002,Hill School,202\n"
        "990003,Hill School,093\n"
    )
    register = Register(read_register(path))
    assert register.by_name("hill school", la_code="202")["urn"].tolist() == [990002]
    assert register.by_name("hill school", la_code="93")["urn"].tolist() == [990003]
    assert len(register.by_name("Hill School")) == 3


def test_by_name_within_an_la_needs_an_la_column(register):
    with pytest.raises(InputError, match="has no LA column"):
        register.by_name(ST_JOSEPHS, la_code="202")


def test_successor_follows_the_links(tmp_path):
    path = tmp_path / "edubase.csv"
    path.write_text("URN,EstablishmentName\n990002,Invented Academy\n990013,Invented Middle\n")
    register = Register(read_register(path), read_links(DATA / "gias_links_invented.csv"))
    assert register.successor(990001) == 990002
    assert register.successor(990011) == 990013
    assert register.successor(990002) == 990002  # no successor: itself
    assert register.successor(990021) is None  # split in two: not resolved


def test_successor_without_links_is_the_urn_itself(register):
    assert register.successor(100000) == 100000
