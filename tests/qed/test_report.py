"""The QED report section in Markdown, HTML and Word: the tables, the balance table when
weighted, savings with their interval, the figure and the plain-language caveat."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from docx import Document

from threshold.qed import CAVEAT, compare, run_example
from threshold.report import write_qed_report
from threshold.report.qed import CAVEAT_HEADING, qed_figure, qed_html, qed_markdown, qed_views
from threshold.synth import dsl_call_world


@pytest.fixture(scope="module")
def weighted():
    records = dsl_call_world(2, n_trained=100, n_comparison=300, selection=1.0).records
    return compare(
        records,
        group="group",
        treated="trained",
        count="calls",
        exposure="dsl_years",
        unit="dsl_id",
        covariates=("pupils_hundreds", "primary"),
        weighting="entropy",
        earlier_count="earlier_calls",
        earlier_exposure="earlier_years",
        rollout=400,
        cost_per_call=200.0,
    )


def test_views_include_balance_and_savings(weighted) -> None:
    titles = [view.title for view in qed_views(weighted)]
    assert "Covariate balance before and after entropy weighting" in titles
    assert "Savings at full roll-out" in titles
    (rr,) = (v for v in qed_views(weighted) if v.title == "Rate ratio")
    assert [row[0] for row in rr.rows] == ["trained vs comparison", "difference-in-differences"]
    (bal,) = (v for v in qed_views(weighted) if v.title.startswith("Covariate"))
    assert [row[-1] for row in bal.rows] == ["0.000", "0.000"]  # exact balance after


def test_example_markdown_shows_the_published_figures() -> None:
    _, results = run_example()
    text = qed_markdown(results, qed_figure(results))
    for figure in ("65.0%", "4.8%", "21.0%", "1,398", "£370,586", "£570,000", CAVEAT):
        assert figure in text
    assert "balance" not in text.lower()


def test_write_qed_report_writes_every_format(weighted, tmp_path: Path) -> None:
    paths = write_qed_report(weighted, tmp_path)
    assert [p.name for p in paths] == ["results.json", "report.md", "report.html", "report.docx"]
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["balance"]["method"] == "entropy"
    assert (tmp_path / "figures" / "qed_rate_ratio.png").read_bytes().startswith(b"\x89PNG")
    html = (tmp_path / "report.html").read_text()
    assert CAVEAT_HEADING in html
    assert "<table>" in html
    doc = Document(io.BytesIO((tmp_path / "report.docx").read_bytes()))
    assert any(p.text == CAVEAT for p in doc.paragraphs)
    assert len(doc.tables) == len(qed_views(weighted))


def test_html_escapes_labels() -> None:
    records = dsl_call_world(2, n_trained=50, n_comparison=150).records
    records["group"] = records["group"].replace("trained", "<b>trained")
    result = compare(
        records, group="group", treated="<b>trained", count="calls", exposure="dsl_years"
    )
    page = qed_html(result, qed_figure(result))
    assert "&lt;b&gt;trained" in page
    assert "<b>trained" not in page
