"""Render analysis results as a Word document with the same content as the HTML report."""

from __future__ import annotations

import copy
import functools
import io
from collections.abc import Sequence

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.shared import Cm, Inches, Pt
from docx.text.run import Run

from threshold.analysis import Results
from threshold.report.content import footer, methods, status, title, views
from threshold.report.figures import WIDTH, FigureView, render_figures
from threshold.report.tables import TableView, headline


def to_docx(
    results: Results,
    figures: Sequence[FigureView] | None = None,
    extra_tables: Sequence[TableView] = (),
) -> bytes:
    """The report as .docx bytes: A4 landscape, real tables with a repeating header row, and the
    figures inline with alt text. `figures` are rendered here when not given; `extra_tables`
    follow the estimates."""
    figures = render_figures(results) if figures is None else figures
    document = Document()
    # python-docx looks a style name up by scanning every style of the document on each use;
    # the styles do not change while the report is written, so each is looked up once.
    document.part.get_style_id = functools.cache(document.part.get_style_id)
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21)
    document.core_properties.title = title(results)
    document.core_properties.author = results.software
    document.add_heading(title(results), level=1)
    document.add_paragraph().add_run(status(results)).bold = True
    document.add_paragraph(headline(results))
    for view in (*views(results), *extra_tables):
        document.add_heading(view.title, level=2)
        docx_table(document, view)
        if view.note:
            document.add_paragraph(view.note)
    document.add_heading("Figures", level=2)
    for figure in figures:
        docx_figure(document, figure, level=3)
    document.add_heading("Methods", level=2)
    for paragraph in methods(results):
        document.add_paragraph(paragraph)
    if results.all_notes:
        document.add_heading("Notes", level=2)
        for note in results.all_notes:
            document.add_paragraph(note, style="List Bullet")
    document.add_paragraph(footer(results))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def docx_figure(document: DocumentObject, figure: FigureView, *, level: int = 2) -> None:
    """The figure under its heading, with its alt text and caption."""
    document.add_heading(figure.title, level=level)
    picture = document.add_picture(io.BytesIO(figure.png), width=Inches(WIDTH))
    picture._inline.docPr.set("descr", figure.alt)  # python-docx has no alt-text API
    document.add_paragraph(figure.caption, style="Caption")


def docx_table(document: DocumentObject, view: TableView) -> None:
    table = document.add_table(rows=1 + len(view.rows), cols=len(view.headers))
    table.style = "Table Grid"
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))  # repeats per page
    # Each cell's run gets a copy of one prepared run format (9 pt, bold in the header row):
    # the same XML as setting the size and weight on every run, in half the time.
    formats = []
    for bold in (True, False):
        sample = Run(OxmlElement("w:r"), None)
        sample.font.size = Pt(9)
        sample.bold = bold
        formats.append(sample._r.rPr)
    for index, (row, texts) in enumerate(zip(table.rows, (view.headers, *view.rows), strict=True)):
        for cell, text in zip(row.cells, texts, strict=True):
            run = cell.paragraphs[0].add_run()
            run._r.append(copy.deepcopy(formats[index > 0]))
            run.text = text
