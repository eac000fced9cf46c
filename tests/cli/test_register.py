"""`threshold register build|lookup`: in process, and once as a user would run it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from factories.cli import run_threshold
from threshold.cli import app
from threshold.model import TABLES, InputError, check_table

DATA = Path(__file__).resolve().parents[1] / "data"
REGISTER = DATA / "gias_open_schools_2025-07-11.csv"
CENSUS = DATA / "school_census_2020-01_la201-204.csv"
LINKS = DATA / "gias_links_invented.csv"


def run(*args: str | Path):
    """Run `threshold ARGS` in process; a user error comes back as the InputError raised."""
    return CliRunner().invoke(app, [str(arg) for arg in args])


def invented_gias(tmp_path: Path) -> Path:
    """A GIAS-style register of invented schools (URNs 99xxxx), one of them closed."""
    path = tmp_path / "edubase.csv"
    path.write_text(
        "URN,EstablishmentName,LA (code),Town,EstablishmentStatus (name),PhaseOfEducation (name)\n"
        "990001,Invented Primary School,201,Invented Town,Closed,Primary\n"
        "990002,Invented Academy,201,Invented Town,Open,Primary\n"
        "990042,Invented Merged College,202,Other Town,Open,Secondary\n"
    )
    return path


def test_build_writes_a_valid_schools_table_and_prints_counts(tmp_path):
    out = tmp_path / "out" / "my-schools.csv"
    result = run("register", "build", "--gias", REGISTER, "--census", CENSUS, "--out", out)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        f"Wrote 204 schools to {out}: 204 with census figures (0 through predecessor links), "
        "1 without pupils on roll. Left out 21,806 register rows (closed, in another LA, or with "
        "no phase or LA the contract accepts)."
    )
    checked = check_table(out, TABLES["schools"])
    assert checked.violations == []
    assert len(checked.frame) == 204
    assert [p.name for p in out.parent.iterdir()] == ["my-schools.csv"]


def test_build_through_links_and_for_some_las(tmp_path):
    census = tmp_path / "census.csv"
    census.write_text("URN,LA,NOR,PNUMFSMEVER\n990001,201,250,12.5\n990041,202,SUPP,30\n")
    out = tmp_path / "schools.csv"
    args = ["--gias", invented_gias(tmp_path), "--census", census, "--links", LINKS, "--out", out]
    one = run("register", "build", *args, "--la", "201")
    assert one.exit_code == 0, one.output
    assert "Wrote 1 schools" in one.stdout
    assert "1 with census figures (1 through predecessor links), 0 without pupils" in one.stdout
    assert "Left out 2 register rows" in one.stdout
    assert out.read_text().splitlines()[1].startswith("990002,Invented Academy,201,primary,")
    both = run("register", "build", *args, "--la", "201", "--la", "202")
    assert "Wrote 2 schools" in both.stdout
    assert "2 with census figures (2 through predecessor links), 1 without pupils" in both.stdout


def test_build_refuses_an_la_with_no_schools(tmp_path):
    out = tmp_path / "s.csv"
    result = run(
        "register", "build", "--gias", invented_gias(tmp_path), "--la", "999", "--out", out
    )
    assert isinstance(result.exception, InputError)
    assert str(result.exception) == "--la 999: no school in the table is in this LA"
    assert not out.exists()
    bad = run("register", "build", "--gias", invented_gias(tmp_path), "--la", "E09", "--out", out)
    assert str(bad.exception) == "--la 'E09' is not a three-digit LA number"


def test_user_errors_print_without_a_traceback_and_exit_2(tmp_path):
    census = tmp_path / "census.csv"
    census.write_text("URN,LA,NOR\n990001,201,250\n990001,201,251\n")
    gias = invented_gias(tmp_path)
    out = tmp_path / "s.csv"
    result = run_threshold("register", "build", "--gias", gias, "--census", census, "--out", out)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {census} row 2: URN 990001 appears twice"


def test_lookup_by_name():
    result = run(
        "register", "lookup", "--gias", REGISTER, "--name", "ST JOSEPH'S CATHOLIC PRIMARY SCHOOL"
    )
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 57
    assert "100441  St Joseph's Catholic Primary School, London, N19 5NE" in result.stdout


def test_lookup_by_urn_shows_todays_urn(tmp_path):
    gias = invented_gias(tmp_path)
    result = run("register", "lookup", "--gias", gias, "--urn", "990001", "--links", LINKS)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "990001  Invented Primary School, LA 201, Invented Town, Closed",
        "Today's URN: 990002  Invented Academy, LA 201, Invented Town, Open",
    ]
    split = run("register", "lookup", "--gias", gias, "--urn", "990021", "--links", LINKS)
    assert split.exit_code == 0
    assert split.stdout.strip() == (
        "Successor not resolved: 990021 split into 2 schools (990022, 990023)."
    )


def test_lookup_finds_nothing_exit_1(tmp_path):
    gias = invented_gias(tmp_path)
    result = run("register", "lookup", "--gias", gias, "--name", "Hill School", "--la", "201")
    assert result.exit_code == 1
    assert result.stdout.strip() == f"No school named 'Hill School' in LA 201 in {gias}."
    missing = run("register", "lookup", "--gias", gias, "--urn", "990099")
    assert missing.exit_code == 1
    assert missing.stdout.strip() == f"No school with URN 990099 in {gias}."


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ((), "give either --urn or --name (not both)"),
        (("--urn", "990001", "--name", "A"), "give either --urn or --name (not both)"),
        (("--urn", "990001", "--la", "201"), "--la narrows a --name search; give --name too"),
    ],
)
def test_lookup_needs_one_of_urn_or_name(tmp_path, options, message):
    result = run("register", "lookup", "--gias", invented_gias(tmp_path), *options)
    assert isinstance(result.exception, InputError)
    assert str(result.exception) == message
