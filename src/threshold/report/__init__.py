"""Results -> Markdown, HTML and JSON. The report renders results; it never refits a model."""

from threshold.report.render import to_html, to_markdown, write_report

__all__ = ["to_html", "to_markdown", "write_report"]
