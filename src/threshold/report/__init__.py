"""Results -> Markdown, HTML and JSON. The report renders results; it never refits a model."""

from threshold.report.render import to_html, to_markdown, write_report
from threshold.report.tables import headline

__all__ = ["headline", "to_html", "to_markdown", "write_report"]
