"""Reading LA exports into raw tables: delimited text, Excel workbooks and CIN census XML.

A raw table holds the cells as found (text, or dates and numbers from Excel) with a `locator`
per record that a person can find again in the source: the spreadsheet row (the header is
row 1) or, for XML, the child and the referral within it. Readers never drop a record; a file
that cannot be read at all raises InputError naming the file and what is wrong.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as safe_xml
import numpy as np
import openpyxl
import pandas as pd
from defusedxml import DefusedXmlException

from threshold.frontdoor.limits import LIMITS, XLSX_ROWS, Budget
from threshold.model import InputError, read_plain_csv

MSG_UNREADABLE = "{file}: cannot read the file ({reason})"
MSG_CSV = (
    "{file}: cannot read row {row:,} ({reason}); look for a quote that is never closed, or save "
    "the export again as CSV"
)
MSG_ENCODING = (
    "{file}: byte {position} is not valid {encoding}; save the export as UTF-8 or declare its "
    "encoding (utf-8, utf-8-sig, cp1252)"
)
MSG_UNKNOWN_ENCODING = "{file}: unknown encoding {encoding!r}; use utf-8, utf-8-sig or cp1252"
MSG_EMPTY = "{file}: the file has no header row"
MSG_RAGGED = "has {found} fields but the header has {expected}"
MSG_DUPLICATE_HEADER = "{file}: the column {column!r} appears more than once in the header"
MSG_NO_SHEET = "{file}: the workbook has no sheet {sheet!r} (it has: {sheets})"
MSG_NOT_WORKBOOK = "{file}: is not an Excel .xlsx workbook ({reason})"
MSG_NOT_XML = "{file}: is not well-formed XML ({reason})"
MSG_NOT_CIN = "{file}: is not a CIN census return (no <Message><Children> element)"

ENCODINGS = ("utf-8", "utf-8-sig", "cp1252")
_CHUNK = 1024
"""Records read at a time from delimited text (the clock is checked between them)."""
_WORKBOOK_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    NotImplementedError,  # a compression method zipfile lacks
    KeyError,  # a part the workbook's relationships name is missing
    ValueError,
    TypeError,
    AttributeError,
    IndexError,
    LookupError,
    OSError,
    SyntaxError,  # malformed XML in a part (ParseError, lxml's XMLSyntaxError)
)
"""What openpyxl and zipfile raise on a damaged workbook."""
CIN_FIELDS = (
    "LAchildID",
    "CINreferralDate",
    "ReferralSource",
    "ReferralNFA",
    "CINclosureDate",
    "ReasonForClosure",
    "CINPlanStartDate",
    "CPPstartDate",
    "LEA",
)


@dataclass(frozen=True)
class RawTable:
    """Cells as read (`frame`, one column per source header), where each record came from
    (`locators`, parallel to the rows), records that could not be split into the header's
    fields (`unsplit`: locator, reason, the record as text), the file's name and the encoding
    used for text."""

    file: str
    frame: pd.DataFrame
    locators: list[str]
    unsplit: tuple[tuple[str, str, str], ...] = ()
    encoding: str | None = None


def decode(data: bytes, file: str, encoding: str = "auto") -> tuple[str, str]:
    """Text and the encoding used: UTF-8 (with or without a byte-order mark), else Windows-1252,
    unless one is declared."""
    if encoding != "auto" and encoding not in ENCODINGS:
        raise InputError(MSG_UNKNOWN_ENCODING.format(file=file, encoding=encoding))
    tried = ("utf-8-sig", "cp1252") if encoding == "auto" else (encoding,)
    for name in tried:
        try:
            text = data.decode(name)
        except UnicodeDecodeError as error:
            failure = (error.start, name)
            continue
        if name == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf"):
            name = "utf-8"
        return text, name
    position, name = failure
    raise InputError(MSG_ENCODING.format(file=file, position=position, encoding=name))


def read_delimited(
    path: Path,
    *,
    encoding: str = "auto",
    delimiter: str | None = None,
    budget: Budget | None = None,
) -> RawTable:
    """A CSV (or tab- or semicolon-separated) export; the delimiter is sniffed unless given."""
    file = path.name
    budget = budget or LIMITS.start(file)
    text, used = decode(_bytes(path, budget), file, encoding)
    first = re.match(r"[^\r\n]*", text).group()
    if not first.strip():
        raise InputError(MSG_EMPTY.format(file=file))
    sep = delimiter or max((",", "\t", ";", "|"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    rows: list[list[str]] = []
    numbers: list[int] = []
    unsplit: list[tuple[str, str, str]] = []
    try:
        header = [cell.strip() for cell in next(reader)]
    except csv.Error as error:
        raise InputError(MSG_CSV.format(file=file, row=1, reason=error)) from None
    budget.check_columns(file, 1, len(header))
    budget.check_cells(file, 1, header, header)
    _check_header(file, header)
    plain = _read_plain(file, text, sep, header, budget)
    if plain is not None:
        frame, numbers = plain
        return RawTable(file, frame, [f"row {n}" for n in numbers], (), used)
    number = 1  # the last row read whole: the header is row 1
    while True:
        chunk: list[list[str]] = []
        try:
            chunk.extend(islice(reader, _CHUNK))  # keeps the records read before an error
        except csv.Error as error:
            _take(file, header, sep, chunk, number + 1, budget, (rows, numbers, unsplit))
            row = number + len(chunk) + 1
            raise InputError(MSG_CSV.format(file=file, row=row, reason=error)) from None
        if not chunk:
            break
        _take(file, header, sep, chunk, number + 1, budget, (rows, numbers, unsplit))
        number += len(chunk)
    budget.check_table(file, header, rows, numbers)
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    return RawTable(file, frame, [f"row {n}" for n in numbers], tuple(unsplit), used)


def _read_plain(
    file: str, text: str, sep: str, header: list[str], budget: Budget
) -> tuple[pd.DataFrame, list[int]] | None:
    """The records of plain delimited text (after its header line) as text columns, with their
    row numbers, read by pyarrow (`read_plain_csv`, every record on one line); None unless the
    text is plain and within the limits. For plain text this is exactly what the csv module
    reads."""
    read = read_plain_csv(text.encode(), sep=sep, width=len(header))
    if read is None:
        return None
    table, longest = read
    budget.check_time()
    if table.num_rows > budget.limits.rows:
        return None
    columns = [column.to_numpy(zero_copy_only=False) for column in table.columns]
    numbers = np.arange(2, table.num_rows + 2)
    maybe_blank = np.flatnonzero([not cell.strip() for cell in columns[0]])
    if len(maybe_blank):  # a line of blank cells is not a record
        blank = [i for i in maybe_blank if not any(c[i].strip() for c in columns)]
        columns = [np.delete(column, blank) for column in columns]
        numbers = np.delete(numbers, blank)
    if longest > budget.limits.cell_chars:
        rows = [list(cells) for cells in zip(*columns, strict=True)]
        budget.check_table(file, header, rows, numbers.tolist())
    frame = pd.DataFrame(dict(enumerate(columns)), dtype=object)
    frame.columns = header
    return frame, numbers.tolist()


def _take(
    file: str,
    header: list[str],
    sep: str,
    chunk: list[list[str]],
    first: int,
    budget: Budget,
    found: tuple[list[list[str]], list[int], list[tuple[str, str, str]]],
) -> None:
    """Sort the records of `chunk` (the first is row `first`) into `found`: records with the
    header's fields and their row numbers, and records that cannot be split; blank lines are
    not records. A chunk with neither blank nor ragged lines is taken whole."""
    rows, numbers, unsplit = found
    last = first + len(chunk) - 1
    budget.check_time()
    if (
        last <= budget.limits.rows + 1
        and list(map(len, chunk)).count(len(header)) == len(chunk)
        and "" not in map(str.strip, map("".join, chunk))
    ):
        rows.extend(chunk)
        numbers.extend(range(first, last + 1))
        return
    for number, record in enumerate(chunk, start=first):
        budget.check_row(file, number)
        if not any(cell.strip() for cell in record):
            continue  # a blank line is not a record
        if len(record) != len(header):
            budget.check_cells(file, number, header, record)
            reason = MSG_RAGGED.format(found=len(record), expected=len(header))
            unsplit.append((f"row {number}", reason, sep.join(record)))
            continue
        rows.append(record)
        numbers.append(number)


def read_workbook(
    path: Path, sheet: str | None = None, *, budget: Budget | None = None
) -> RawTable:
    """One sheet of an .xlsx workbook (the first unless named): the first row is the header.

    The zip's directory, each sheet's number of rows and the sheet's declared range are
    checked against the limits before any cell is read; rows are then streamed, never laid
    out as declared."""
    file = path.name
    budget = budget or LIMITS.start(file)
    data = _bytes(path, budget)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            budget.check_zip(file, archive)
            _check_sheet_rows(file, archive, budget)
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except _WORKBOOK_ERRORS as error:
        raise InputError(MSG_NOT_WORKBOOK.format(file=file, reason=_reason(error))) from None
    try:
        names = workbook.sheetnames
        chosen = sheet if sheet is not None else names[0]
        if chosen not in names:
            raise InputError(MSG_NO_SHEET.format(file=file, sheet=chosen, sheets=", ".join(names)))
        label = f"{file} [{chosen}]"
        cells = _sheet_rows(workbook[chosen], label, budget)
        header = [("" if value is None else str(value)).strip() for value in next(cells, ())]
        while header and not header[-1]:
            header.pop()
        if not header:
            raise InputError(MSG_EMPTY.format(file=label))
        budget.check_cells(label, 1, header, header)
        _check_header(label, header)
        rows, locators, unsplit = [], [], []
        for number, values in enumerate(cells, start=2):
            if not values:
                continue  # a row the sheet does not have
            budget.check_cells(label, number, header, [_cell(value) for value in values])
            padded = (list(values) + [None] * len(header))[: len(header)]
            extra = [value for value in values[len(header) :] if value not in (None, "")]
            if extra:
                reason = MSG_RAGGED.format(found=len(header) + len(extra), expected=len(header))
                text = ",".join("" if value is None else str(value) for value in values)
                unsplit.append((f"row {number}", reason, text))
                continue
            if all(value is None or str(value).strip() == "" for value in padded):
                continue
            rows.append(padded)
            locators.append(f"row {number}")
    except _WORKBOOK_ERRORS as error:
        raise InputError(MSG_NOT_WORKBOOK.format(file=file, reason=_reason(error))) from None
    finally:
        workbook.close()
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    return RawTable(label, frame, locators, tuple(unsplit))


def _sheet_rows(worksheet, label: str, budget: Budget):
    """The sheet's rows as found (a missing row is empty), within the limits: its declared
    range is checked first and then ignored, so a stray far cell costs one row, not a grid."""
    if worksheet.max_row is not None and worksheet.max_column is not None:
        budget.check_dimension(
            label, worksheet.calculate_dimension(), worksheet.max_row, worksheet.max_column
        )
    worksheet.reset_dimensions()
    for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
        budget.check_row(label, number, most=XLSX_ROWS - 1)
        if len(values) > budget.limits.columns:
            beyond = [
                i for i, v in enumerate(values) if i >= budget.limits.columns and v is not None
            ]
            if beyond:
                budget.check_columns(label, number, beyond[-1] + 1)
            values = values[: budget.limits.columns]
        yield values


_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
_SHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml")


def _check_sheet_rows(file: str, archive: zipfile.ZipFile, budget: Budget) -> None:
    """Count each sheet's rows in its stream, without parsing it, before the workbook is
    opened (opening a sheet without a declared range reads all of it): a workbook packing
    millions of rows is refused in seconds rather than read for minutes."""
    for member in archive.infolist():
        if not _SHEET_PART.fullmatch(member.filename):
            continue
        count, carried = 0, b""
        with archive.open(member) as part:
            while chunk := part.read(1 << 22):
                data = carried + chunk
                keep = len(data) - 16  # a tag cut by the chunk's end is counted with the next
                count += sum(1 for tag in _ROW_TAG.finditer(data) if tag.start() < keep)
                carried = data[keep:] if keep > 0 else data
                budget.check_time()
        count += len(_ROW_TAG.findall(carried))
        budget.check_row(f"{file} [{member.filename}]", count, most=XLSX_ROWS - 1)


def read_cin_xml(path: Path, *, budget: Budget | None = None) -> RawTable:
    """The DfE Children in Need census XML: one record per <CINdetails> (a referral), with the
    child's LA id, the referral's dates, source, NFA flag and reason for closure, and the first
    start date of any CIN or child protection plan that followed. Identifying details (UPN,
    date of birth) are never read."""
    file = path.name
    budget = budget or LIMITS.start(file)
    try:
        root = safe_xml.fromstring(_bytes(path, budget))
    except (SyntaxError, LookupError, ValueError, DefusedXmlException) as error:
        raise InputError(MSG_NOT_XML.format(file=file, reason=_reason(error))) from None
    children = root.find("Children") if root.tag == "Message" else None
    if children is None:
        raise InputError(MSG_NOT_CIN.format(file=file))
    lea = _text(root.find("Header/Source/LEA"))
    rows, locators = [], []
    for number, child in enumerate(children.findall("Child"), start=1):
        child_id = _text(child.find("ChildIdentifiers/LAchildID"))
        for episode, details in enumerate(child.findall("CINdetails"), start=1):
            rows.append(
                [
                    child_id,
                    _text(details.find("CINreferralDate")),
                    _text(details.find("ReferralSource")),
                    _text(details.find("ReferralNFA")),
                    _text(details.find("CINclosureDate")),
                    _text(details.find("ReasonForClosure")),
                    _earliest(details.findall("CINPlanDates/CINPlanStartDate")),
                    _earliest(details.findall("ChildProtectionPlans/CPPstartDate")),
                    lea,
                ]
            )
            budget.check_row(file, len(rows) + 1)
            budget.check_cells(file, number, list(CIN_FIELDS), rows[-1])
            locators.append(f"child {number} referral {episode}")
    return RawTable(file, pd.DataFrame(rows, columns=list(CIN_FIELDS), dtype=object), locators)


def _bytes(path: Path, budget: Budget) -> bytes:
    """The file's bytes, once its size is known to be within the limit."""
    try:
        budget.check_size(path.name, path.stat().st_size)
        return path.read_bytes()
    except OSError as error:
        raise InputError(MSG_UNREADABLE.format(file=path, reason=error.strerror)) from None


def _cell(value: object) -> str:
    """A cell's text for the length check (numbers and dates are short)."""
    return value if isinstance(value, str) else ""


def _reason(error: BaseException) -> str:
    """An exception as a short reason: its message, else its kind."""
    return str(error) or type(error).__name__


def _check_header(file: str, header: list[str]) -> None:
    if not header or not any(header):
        raise InputError(MSG_EMPTY.format(file=file))
    seen: set[str] = set()
    for column in header:
        key = column.casefold()
        if key and key in seen:
            raise InputError(MSG_DUPLICATE_HEADER.format(file=file, column=column))
        seen.add(key)


def _earliest(elements: list[Element]) -> str:
    """The first of some ISO dates (text order is date order), blank if there are none."""
    dates = sorted(text for text in (_text(element) for element in elements) if text)
    return dates[0] if dates else ""


def _text(element: Element | None) -> str:
    return "" if element is None or element.text is None else element.text.strip()
