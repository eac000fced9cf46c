"""Reading plain delimited text with pyarrow's multi-threaded CSV reader.

Plain text is text the csv module reads the same way: no NUL, lone carriage return or blank
line, quotes only around whole fields, every record as wide as the header and no field over
the csv module's size limit. Anything else is left to the csv module, whose messages and row
numbers the callers report.
"""

from __future__ import annotations

import csv
import io
import re

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

_QUOTED = re.compile(rb'"(?:[^"]|"")*"')


def read_plain_csv(
    data: bytes, *, sep: str = ",", multiline: bool = False, width: int | None = None
) -> tuple[pa.Table, int] | None:
    """The records of plain UTF-8 text `data` as text columns (blank cells are empty strings,
    never null), with the length of its longest field; None unless `data` is plain.

    The first record is the header. Without `width` its names, which must be distinct, name
    the columns; with `width` it is skipped and the `width` columns are named "0", "1", ….
    `multiline` allows line breaks inside quoted fields."""
    if not data or b"\0" in data or data.count(b"\r") != data.count(b"\r\n"):
        return None
    if data.startswith((b"\n", b"\r\n")) or b"\n\n" in data or b"\n\r\n" in data:
        return None
    quoted = b'"' in data
    if quoted and not _quotes_round_whole_fields(data, sep.encode(), multiline):
        return None
    if width is None:
        try:
            text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline="")
            names = next(csv.reader(text, delimiter=sep))
        except csv.Error:  # a name over the csv module's size limit
            return None
        if len(set(names)) != len(names):
            return None
        read_options = pacsv.ReadOptions()
    else:
        names = [str(i) for i in range(width)]
        read_options = pacsv.ReadOptions(column_names=names, skip_rows=1)
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=read_options,
            parse_options=pacsv.ParseOptions(
                delimiter=sep, newlines_in_values=multiline and quoted, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:  # a ragged row, say: the csv module reads and reports it
        return None
    if table.column_names != names:
        return None
    longest = max((pc.max(pc.utf8_length(c)).as_py() or 0 for c in table.columns), default=0)
    if longest > csv.field_size_limit():
        return None
    return table, longest


def _quotes_round_whole_fields(data: bytes, sep: bytes, multiline: bool) -> bool:
    """Whether every quote in `data` belongs to a quoted field that is a whole field (and on
    one line unless `multiline`)."""
    quotes = 0
    for match in _QUOTED.finditer(data):
        start, end = match.span()
        if start and data[start - 1 : start] not in (sep, b"\n"):
            return False
        if end < len(data) and data[end : end + 1] not in (sep, b"\r", b"\n"):
            return False
        field = match.group()
        if not multiline and (b"\n" in field or b"\r" in field):
            return False
        quotes += field.count(b'"')
    return quotes == data.count(b'"')
