"""HTML and Markdown carry the figures: embedded in the page, written beside the Markdown."""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from threshold.analysis.api import ledger_record
from threshold.report import to_html, to_markdown, write_report
from threshold.trial import lock_protocol, protocol_status, randomise_committed, template

UNBOUND_SENTENCE = "records no randomisation under a locked protocol's commitment"


class Images(HTMLParser):
    """Every <img>'s attributes and every attribute that could load something."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []
        self.references: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs))
        self.references += [v for k, v in attrs if k in ("src", "href", "srcset", "data")]


@pytest.fixture(scope="module")
def written(results, tmp_path_factory):
    directory = tmp_path_factory.mktemp("report")
    return directory, write_report(results, directory)


def test_write_report_writes_and_returns_the_four_documents(written):
    directory, paths = written
    assert [p.name for p in paths] == ["results.json", "report.md", "report.html", "report.docx"]
    assert all(p.parent == directory and p.stat().st_size > 1000 for p in paths)


def test_html_embeds_one_data_uri_image_per_figure_with_its_alt_text(results, figures):
    page = to_html(results, figures)
    parser = Images()
    parser.feed(page)
    assert len(parser.images) == len(figures)
    for image, figure in zip(parser.images, figures, strict=True):
        prefix, _, data = str(image["src"]).partition(",")
        assert prefix == "data:image/png;base64"
        assert base64.b64decode(data) == figure.png
        assert image["alt"] == figure.alt
    assert page.count("<figcaption>") == len(figures)
    assert "<h2>Figures</h2>" in page


def test_html_is_self_contained(written):
    directory, _ = written
    page = (directory / "report.html").read_text(encoding="utf-8")
    parser = Images()
    parser.feed(page)
    assert parser.references
    assert all(str(r).startswith("data:image/png;base64,") for r in parser.references)
    assert not re.search(r"url\(|@import|https?:|<script|<link", page)


def test_html_renders_the_figures_itself_when_not_given_them(results, figures):
    assert to_html(results) == to_html(results, figures)


def test_markdown_refers_to_each_figure_written_beside_it(written, figures):
    directory, _ = written
    markdown = (directory / "report.md").read_text(encoding="utf-8")
    references = re.findall(r"!\[(.+?)\]\((.+?)\)", markdown)
    assert [path for _, path in references] == [f"figures/{f.name}.png" for f in figures]
    for (alt, path), figure in zip(references, figures, strict=True):
        assert alt == figure.alt
        assert (directory / path).read_bytes() == figure.png


def test_the_methods_say_how_the_allocation_was_bound_and_print_the_ledger_head(
    results, figures, tmp_path
):
    """The report prints the trial ledger's head, and whether the allocation was randomised
    under a locked protocol's commitment (its public draw), from the ledger itself."""
    units = tmp_path / "schools.csv"
    units.write_text("urn,la_code,pct_fsm\n" + "".join(f"{i},981,{i}\n" for i in range(1, 9)))
    protocol = tmp_path / "protocol.toml"
    protocol.write_text(template(), encoding="utf-8")
    lock_protocol(protocol, software="test", units=units)
    unbound = to_markdown(
        replace(results, randomisation=ledger_record(protocol_status(protocol))), figures
    )
    assert UNBOUND_SENTENCE in unbound
    randomise_committed(
        units, protocol, draw="1 2 3 4 5 6 7", out=tmp_path / "a.csv", software="test"
    )
    status = protocol_status(protocol)
    bound = to_markdown(replace(results, randomisation=ledger_record(status)), figures)
    assert UNBOUND_SENTENCE not in bound
    assert "the public draw 1 2 3 4 5 6 7" in bound
    assert f"Trial ledger head: {status.ledger_head}." in bound
    assert status.ledger_head is not None
    assert status.ledger_head.entries == 2
