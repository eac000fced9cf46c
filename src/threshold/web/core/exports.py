"""Downloads of the tables people see, as CSV or as an Excel workbook, through one helper.

Every text cell goes through `threshold.model.neutralise_formulas` first, so a school name or
a note such as ``=HYPERLINK(...)`` opens as text, never as a formula, in either format. In the
workbook, text cells are also stored as text (openpyxl would otherwise store a string that
starts with ``=`` as a formula). CSV is written as UTF-8 with a byte-order mark, which Excel
needs to read accents and which Python's ``utf-8-sig`` and pandas read back unchanged.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date

import pandas as pd
from django.http import Http404, HttpResponse
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.utils import get_column_letter

from threshold.model import neutralise_formulas

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
"""The download formats, by the `format` query value, with their content types."""
SHEET_TITLE_MAX = 31
"""Excel's limit on a worksheet's name."""
COLUMN_WIDTH_MAX = 60


def table_frame(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> pd.DataFrame:
    """A table as a frame, its columns headed as people read them on the page; cells keep
    their Python types (a count with gaps stays whole numbers)."""
    return pd.DataFrame([list(row) for row in rows], columns=list(columns), dtype=object)


def download_format(value: str | None) -> str:
    """The format asked for (`?format=`), CSV by default; an unknown one is a 404."""
    chosen = (value or "csv").lower()
    if chosen not in FORMATS:
        raise Http404(f"no download as {chosen!r}: choose csv or xlsx")
    return chosen


def table_download(
    frame: pd.DataFrame, *, stem: str, fmt: str, title: str = "", on: date | None = None
) -> HttpResponse:
    """`frame` as an attachment named ``<stem>-<date>.<fmt>``, formula cells neutralised.

    `title` names the workbook's sheet (the stem if empty); `on` is the date in the file name
    (today if None)."""
    fmt = download_format(fmt)
    safe = neutralise_formulas(frame)
    body = _xlsx(safe, title or stem) if fmt == "xlsx" else _csv(safe)
    response = HttpResponse(body, content_type=FORMATS[fmt])
    filename = f"{stem}-{(on or date.today()).isoformat()}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def _xlsx(frame: pd.DataFrame, title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _sheet_title(title)
    sheet.append([str(column) for column in frame.columns])
    for values in frame.itertuples(index=False, name=None):
        sheet.append([_cell(value) for value in values])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = TYPE_STRING
    for index, column in enumerate(frame.columns, start=1):
        width = max([len(str(column)), *(len(str(v)) for v in frame.iloc[:, index - 1])], default=8)
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, COLUMN_WIDTH_MAX)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_title(title: str) -> str:
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()
    return (cleaned or "Table")[:SHEET_TITLE_MAX]


def _cell(value: object) -> object:
    """A value openpyxl can store: missing values empty, numpy scalars as Python ones."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value
