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

import codecs
import csv
import io
import itertools
import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from threshold.model.contract import TABLES
from threshold.model.errors import InputError
from threshold.model.plain_csv import read_plain_csv
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
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return _failed(
            table, [Violation(name, None, None, MSG_NOT_UTF8.format(position=error.start))]
        )
    plain = _read_plain(data.removeprefix(codecs.BOM_UTF8))
    if plain is not None:
        raw, violations, row_numbers = plain, _check_header(name, list(plain.columns), table), None
    else:
        read = _read_records(name, text, table)
        if isinstance(read, CheckedTable):
            return read
        raw, violations, row_numbers = read
    for column in raw.columns:
        if column in table.columns and table.field(column).kind in _TEXT_KINDS:
            raw[column] = _restore(raw[column])
    checked = check_frame(raw, table, file=name, rows=row_numbers)
    return CheckedTable(table, checked.frame, violations + checked.violations, checked.rows)


def _read_records(
    name: str, text: str, table: Table
) -> CheckedTable | tuple[pd.DataFrame, list[Violation], list[int]]:
    """Any CSV text by the csv module: its records as text columns, the header's and ragged
    rows' violations and each record's row number; or a failed CheckedTable."""
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
    return raw.loc[:, ~raw.columns.duplicated()], violations, row_numbers


def _read_plain(data: bytes) -> pd.DataFrame | None:
    """The records of a plain CSV file as text columns (`read_plain_csv`: a header of distinct
    names, line breaks allowed in quoted fields); None unless the file is plain. For a plain file
    this is exactly what `_read_records` reads."""
    read = read_plain_csv(data, multiline=True)
    return None if read is None else read[0].to_pandas()


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
    columns: dict[str, pd.Series] = {}
    rows_index = pd.Series(numbers, index=raw.index, dtype="int64")
    flagged: set[tuple[int, str]] = set()  # cells with a bad value, which no rule re-reports
    for column in table.columns:
        spec = table.field(column)
        if column not in present:  # typed as the field, all missing; its absence is reported
            columns[column] = _parse_field(pd.Series("", index=raw.index, dtype=str), spec)[0]
            continue
        values, problems = _parse_field(raw[column].astype(str), spec)
        columns[column] = values
        flagged.update((i, column) for i, _ in problems)
        violations.extend(
            Violation(name, int(rows_index[i]), column, reason) for i, reason in problems
        )
    typed = pd.DataFrame(columns, index=raw.index)
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
    """Parse one column; return typed values (missing where blank or bad) and the problems.

    Each distinct value is parsed once (`_parse_values`) and the results are spread back to
    the rows; problems come in the order of the checks, each check's in row order.
    """
    if spec.kind is Kind.STRING and spec.pattern is None:  # free text: only blanks matter
        blank = raw == ""
        required = [(i, MSG_REQUIRED) for i in raw.index[blank]] if spec.required else []
        return raw.astype(object).mask(blank, pd.NA), required
    codes, distinct = pd.factorize(raw, use_na_sentinel=False)
    values, problems = _parse_values(pd.Series(distinct), spec)
    typed = pd.Series(values.take(codes), index=raw.index, dtype=values.dtype)
    if not problems:
        return typed, []
    check = np.full(len(distinct), -1)
    reasons = np.empty(len(distinct), dtype=object)
    for number, value, reason in problems:
        check[value], reasons[value] = number, reason
    per_row = check[codes]
    rows = np.flatnonzero(per_row >= 0)
    rows = rows[np.argsort(per_row[rows], kind="stable")]
    return typed, list(zip(raw.index[rows], reasons[codes[rows]], strict=True))


def _parse_values(
    distinct: pd.Series, spec: Field
) -> tuple[pd.api.extensions.ExtensionArray | np.ndarray, list[tuple[int, int, str]]]:
    """Parse distinct values: their typed values (missing where blank or bad) and the problems,
    at most one per value, each as (the number of the check that found it, the value's position,
    the reason). A plain loop: most columns hold few distinct values."""
    text = distinct.tolist()
    problems: list[tuple[int, int, str]] = []
    if spec.required:
        problems.extend((0, i, MSG_REQUIRED) for i, value in enumerate(text) if value == "")
    good = [i for i, value in enumerate(text) if value != ""]
    checks = itertools.count(1)

    def flag(failed: Callable[[int], bool], message: str, **extra: object) -> None:
        nonlocal good
        check, kept = next(checks), []
        for i in good:
            if failed(i):
                problems.append((check, i, message.format(value=text[i], **extra)))
            else:
                kept.append(i)
        good = kept

    if spec.pattern is not None:
        pattern = re.compile(spec.pattern, flags=re.ASCII)
        flag(
            lambda i: not _matches(pattern, text[i]),
            MSG_PATTERN,
            hint=spec.pattern_hint or spec.pattern,
        )
    parse: Callable[[int], object]
    if spec.kind is Kind.INTEGER:
        flag(lambda i: not _matches(_INTEGER, text[i]), MSG_NOT_INTEGER)
        flag(lambda i: _matches(_TOO_LARGE, text[i]), MSG_INTEGER_TOO_LARGE)
        parse = lambda i: int(text[i])  # noqa: E731
    elif spec.kind is Kind.NUMBER:
        numbers = pd.to_numeric(distinct.iloc[good], errors="coerce").astype("float64")
        number = dict(zip(good, numbers.tolist(), strict=True))
        flag(lambda i: not math.isfinite(number[i]), MSG_NOT_NUMBER)
        parse = number.__getitem__
    elif spec.kind is Kind.DATE:
        candidates = distinct.iloc[good]
        dates = pd.to_datetime(
            candidates.where(candidates.str.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")),
            format="%Y-%m-%d",
            errors="coerce",
        )
        date = dict(zip(good, dates.tolist(), strict=True))
        flag(lambda i: pd.isna(date[i]), MSG_NOT_DATE)
        flag(lambda i: not _EARLIEST <= date[i] <= _LATEST, MSG_DATE_RANGE)
        parse = date.__getitem__
    elif spec.kind is Kind.BOOLEAN:
        flag(lambda i: text[i] not in _BOOLEANS, MSG_NOT_BOOLEAN)
        parse = lambda i: _BOOLEANS[text[i]]  # noqa: E731
    else:
        if spec.codes is not None:
            allowed = spec.codes.values()
            flag(lambda i: text[i] not in allowed, MSG_NOT_CODE, allowed=", ".join(allowed))
        parse = text.__getitem__
    missing, dtype = _TYPED[spec.kind]
    typed = [missing] * len(text)
    for i in good:
        typed[i] = parse(i)
    if spec.kind in (Kind.INTEGER, Kind.NUMBER):
        for limit, name, outside, message in (
            (spec.minimum, "minimum", operator.lt, MSG_BELOW_MINIMUM),
            (spec.maximum, "maximum", operator.gt, MSG_ABOVE_MAXIMUM),
        ):
            if limit is not None:
                check = next(checks)
                for i in good:
                    if typed[i] is not missing and outside(float(typed[i]), limit):
                        problems.append((check, i, message.format(value=text[i], **{name: limit})))
                        typed[i] = missing
    return pd.array(typed, dtype=dtype), problems


def _matches(pattern: re.Pattern[str], value: object) -> bool:
    return isinstance(value, str) and pattern.fullmatch(value) is not None


_INTEGER, _TOO_LARGE = re.compile(r"-?[0-9]+"), re.compile(r"-?[0-9]{19,}")
_TYPED = {  # each kind's missing value and dtype
    Kind.INTEGER: (pd.NA, "Int64"),
    Kind.NUMBER: (np.nan, "float64"),
    Kind.DATE: (pd.NaT, "datetime64[ns]"),
    Kind.BOOLEAN: (pd.NA, "boolean"),
    Kind.STRING: (pd.NA, object),
    Kind.CODE: (pd.NA, object),
}


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
    elif spec.kind is Kind.INTEGER and pd.api.types.is_integer_dtype(values.dtype):
        text = values.astype(str)  # as str(int(v)), in one step
    elif spec.kind is Kind.INTEGER:
        text = values.map(lambda v: "" if pd.isna(v) else str(int(v)))
    elif spec.kind is Kind.NUMBER:
        text = values.map(lambda v: "" if pd.isna(v) or not math.isfinite(v) else repr(float(v)))
    elif pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        # text already: as str(v), in one step (pandas' own string type checks starts faster)
        text = _neutralise(values.where(~missing, "").astype("str"))
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
