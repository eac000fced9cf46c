"""The one download helper: CSV and XLSX, formula cells neutralised in both."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest
from django.http import Http404
from openpyxl import load_workbook

from threshold.model import restore_formulas
from threshold.web.core.exports import table_download, table_frame

HOSTILE = ['=HYPERLINK("http://x","click")', "+1", "-2 pupils", "@SUM(A1)", "Sainte-Anne's"]


def _frame() -> pd.DataFrame:
    return table_frame(
        ["School", "Sessions", "Held on"],
        [(name, i, date(2026, 9, 1 + i)) for i, name in enumerate(HOSTILE)]
        + [("Ørsted", None, None)],
    )


def test_csv_is_an_attachment_with_the_date_and_neutralised_cells() -> None:
    response = table_download(_frame(), stem="take-up", fmt="csv", on=date(2026, 12, 2))
    assert response["Content-Disposition"] == 'attachment; filename="take-up-2026-12-02.csv"'
    assert response.content.startswith("\ufeff".encode())
    read = pd.read_csv(io.BytesIO(response.content), encoding="utf-8-sig", dtype=str)
    assert list(read.columns) == ["School", "Sessions", "Held on"]
    assert not any(cell[0] in "=+-@" for cell in read["School"])
    assert restore_formulas(read)["School"].tolist() == [*HOSTILE, "Ørsted"]
    assert read["Sessions"].tolist()[:2] == ["0", "1"]


def test_xlsx_stores_text_as_text_and_numbers_as_numbers() -> None:
    response = table_download(_frame(), stem="take-up", fmt="XLSX", title="Take-up: 2026/27")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "Take-up  2026 27"
    assert [c.value for c in sheet[1]] == ["School", "Sessions", "Held on"]
    names = [sheet.cell(row=r, column=1) for r in range(2, 8)]
    assert all(cell.data_type == "s" for cell in names)
    assert names[0].value == "'" + HOSTILE[0]
    assert sheet.cell(row=3, column=2).value == 1
    assert sheet.cell(row=7, column=2).value is None


def test_an_unknown_format_is_not_found() -> None:
    with pytest.raises(Http404):
        table_download(_frame(), stem="x", fmt="pdf")
