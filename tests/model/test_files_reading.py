"""Plain files are read by pyarrow and any other by the csv module: the table is the same."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from factories.contract import valid_tables, write_rows
from threshold.model.contract import TABLES
from threshold.model.files import check_table

NAMES = [
    "St Mary's, Anytown",
    'The "Old" School',
    "Two\nlines",
    "Carriage\r\nreturn",
    "=SUM(A1)",
    "'=escaped",
    " padded ",
    "Ünïcödé Academy",
]


def _checked(path: Path) -> tuple[pd.DataFrame, list, list[int]]:
    result = check_table(path, TABLES["schools"])
    return result.frame, result.violations, result.rows.tolist()


@pytest.mark.parametrize("name", NAMES)
def test_a_blank_line_which_only_the_csv_module_reads_changes_nothing(
    tmp_path: Path, name: str
) -> None:
    rows = valid_tables()["schools"]
    rows[0]["name"] = name
    rows[-1]["pupils_on_roll"] = "many"  # a violation, so its row number is compared too
    path = write_rows(tmp_path, "schools", rows)
    frame, violations, numbers = _checked(path)
    path.write_bytes(path.read_bytes() + b"\n")
    again, violations_again, numbers_again = _checked(path)
    pd.testing.assert_frame_equal(frame, again)
    assert violations
    assert violations == violations_again
    assert numbers == numbers_again
    assert frame["name"].iloc[0] == name.removeprefix("'")  # the formula escape goes


@pytest.mark.parametrize("cell", ['ab"c', '"ab"c', '"a""b"', 'a""b', '"ab" '])
def test_a_cell_with_stray_quotes_is_read_as_the_csv_module_reads_it(
    tmp_path: Path, cell: str
) -> None:
    rows = valid_tables()["schools"]
    rows[0]["name"] = "PLACEHOLDER"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    text = buffer.getvalue().replace("PLACEHOLDER", cell)
    path = tmp_path / "schools.csv"
    path.write_text(text, encoding="utf-8")
    expected = next(csv.DictReader(io.StringIO(text, newline="")))["name"]
    frame, violations, _ = _checked(path)
    assert frame["name"].iloc[0] == expected
    assert violations == []
