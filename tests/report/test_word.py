"""report.docx: the HTML report's content as a Word document, with real tables and pictures."""

from __future__ import annotations

import dataclasses
import io

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Pt

from threshold.report import headline, to_docx
from threshold.report.content import views


@pytest.fixture(scope="module")
def document(results, figures):
    return docx.Document(io.BytesIO(to_docx(results, figures)))


def text(document) -> str:
    return "\n".join(p.text for p in document.paragraphs)


def test_the_document_has_the_title_status_headline_and_every_outcome(
    document, results, main_outcomes
):
    body = text(document)
    assert document.paragraphs[0].text == f"{results.trial}: impact evaluation"
    assert document.paragraphs[0].style.name == "Heading 1"
    assert "Confirmatory analysis of the locked protocol (SHA-256 aaaaaaaaaaaa)." in body
    assert headline(results) in body
    for heading in ("Figures", "Methods", "Effect sizes"):
        assert heading in body
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    for outcome in main_outcomes:
        assert outcome in cells
        assert f"Distribution of {outcome}" in body


def test_each_table_view_is_a_word_table_with_a_repeating_header_row(document, results):
    expected = views(results)
    assert len(document.tables) == len(expected)
    for table, view in zip(document.tables, expected, strict=True):
        header, *body = table.rows
        assert tuple(cell.text for cell in header.cells) == view.headers
        assert all(run.bold for cell in header.cells for run in cell.paragraphs[0].runs)
        runs = [run for row in table.rows for cell in row.cells for run in cell.paragraphs[0].runs]
        assert {run.font.size for run in runs} == {Pt(9)}
        assert not any(
            run.bold for row in body for cell in row.cells for run in cell.paragraphs[0].runs
        )
        assert header._tr.trPr.find(qn("w:tblHeader")) is not None
        assert tuple(tuple(cell.text for cell in row.cells) for row in body) == view.rows


def test_styles_are_the_named_ones(document):
    headings = [p.style.name for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:2] == ["Heading 1", "Heading 2"]
    assert "Heading 3" in headings  # each figure's title
    assert {p.style.name for p in document.paragraphs if p.text.startswith("Glass's Δ and")} == {
        "Caption"
    }
    assert {table.style.name for table in document.tables} == {"Table Grid"}


def test_the_figures_are_inline_pictures_with_alt_text(document, figures):
    shapes = document.inline_shapes
    assert len(shapes) == len(figures)
    for shape, figure in zip(shapes, figures, strict=True):
        assert shape._inline.docPr.get("descr") == figure.alt
        blip = shape._inline.graphic.graphicData.pic.blipFill.blip
        assert document.part.related_parts[blip.embed].blob == figure.png


def test_an_exploratory_analysis_says_so(results, figures):
    exploratory = dataclasses.replace(results, confirmatory=False, protocol_state="altered")
    body = text(docx.Document(io.BytesIO(to_docx(exploratory, figures))))
    assert "EXPLORATORY ANALYSIS: the protocol was changed after it was locked" in body
    assert "Confirmatory" not in body
