"""Reading LA exports into raw tables: delimited text, Excel workbooks and CIN census XML.

A raw table holds the cells as found (text, or dates and numbers from Excel) with a `locator`
per record that a person can find again in the source: the spreadsheet row (the header is
row 1) or, for XML, the child and the referral within it. Readers never drop a record; a file
that cannot be read at all raises InputError naming the file and what is wrong.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_xml
import openpyxl
import pandas as pd
from defusedxml import DefusedXmlException

from threshold.model import InputError

MSG_UNREADABLE = "{file}: cannot read the file ({reason})"
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


def read_delimited(path: Path, *, encoding: str = "auto", delimiter: str | None = None) -> RawTable:
    """A CSV (or tab- or semicolon-separated) export; the delimiter is sniffed unless given."""
    file = path.name
    text, used = decode(_bytes(path), file, encoding)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputError(MSG_EMPTY.format(file=file))
    sep = delimiter or max((",", "\t", ";", "|"), key=lines[0].count)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True))
    except csv.Error as error:
        raise InputError(MSG_UNREADABLE.format(file=file, reason=error)) from None
    header = [cell.strip() for cell in records[0]]
    _check_header(file, header)
    rows, locators, unsplit = [], [], []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue  # a blank line is not a record
        if len(record) != len(header):
            reason = MSG_RAGGED.format(found=len(record), expected=len(header))
            unsplit.append((f"row {number}", reason, sep.join(record)))
            continue
        rows.append(record)
        locators.append(f"row {number}")
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    return RawTable(file, frame, locators, tuple(unsplit), used)


def read_workbook(path: Path, sheet: str | None = None) -> RawTable:
    """One sheet of an .xlsx workbook (the first unless named): the first row is the header."""
    file = path.name
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(_bytes(path)), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as error:
        raise InputError(MSG_NOT_WORKBOOK.format(file=file, reason=error)) from None
    try:
        names = workbook.sheetnames
        chosen = sheet if sheet is not None else names[0]
        if chosen not in names:
            raise InputError(MSG_NO_SHEET.format(file=file, sheet=chosen, sheets=", ".join(names)))
        cells = list(workbook[chosen].iter_rows(values_only=True))
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as error:
        raise InputError(MSG_NOT_WORKBOOK.format(file=file, reason=error)) from None
    finally:
        workbook.close()
    label = f"{file} [{chosen}]"
    if not cells or all(value is None for value in cells[0]):
        raise InputError(MSG_EMPTY.format(file=label))
    header = [("" if value is None else str(value)).strip() for value in cells[0]]
    while header and not header[-1]:
        header.pop()
    _check_header(label, header)
    rows, locators, unsplit = [], [], []
    for number, values in enumerate(cells[1:], start=2):
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
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    return RawTable(label, frame, locators, tuple(unsplit))


def read_cin_xml(path: Path) -> RawTable:
    """The DfE Children in Need census XML: one record per <CINdetails> (a referral), with the
    child's LA id, the referral's dates, source, NFA flag and reason for closure, and the first
    start date of any CIN or child protection plan that followed. Identifying details (UPN,
    date of birth) are never read."""
    file = path.name
    try:
        root = safe_xml.fromstring(_bytes(path))
    except (ParseError, DefusedXmlException) as error:
        raise InputError(MSG_NOT_XML.format(file=file, reason=error)) from None
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
            locators.append(f"child {number} referral {episode}")
    return RawTable(file, pd.DataFrame(rows, columns=list(CIN_FIELDS), dtype=object), locators)


def _bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(MSG_UNREADABLE.format(file=path, reason=error.strerror)) from None


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
