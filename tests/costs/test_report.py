"""The cost section rendered as Markdown, HTML and Word from a summary of the small tables."""

from __future__ import annotations

import io
import json

import pytest
from docx import Document

from threshold.costs import ContactEffect, summarise_costs
from threshold.report import write_cost_report
from threshold.report.costs import cost_html, cost_markdown, cost_views, gbp


@pytest.fixture
def summary(world):
    return summarise_costs(
        world["costs"],
        world["allocations"],
        world["schools"],
        effect=ContactEffect(-1.0, -3.0, 0.5),
    )


def test_gbp():
    assert gbp(2_574.6) == "£2,575"
    assert gbp(None) == "–"


def test_headline_table_has_both_methods(summary):
    headline = cost_views(summary)[0]
    assert headline.rows[0] == ("Total spend ÷ schools assigned", "£2,575", "£2,475")
    assert headline.rows[1] == ("Simple mean of per-LA figures", "£2,950", "£2,850")
    assert headline.rows[2] == ("Range across LAs", "£2,200 to £3,700", "£2,100 to £3,600")
    assert summary.methods_note in headline.note


def test_views_cover_las_categories_school_side_and_contacts(summary):
    titles = [view.title for view in cost_views(summary)]
    assert titles == [
        "Delivery cost per school per year",
        "Start-up and recurring costs",
        "Costs by LA",
        "Costs by category",
        "Dosage and school-side costs",
        "Cost per contact avoided",
    ]
    contacts = cost_views(summary)[-1]
    assert contacts.rows[1][1].startswith("not defined: the effect's confidence interval")


def test_markdown_and_html(summary):
    markdown = cost_markdown(summary)
    assert "| 202 | 3 | £6,300 | £0 | £6,300 | £300 | £2,100 | £2,200 |" in markdown
    page = cost_html(summary)
    assert page.startswith("<!DOCTYPE html>")
    assert "<td>Simple mean of per-LA figures</td><td>£2,950</td>" in page


def test_written_documents(summary, tmp_path):
    paths = write_cost_report(summary, tmp_path / "costs")
    assert [p.name for p in paths] == ["costs.json", "costs.md", "costs.html", "costs.docx"]
    data = json.loads(paths[0].read_text(encoding="utf-8"))
    assert data["per_school_mean_of_las"] == pytest.approx(2_950)
    document = Document(io.BytesIO(paths[3].read_bytes()))
    assert len(document.tables) == 6
    assert document.tables[0].rows[1].cells[1].text == "£2,575"
