"""Results -> Markdown, HTML, Word and JSON, with figures. The report renders results; it never
refits a model."""

from threshold.report.costs import cost_views, write_cost_report
from threshold.report.data import DATA_HEADERS, DATA_TITLE, data_view
from threshold.report.figures import FigureView, render_figures
from threshold.report.qed import write_qed_report
from threshold.report.render import to_html, to_markdown, write_report
from threshold.report.tables import TableView, headline
from threshold.report.word import to_docx

__all__ = [
    "DATA_HEADERS",
    "DATA_TITLE",
    "FigureView",
    "TableView",
    "cost_views",
    "data_view",
    "headline",
    "render_figures",
    "to_docx",
    "to_html",
    "to_markdown",
    "write_cost_report",
    "write_qed_report",
    "write_report",
]
