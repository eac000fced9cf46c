"""The threshold document as data, its comparison between versions, and the one-page poster."""

from __future__ import annotations

import copy
import re

import pytest

from threshold.web.guidance.content import (
    EXAMPLE,
    MSG_NO_DOMAIN,
    ContentError,
    diff,
    indicators_text,
    parse_indicators,
)
from threshold.web.guidance.pathway import LABELS, Route
from threshold.web.guidance.poster import poster_pdf


def test_indicators_round_trip_and_errors() -> None:
    indicators = EXAMPLE["levels"][1]["indicators"]
    assert parse_indicators(indicators_text(indicators), where="Level 2") == indicators
    with pytest.raises(ContentError) as raised:
        parse_indicators("Development: fine\n\nno colon here", where="Level 2")
    assert str(raised.value) == MSG_NO_DOMAIN.format(where="Level 2", line=3)


def test_example_has_four_levels_and_every_route() -> None:
    assert [level["number"] for level in EXAMPLE["levels"]] == [1, 2, 3, 4]
    assert {Route(s["route"]) for s in EXAMPLE["services"]} == set(LABELS)


def test_diff_lists_removed_and_added_lines() -> None:
    changed = copy.deepcopy(EXAMPLE)
    changed["services"][2]["contact"] = "01632 960151"
    assert diff(EXAMPLE, changed) == [
        ("removed", "  How to reach: 01632 960150, weekdays 9am to 4pm"),
        ("added", "  How to reach: 01632 960151"),
    ]
    assert diff(EXAMPLE, EXAMPLE) == []


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b(?!s)", pdf))


def shown(text: str) -> bytes:
    """How a PDF string holds `text` (parentheses escaped)."""
    return ("(" + text.replace("(", r"\(").replace(")", r"\)") + ")").encode()


def test_poster_is_one_pdf_page_naming_every_service() -> None:
    pdf = poster_pdf(EXAMPLE, area="Northmoor", number=3, published="1 September 2026")
    assert pdf.startswith(b"%PDF-")
    assert pdf_pages(pdf) == 1
    for service in EXAMPLE["services"]:
        assert shown(service["name"]) in pdf
    assert b"Version 3, published 1 September 2026" in pdf


def test_a_long_document_still_fits_one_page() -> None:
    long = copy.deepcopy(EXAMPLE)
    for level in long["levels"]:
        level["summary"] = " ".join([level["summary"]] * 4)
    pdf = poster_pdf(long, area="Northmoor", number=1, published="today")
    assert pdf_pages(pdf) == 1
    assert shown("Family Information Service") in pdf
