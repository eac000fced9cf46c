"""Properties of writing and checking contract files, on random valid tables, and of the
escaping of spreadsheet formulas."""

from __future__ import annotations

import csv
import datetime as dt
import re
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from threshold.model.contract import TABLES
from threshold.model.files import (
    FORMULA_ESCAPE,
    FORMULA_STARTS,
    check_table,
    neutralise_formulas,
    restore_formulas,
    write_table,
)
from threshold.model.schema import Field, Kind, Table

# Tables with no row rules, so that any row of valid cells is a valid row.
ROUND_TRIP_TABLES = ("schools", "allocations", "ssws", "survey_responses", "costs")

TEXT = st.text(st.characters(exclude_categories=("Cs",)))
PREFIXES = ("", *FORMULA_STARTS, FORMULA_ESCAPE, FORMULA_ESCAPE * 2, FORMULA_ESCAPE + "=")
"""Starts that spreadsheets run as formulas, and the escape, so text often begins with them."""

_DTYPES = {
    Kind.INTEGER: "Int64",
    Kind.NUMBER: "float64",
    Kind.DATE: "datetime64[ns]",
    Kind.STRING: object,
    Kind.CODE: object,
}


def cell(field: Field) -> st.SearchStrategy[object]:
    """Valid values of one field, as Python values (None: not recorded)."""
    value: st.SearchStrategy[object]
    if field.codes is not None:
        value = st.sampled_from(field.codes.values())
    elif field.pattern is not None:
        text = st.from_regex(re.compile(field.pattern, re.ASCII), fullmatch=True)
        value = text.map(int) if field.kind is Kind.INTEGER else text
    elif field.kind is Kind.INTEGER:  # at most 18 digits
        low = -(10**18) + 1 if field.minimum is None else int(field.minimum)
        high = 10**18 - 1 if field.maximum is None else int(field.maximum)
        value = st.integers(low, high)
    elif field.kind is Kind.NUMBER:
        value = st.floats(field.minimum, field.maximum, allow_nan=False, allow_infinity=False)
    elif field.kind is Kind.DATE:
        value = st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)).map(pd.Timestamp)
    else:
        value = st.tuples(st.sampled_from(PREFIXES), TEXT).map("".join).filter(bool)
    return value if field.required else st.none() | value


@st.composite
def valid_frames(draw: st.DrawFn, table: Table) -> pd.DataFrame:
    """A frame of 0 to 6 valid rows of `table`, with a unique key, typed as `check_table` types."""
    row = st.fixed_dictionaries({f.name: cell(f) for f in table.fields})
    rows = draw(st.lists(row, max_size=6, unique_by=lambda r: tuple(r[k] for k in table.key)))
    columns = {}
    for f in table.fields:
        values = pd.Series([r[f.name] for r in rows], dtype=_DTYPES[f.kind])
        columns[f.name] = values.fillna(pd.NA) if _DTYPES[f.kind] is object else values
    return pd.DataFrame(columns, index=pd.RangeIndex(len(rows)))


@st.composite
def table_and_frame(draw: st.DrawFn) -> tuple[Table, pd.DataFrame]:
    table = TABLES[draw(st.sampled_from(ROUND_TRIP_TABLES))]
    return table, draw(valid_frames(table))


@settings(max_examples=60, deadline=None)
@given(table_and_frame())
def test_a_written_valid_frame_checks_clean_and_reads_back_the_same(
    case: tuple[Table, pd.DataFrame],
) -> None:
    table, frame = case
    with tempfile.TemporaryDirectory() as directory:
        result = check_table(write_table(frame, table, Path(directory)), table)
    assert result.violations == []
    pd.testing.assert_frame_equal(result.frame, frame, check_exact=True)


def invalid_values(field: Field) -> list[str]:
    """Text that breaks `field` on its own; empty for optional free text, which takes anything."""
    bad: list[str] = []
    if field.required:
        bad.append("")
    if field.codes is not None:
        bad.append("NOT-A-CODE")
    if field.pattern is not None:
        bad.append("?")
    if field.kind is Kind.INTEGER:
        bad += ["1.5", "one"]
    if field.kind is Kind.NUMBER:
        bad += ["nan", "inf", "1,5"]
    if field.kind is Kind.DATE:
        bad += ["2021-02-30", "31/01/2021"]
    if field.minimum is not None:
        bad.append(f"{field.minimum - 1:g}")
    if field.maximum is not None:
        bad.append(f"{field.maximum + 1:g}")
    return bad


@st.composite
def corrupted_cell(draw: st.DrawFn) -> tuple[Table, pd.DataFrame, int, str, str]:
    """A valid frame and one of its cells (0-based row, field) with an invalid text for it."""
    table, frame = draw(table_and_frame().filter(lambda case: len(case[1]) > 0))
    row = draw(st.integers(0, len(frame) - 1))
    field = draw(st.sampled_from([f for f in table.fields if invalid_values(f)]))
    return table, frame, row, field.name, draw(st.sampled_from(invalid_values(field)))


@settings(max_examples=60, deadline=None)
@given(corrupted_cell())
def test_one_corrupted_cell_gives_one_violation_at_its_row_and_field(
    case: tuple[Table, pd.DataFrame, int, str, str],
) -> None:
    table, frame, row, field, value = case
    with tempfile.TemporaryDirectory() as directory:
        path = write_table(frame, table, Path(directory))
        with path.open(encoding="utf-8", newline="") as handle:
            records = list(csv.reader(handle))
        records[row + 1][records[0].index(field)] = value
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(records)
        violations = check_table(path, table).violations
    assert [(v.file, v.row, v.field) for v in violations] == [(table.filename, row + 1, field)]


@settings(max_examples=60, deadline=None)
@given(table_and_frame())
def test_no_written_text_cell_starts_a_formula_and_numbers_stay_numbers(
    case: tuple[Table, pd.DataFrame],
) -> None:
    table, frame = case
    with tempfile.TemporaryDirectory() as directory:
        path = write_table(frame, table, Path(directory))
        with path.open(encoding="utf-8", newline="") as handle:
            header, *records = list(csv.reader(handle))
    for record in records:
        for name, cell in zip(header, record, strict=True):
            if table.field(name).kind in (Kind.STRING, Kind.CODE):
                assert not cell.startswith(FORMULA_STARTS)
            else:
                assert not cell.startswith(FORMULA_ESCAPE)


FRAMES = (
    st.integers(0, 5)
    .flatmap(
        lambda rows: st.fixed_dictionaries(
            {
                "text": st.lists(
                    st.none() | st.tuples(st.sampled_from(PREFIXES), TEXT).map("".join),
                    min_size=rows,
                    max_size=rows,
                ),
                "whole": st.lists(st.integers(-(10**6), 10**6), min_size=rows, max_size=rows),
                "real": st.lists(
                    st.floats(allow_nan=False, allow_infinity=False), min_size=rows, max_size=rows
                ),
            }
        )
    )
    .map(
        lambda columns: pd.DataFrame({**columns, "text": pd.Series(columns["text"], dtype=object)})
    )
)


@settings(max_examples=200, deadline=None)
@given(FRAMES)
def test_restoring_neutralised_formulas_gives_back_the_frame(frame: pd.DataFrame) -> None:
    neutralised = neutralise_formulas(frame)
    assert (
        not neutralised["text"]
        .map(lambda v: isinstance(v, str) and v.startswith(FORMULA_STARTS))
        .any()
    )
    pd.testing.assert_frame_equal(neutralised[["whole", "real"]], frame[["whole", "real"]])
    pd.testing.assert_frame_equal(restore_formulas(neutralised), frame, check_exact=True)
