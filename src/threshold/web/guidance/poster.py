"""The one-page poster (PDF, A4) from a published threshold document: the routes with how to
reach them and when to use them, emergency first, then the levels of need in brief. Text
shrinks (down to 6 pt) until everything fits on one page; past that, lines that do not fit
are left off rather than starting a second page."""

from __future__ import annotations

import io
from collections.abc import Mapping

from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from threshold.web.guidance.content import service_for
from threshold.web.guidance.pathway import Route

MARGIN = 36.0
LARGEST, SMALLEST = 11.0, 6.0
REGULAR, BOLD = "Helvetica", "Helvetica-Bold"
ORDER = (Route.POLICE, Route.FRONT_DOOR, Route.CONSULTATION, Route.EARLY_HELP, Route.FIS)
TITLE = "Where should this go? {area}"
SUBTITLE = "Most worries are resolved fastest by the right service: help received, case resolved."
EMERGENCY = "Is a child in immediate danger? Call 999 first, then the front door."
ROUTES_HEADING = "Who to contact"
LEVELS_HEADING = "Levels of need"
FOOTER = "Version {number}, published {published}. Use the pathway in Threshold to check."

Line = tuple[str, float, str]
"""(font, size, text) of one printed line."""


def _lines(content: Mapping[str, list[dict[str, object]]], size: float, width: float) -> list[Line]:
    def wrap(text: str, font: str, at: float) -> list[Line]:
        return [(font, at, line) for line in simpleSplit(text, font, at, width)]

    lines = [*wrap(EMERGENCY, BOLD, size * 1.2), (REGULAR, size, "")]
    lines += wrap(ROUTES_HEADING, BOLD, size * 1.3)
    for route in ORDER:
        service = service_for(content, route)
        lines += wrap(str(service["name"]), BOLD, size)
        lines += wrap(f"How to reach: {service['contact']}", REGULAR, size)
        lines += wrap(f"When: {service['when']}", REGULAR, size)
    lines += [(REGULAR, size, ""), *wrap(LEVELS_HEADING, BOLD, size * 1.3)]
    for level in content.get("levels", []):
        lines += wrap(str(level["name"]), BOLD, size)
        lines += wrap(str(level["summary"]), REGULAR, size)
    return lines


def poster_pdf(
    content: Mapping[str, list[dict[str, object]]], *, area: str, number: int, published: str
) -> bytes:
    """The poster as PDF bytes (uncompressed page streams, so its text can be checked)."""
    width, height = A4
    usable = width - 2 * MARGIN
    size = LARGEST
    lines = _lines(content, size, usable)
    while size > SMALLEST and sum(s * 1.3 for _, s, _ in lines) > height - 5 * MARGIN:
        size -= 0.5
        lines = _lines(content, size, usable)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=0, invariant=1)
    canvas.setTitle(TITLE.format(area=area))
    y = height - MARGIN - 20
    canvas.setFont(BOLD, 20)
    canvas.drawString(MARGIN, y, TITLE.format(area=area))
    y -= 18
    canvas.setFont(REGULAR, 10)
    canvas.drawString(MARGIN, y, SUBTITLE)
    y -= 24
    for font, at, text in lines:
        if y < MARGIN * 1.5:
            break
        canvas.setFont(font, at)
        canvas.drawString(MARGIN, y, text)
        y -= at * 1.3
    canvas.setFont(REGULAR, 8)
    canvas.drawString(MARGIN, MARGIN / 2, FOOTER.format(number=number, published=published))
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
