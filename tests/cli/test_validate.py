"""`threshold validate DIR`: exit codes, human and JSON output, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from factories.cli import run_threshold
from factories.contract import valid_tables, write_csv, write_directory
from threshold.cli.validate import MSG_NOT_A_DIRECTORY
from threshold.model.contract import TABLES
from threshold.model.files import check_directory


def invalid_directory(directory: Path) -> Path:
    """A directory with violations in two files: a bad code, a blank and a dangling URN."""
    tables = valid_tables()
    tables["schools"][1]["phase"] = "Secondary"
    tables["contacts"][0]["cont_person_id"] = ""
    tables["contacts"][1]["cont_child_school_urn"] = "100009"
    return write_directory(directory, tables)


def test_a_valid_directory_exits_0_and_lists_its_files(tmp_path: Path) -> None:
    write_directory(tmp_path, valid_tables())
    result = run_threshold("validate", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == (
        f"{len(TABLES)} file(s) valid: " + ", ".join(sorted(t.filename for t in TABLES.values()))
    )
    assert result.stderr == ""


def test_violations_exit_1_with_one_line_each_naming_file_row_and_field(tmp_path: Path) -> None:
    invalid_directory(tmp_path)
    result = run_threshold("validate", tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        "contacts.csv row 1 [cont_person_id]: is required but blank",
        "contacts.csv row 2 [cont_child_school_urn]: '100009' is not a urn in schools.csv",
        "schools.csv row 2 [phase]: 'Secondary' is not an allowed value (primary, secondary, "
        "all_through, special, alternative_provision)",
    ]
    assert lines[3:] == [f"3 violation(s) in {len(TABLES)} file(s)."]
    assert "Traceback" not in result.stderr


def test_json_output_lists_every_violation(tmp_path: Path) -> None:
    invalid_directory(tmp_path)
    write_csv(tmp_path / "notes.csv", ["note"], [["not a contract table"]])
    result = run_threshold("validate", tmp_path, "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert report["files"] == sorted([*(t.filename for t in TABLES.values()), "notes.csv"])
    expected = [
        {"file": v.file, "row": v.row, "field": v.field, "reason": v.reason}
        for v in check_directory(tmp_path)
    ]
    assert report["violations"] == expected
    assert [(v["file"], v["row"], v["field"]) for v in expected] == [
        ("contacts.csv", 1, "cont_person_id"),
        ("contacts.csv", 2, "cont_child_school_urn"),
        ("notes.csv", None, None),
        ("schools.csv", 2, "phase"),
    ]
    assert "Traceback" not in result.stderr


def test_json_output_of_a_valid_directory(tmp_path: Path) -> None:
    write_directory(tmp_path, valid_tables())
    result = run_threshold("validate", "--json", tmp_path)
    assert result.returncode == 0
    assert json.loads(result.stdout) == {
        "valid": True,
        "files": sorted(t.filename for t in TABLES.values()),
        "violations": [],
    }


@pytest.mark.parametrize("name", ["missing", "a-file.csv"])
def test_a_path_that_is_not_a_directory_exits_2_without_a_traceback(
    tmp_path: Path, name: str
) -> None:
    (tmp_path / "a-file.csv").write_text("la_code,la_name\n", encoding="utf-8")
    path = tmp_path / name
    result = run_threshold("validate", path)
    assert result.returncode == 2
    assert MSG_NOT_A_DIRECTORY.format(path=path) in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_an_error_naming_a_path_with_brackets_is_printed_as_written(tmp_path: Path) -> None:
    path = tmp_path / "exports [/] 2021"
    result = run_threshold("validate", path)
    assert result.returncode == 2
    assert MSG_NOT_A_DIRECTORY.format(path=path) in result.stderr
    assert "Traceback" not in result.stderr


def test_an_empty_directory_is_valid(tmp_path: Path) -> None:
    result = run_threshold("validate", tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == "0 file(s) valid:"
