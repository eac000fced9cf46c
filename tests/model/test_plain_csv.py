"""Plain delimited text is read by pyarrow; anything the csv module might read differently is
left to it (None)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from threshold.model.contract import TABLES
from threshold.model.files import MSG_UNREADABLE_ROW, check_table
from threshold.model.plain_csv import read_plain_csv


def test_the_header_names_the_columns_and_cells_are_text_never_null() -> None:
    table, longest = read_plain_csv(b'id,name\r\n007,"Vale, Town"\r\n8,\r\n')
    assert table.column_names == ["id", "name"]
    assert table.to_pydict() == {"id": ["007", "8"], "name": ["Vale, Town", ""]}
    assert longest == len("Vale, Town")


def test_with_a_width_the_header_is_skipped_and_the_columns_numbered() -> None:
    table, _ = read_plain_csv(b"id;id;\n1;2;3\n", sep=";", width=3)
    assert table.to_pydict() == {"0": ["1"], "1": ["2"], "2": ["3"]}


def test_a_line_break_in_a_quoted_field_is_plain_only_when_allowed() -> None:
    data = b'id,name\n1,"two\nlines"\n'
    assert read_plain_csv(data) is None
    table, _ = read_plain_csv(data, multiline=True)
    assert table.column("name").to_pylist() == ["two\nlines"]


@pytest.mark.parametrize(
    "data",
    [
        b"id,id\n1,2\n",  # names that repeat
        b"id,name\n\n1,a\n",  # a blank line
        b"\nid,name\n1,a\n",  # a blank first line
        b"id,name\r1,a\n",  # a lone carriage return
        b"id,name\n1,a\0\n",  # a NUL
        b'id,name\n1,a"b\n',  # a quote inside a field
        b'id,name\n1,"a" \n',  # text after a closing quote
        b"id,name\n1,a,b\n",  # a ragged row
        b"",
    ],
)
def test_text_the_csv_module_may_read_differently_is_not_plain(data: bytes) -> None:
    assert read_plain_csv(data, multiline=True) is None


def test_a_field_over_the_csv_modules_size_limit_is_not_plain() -> None:
    long = b"x" * (csv.field_size_limit() + 1)
    assert read_plain_csv(b"id,name\n1," + long + b"\n") is None
    assert read_plain_csv(b"id," + long + b"\n1,a\n") is None


def test_a_header_name_over_the_size_limit_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "schools.csv"
    path.write_bytes(b"urn," + b"x" * (csv.field_size_limit() + 1) + b"\n1,a\n")
    (violation,) = check_table(path, TABLES["schools"]).violations
    assert violation.row == 1
    reason = f"field larger than field limit ({csv.field_size_limit()})"
    assert violation.reason == MSG_UNREADABLE_ROW.format(reason=reason)
