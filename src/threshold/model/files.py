"""Reading, checking and writing contract files.

Checking reports every violation, not only the first: each names the file, the row (1 is the
first record after the header; without line breaks inside cells, the file line is one more), the
field and the reason.

Files people open in a spreadsheet must not run formulas: a text cell that starts with `=`,
`+`, `-`, `@`, a tab or a carriage return (or with the escape `'` itself) is written with a `'`
before it, and reading strips exactly that `'`, so what is read back is what was written
(`neutralise_formulas`, `restore_formulas`). Numbers, dates and booleans are never escaped.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from threshold.model.contract import TABLES
from threshold.model.errors import InputError
from threshold.model.schema import Field, Kind, Table

MSG_MISSING_FILE = "{path} is missing; the directory has no such contract table"
MSG_UNKNOWN_FILE = "is not a contract table; expected one of: {expected}"
MSG_NOT_UTF8 = "is not UTF-8 text (byte {position}); save it as UTF-8"
MSG_EMPTY_FILE = "is empty; it needs a header row"
MSG_UNREADABLE_ROW = "cannot be read as CSV ({reason}); correct the row and check it again"
MSG_MISSING_COLUMN = "column is missing from the header"
MSG_UNKNOWN_COLUMN = "column is not in the contract for {table}"
MSG_DUPLICATE_COLUMN = "column appears more than once in the header"
MSG_RAGGED_ROW = "has {found} fields but the header has {expected}"
MSG_REQUIRED = "is required but blank"
MSG_NOT_INTEGER = "{value!r} is not a whole number"
MSG_INTEGER_TOO_LARGE = "{value!r} has too many digits (at most 18)"
MSG_NOT_NUMBER = "{value!r} is not a number"
MSG_NOT_DATE = "{value!r} is not a date written YYYY-MM-DD"
MSG_DATE_RANGE = "{value!r} is not between 1900-01-01 and 2100-12-31"
MSG_NOT_BOOLEAN = "{value!r} is not true or false"
MSG_NOT_CODE = "{value!r} is not an allowed value ({allowed})"
MSG_PATTERN = "{value!r} is not {hint}"
MSG_BELOW_MINIMUM = "{value!r} is below the minimum {minimum:g}"
MSG_ABOVE_MAXIMUM = "{value!r} is above the maximum {maximum:g}"
MSG_DUPLICATE_KEY = "duplicates the key ({key}) of row {first}"
MSG_DANGLING_REFERENCE = "{value!r} is not a {field} in {table}.csv"
MSG_MISSING_REFERENCED_FILE = "refers to {table}.csv, which is not in the directory"

FORMULA_ESCAPE = "'"
"""Written before a text cell a spreadsheet would run as a formula; stripped when read."""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula."""
_ESCAPED_STARTS = (*FORMULA_STARTS, FORMULA_ESCAPE)
_TEXT_KINDS = (Kind.STRING, Kind.CODE)
_HOLDS_TEXT = ("string", "mixed", "mixed-integer")

_BOOLEANS = {"true": True, "false": False}
_EARLIEST, _LATEST = pd.Timestamp("1900-01-01"), pd.Timestamp("2100-12-31")


@dataclass(frozen=True, order=True)
class Violation:
    """One breach of the contract. `row` is None for a problem with the whole file or header."""

    file: str
    row: int | None
    field: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file if self.row is None else f"{self.file} row {self.row}"
        return f"{where} [{self.field}]: {self.reason}" if self.field else f"{where}: {self.reason}"


class ContractError(InputError):
    """Raised when a contract file is read that breaks the contract."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        shown = "\n".join(str(v) for v in violations[:20])
        more = f"\n… and {len(violations) - 20} more" if len(violations) > 20 else ""
        super().__init__(f"{len(violations)} contract violation(s):\n{shown}{more}")


@dataclass(frozen=True)
class CheckedTable:
    """A table read from a file: its typed values, their row numbers and the violations found.

    `rows` is None when the file could not be read at all (not UTF-8, empty).
    """

    table: Table
    frame: pd.DataFrame
    violations: list[Violation]
    rows: pd.Series | None = None


def check_table(path: Path, table: Table) -> CheckedTable:
    """Read `path` as `table`, returning typed values (where parseable) and every violation."""
    name = path.name
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return _failed(
            table, [Violation(name, None, None, MSG_NOT_UTF8.format(position=error.start))]
        )
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as error:  # a field over the csv module's limit of 131,072 characters
        reason = MSG_UNREADABLE_ROW.format(reason=error)
        return _failed(table, [Violation(name, max(reader.line_num - 1, 1), None, reason)])
    if not rows:
        return _failed(table, [Violation(name, None, None, MSG_EMPTY_FILE)])
    header, records = rows[0], rows[1:]
    violations = _check_header(name, header, table)
    width = len(header)
    good: list[list[str]] = []
    row_numbers: list[int] = []
    for number, record in enumerate(records, start=1):
        if len(record) != width:
            if record:  # a blank line is not a record
                violations.append(
                    Violation(
                        name, number, None, MSG_RAGGED_ROW.format(found=len(record), expected=width)
                    )
                )
            continue
        good.append(record)
        row_numbers.append(number)
    raw = pd.DataFrame(good, columns=header, dtype=object) if good else pd.DataFrame(columns=header)
    raw = raw.loc[:, ~raw.columns.duplicated()]
    for column in raw.columns:
        if column in table.columns and table.field(column).kind in _TEXT_KINDS:
            raw[column] = _restore(raw[column])
    checked = check_frame(raw, table, file=name, rows=row_numbers)
    return CheckedTable(table, checked.frame, violations + checked.violations, checked.rows)


def check_frame(
    raw: pd.DataFrame, table: Table, *, file: str, rows: list[int] | None = None
) -> CheckedTable:
    """Check text values laid out as `table` (one column per field present), as a file would be.

    `rows` numbers the records in violations (default 1, 2, …); `file` names where they came
    from. Missing columns are typed as all-missing; a missing required column is not reported
    here (the header check does that for files).
    """
    name = file
    present = [column for column in table.columns if column in raw.columns]
    numbers = list(range(1, len(raw) + 1)) if rows is None else rows
    raw = raw.reset_index(drop=True)
    violations: list[Violation] = []
    typed = pd.DataFrame(index=raw.index)
    rows_index = pd.Series(numbers, index=raw.index, dtype="int64")
    flagged: set[tuple[int, str]] = set()  # cells with a bad value, which no rule re-reports
    for column in table.columns:
        spec = table.field(column)
        if column not in present:  # typed as the field, all missing; its absence is reported
            typed[column] = _parse_field(pd.Series("", index=raw.index, dtype=str), spec)[0]
            continue
        values, problems = _parse_field(raw[column].astype(str), spec)
        typed[column] = values
        flagged.update((i, column) for i, _ in problems)
        violations.extend(
            Violation(name, int(rows_index[i]), column, reason) for i, reason in problems
        )
    if all(column in present for column in table.key):
        violations.extend(_check_key(name, typed, table, rows_index))
    for rule in table.rules:
        mask = rule.violated(typed).fillna(False).astype(bool)
        violations.extend(
            Violation(name, int(rows_index[i]), rule.field, rule.message)
            for i in typed.index[mask]
            if (i, rule.field) not in flagged
        )
    return CheckedTable(table, typed, violations, rows_index)


def check_directory(directory: Path) -> list[Violation]:
    """Check every contract table in `directory`, with references between them; all violations."""
    checked: dict[str, CheckedTable] = {}
    violations: list[Violation] = []
    for path in sorted(directory.glob("*.csv")):
        table = TABLES.get(path.stem)
        if table is None:
            expected = ", ".join(t.filename for t in TABLES.values())
            violations.append(
                Violation(path.name, None, None, MSG_UNKNOWN_FILE.format(expected=expected))
            )
            continue
        result = check_table(path, table)
        checked[table.name] = result
        violations.extend(result.violations)
    for result in checked.values():
        violations.extend(_check_references(result, checked))
    return sorted(violations, key=lambda v: (v.file, v.row or 0, v.field or "", v.reason))


def read_table(directory: Path, table: Table | str) -> pd.DataFrame:
    """Read one contract table with typed columns; raise ContractError if it breaks the contract."""
    spec = TABLES[table] if isinstance(table, str) else table
    path = directory / spec.filename
    if not path.is_file():
        raise InputError(MSG_MISSING_FILE.format(path=path))
    result = check_table(path, spec)
    if result.violations:
        raise ContractError(result.violations)
    return result.frame


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` safe to open in a spreadsheet: every text cell that starts with one of
    `FORMULA_STARTS` or with `FORMULA_ESCAPE` gets `FORMULA_ESCAPE` before it. Cells that are
    not text (numbers, negative ones too, dates, missing) are unchanged; `restore_formulas`
    undoes it exactly. Use it on every CSV or workbook written for people to open."""
    return _each_text_column(frame, _neutralise)


def restore_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with the escapes of `neutralise_formulas` removed from its text cells:
    for a file written through it and read as text, the frame that was written."""
    return _each_text_column(frame, _restore)


def write_table(frame: pd.DataFrame, table: Table | str, directory: Path) -> Path:
    """Write `frame` as a contract file: UTF-8, contract column order, ISO dates, no index,
    text cells neutralised against formulas (`read_table` restores them)."""
    spec = TABLES[table] if isinstance(table, str) else table
    missing = [column for column in spec.columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{spec.name}: the frame lacks contract columns {missing}")
    out = pd.DataFrame(
        {column: _format_field(frame[column], spec.field(column)) for column in spec.columns}
    )
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / spec.filename
    # CRLF, as RFC 4180: Python 3.11's csv quotes a cell holding a bare CR only when CR is in the
    # line terminator, and an unquoted CR would end the record when the file is read back.
    out.to_csv(path, index=False, lineterminator="\r\n", encoding="utf-8")
    return path


def _failed(table: Table, violations: list[Violation]) -> CheckedTable:
    return CheckedTable(table, pd.DataFrame(columns=list(table.columns)), violations)


def _check_header(name: str, header: list[str], table: Table) -> list[Violation]:
    violations = []
    for column in table.columns:
        if column not in header and table.field(column).required:
            violations.append(Violation(name, None, column, MSG_MISSING_COLUMN))
    seen: set[str] = set()
    for column in header:
        if column in seen:
            violations.append(Violation(name, None, column, MSG_DUPLICATE_COLUMN))
        seen.add(column)
        if column not in table.columns:
            violations.append(
                Violation(name, None, column, MSG_UNKNOWN_COLUMN.format(table=table.name))
            )
    return violations


def _parse_field(raw: pd.Series, spec: Field) -> tuple[pd.Series, list[tuple[int, str]]]:
    """Parse one column; return typed values (missing where blank or bad) and the problems."""
    problems: list[tuple[int, str]] = []
    blank = raw == ""
    if spec.required:
        problems.extend((i, MSG_REQUIRED) for i in raw.index[blank])
    filled = raw[~blank]
    bad = pd.Series(False, index=filled.index)

    def flag(mask: pd.Series, message: str, **extra: object) -> None:
        nonlocal bad
        new = mask & ~bad
        problems.extend((i, message.format(value=filled[i], **extra)) for i in filled.index[new])
        bad = bad | new

    if spec.pattern is not None:
        flag(
            ~filled.str.fullmatch(spec.pattern, flags=re.ASCII),
            MSG_PATTERN,
            hint=spec.pattern_hint or spec.pattern,
        )
    values: pd.Series
    if spec.kind is Kind.INTEGER:
        flag(~filled.str.fullmatch(r"-?[0-9]+"), MSG_NOT_INTEGER)
        flag(filled.str.fullmatch(r"-?[0-9]{19,}"), MSG_INTEGER_TOO_LARGE)
        values = pd.Series(pd.NA, index=raw.index, dtype="Int64")
        ok = filled.index[~bad]
        values[ok] = filled[ok].astype("int64")
    elif spec.kind is Kind.NUMBER:
        numbers = pd.to_numeric(filled, errors="coerce")
        flag(numbers.isna() | ~np.isfinite(numbers.fillna(0)), MSG_NOT_NUMBER)
        values = pd.Series(np.nan, index=raw.index, dtype="float64")
        values[filled.index[~bad]] = numbers[~bad]
    elif spec.kind is Kind.DATE:
        dates = pd.to_datetime(
            filled.where(filled.str.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")),
            format="%Y-%m-%d",
            errors="coerce",
        )
        flag(dates.isna(), MSG_NOT_DATE)
        flag(dates.notna() & ((dates < _EARLIEST) | (dates > _LATEST)), MSG_DATE_RANGE)
        values = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
        values[filled.index[~bad]] = dates[~bad].astype("datetime64[ns]")
    elif spec.kind is Kind.BOOLEAN:
        flag(~filled.isin(list(_BOOLEANS)), MSG_NOT_BOOLEAN)
        values = pd.Series(pd.NA, index=raw.index, dtype="boolean")
        values[filled.index[~bad]] = filled[~bad].map(_BOOLEANS)
    else:
        if spec.codes is not None:
            flag(
                ~filled.isin(spec.codes.values()),
                MSG_NOT_CODE,
                allowed=", ".join(spec.codes.values()),
            )
        values = pd.Series(pd.NA, index=raw.index, dtype=object)
        values[filled.index[~bad]] = filled[~bad]
    if spec.kind in (Kind.INTEGER, Kind.NUMBER):
        numeric = values.astype("float64")
        if spec.minimum is not None:
            low = numeric < spec.minimum
            problems.extend(
                (i, MSG_BELOW_MINIMUM.format(value=raw[i], minimum=spec.minimum))
                for i in raw.index[low]
            )
            values[low] = pd.NA if spec.kind is Kind.INTEGER else np.nan
        if spec.maximum is not None:
            high = numeric > spec.maximum
            problems.extend(
                (i, MSG_ABOVE_MAXIMUM.format(value=raw[i], maximum=spec.maximum))
                for i in raw.index[high]
            )
            values[high] = pd.NA if spec.kind is Kind.INTEGER else np.nan
    return values, problems


def _check_key(name: str, typed: pd.DataFrame, table: Table, rows: pd.Series) -> list[Violation]:
    keys = typed[list(table.key)]
    complete = keys.notna().all(axis=1)
    duplicated = keys.duplicated(keep="first") & complete
    if not duplicated.any():
        return []
    first_row = {}
    for i in typed.index[complete & ~duplicated]:
        first_row[tuple(keys.loc[i])] = int(rows[i])
    key_text = ", ".join(table.key)
    return [
        Violation(
            name,
            int(rows[i]),
            table.key[-1],
            MSG_DUPLICATE_KEY.format(key=key_text, first=first_row.get(tuple(keys.loc[i]), "?")),
        )
        for i in typed.index[duplicated]
    ]


def _check_references(result: CheckedTable, checked: dict[str, CheckedTable]) -> list[Violation]:
    violations: list[Violation] = []
    rows = result.rows
    for spec in result.table.fields:
        if spec.references is None:
            continue
        target_table, target_field = spec.references
        values = result.frame[spec.name]
        used = values.notna()
        if not used.any():
            continue
        target = checked.get(target_table)
        if target is None:
            violations.append(
                Violation(
                    result.table.filename,
                    None,
                    spec.name,
                    MSG_MISSING_REFERENCED_FILE.format(table=target_table),
                )
            )
            continue
        if target.rows is None:  # the file could not be read, which is reported already
            continue
        known = set(target.frame[target_field].dropna().astype(str))
        dangling = used & ~values.astype(str).isin(known)
        violations.extend(
            Violation(
                result.table.filename,
                int(rows[i]),
                spec.name,
                MSG_DANGLING_REFERENCE.format(
                    value=str(values[i]), field=target_field, table=target_table
                ),
            )
            for i in values.index[dangling]
        )
    return violations


def _format_field(values: pd.Series, spec: Field) -> pd.Series:
    """Format one column for writing: blanks for missing, ISO dates, true/false, whole numbers."""
    missing = values.isna()
    if spec.kind is Kind.DATE:
        text = pd.to_datetime(values).dt.strftime("%Y-%m-%d")
    elif spec.kind is Kind.BOOLEAN:
        text = values.map(lambda v: "true" if v else "false")
    elif spec.kind is Kind.INTEGER:
        text = values.map(lambda v: "" if pd.isna(v) else str(int(v)))
    elif spec.kind is Kind.NUMBER:
        text = values.map(lambda v: "" if pd.isna(v) or not math.isfinite(v) else repr(float(v)))
    else:
        text = _neutralise(values.map(lambda v: "" if pd.isna(v) else str(v)))
    return text.mask(missing, "").astype(object)


def _each_text_column(
    frame: pd.DataFrame, change: Callable[[pd.Series], pd.Series]
) -> pd.DataFrame:
    """`frame` with `change` applied to each column that holds text (among other values)."""
    out = frame.copy()
    for position, (_, column) in enumerate(frame.items()):
        if pd.api.types.infer_dtype(column, skipna=True) in _HOLDS_TEXT:
            out.isetitem(position, change(column))
    return out


def _neutralise(column: pd.Series) -> pd.Series:
    escape = column.str.startswith(_ESCAPED_STARTS, na=False)
    if not escape.any():
        return column
    return column.mask(escape, FORMULA_ESCAPE + column[escape].astype(str)).astype(column.dtype)


def _restore(column: pd.Series) -> pd.Series:
    escaped = column.str.startswith(FORMULA_ESCAPE, na=False)
    if not escaped.any():
        return column
    escaped &= column.str[1:2].isin(_ESCAPED_STARTS)
    return column.mask(escaped, column[escaped].astype(str).str[1:]).astype(column.dtype)
