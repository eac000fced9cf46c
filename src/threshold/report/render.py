"""Render analysis results as Markdown, as a self-contained HTML page and as Word, and write them
with results.json."""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Sequence
from pathlib import Path

from threshold.analysis import Results
from threshold.report.content import FIGURES_DIR, footer, methods, status, title, views
from threshold.report.figures import FigureView, render_figures
from threshold.report.tables import TableView, headline
from threshold.report.word import to_docx


def to_markdown(
    results: Results,
    figures: Sequence[FigureView] | None = None,
    extra_tables: Sequence[TableView] = (),
) -> str:
    """The report in Markdown; its images are FIGURES_DIR/NAME.png, where write_report puts them.
    `figures` are rendered here when not given; `extra_tables` (such as the costs) follow the
    estimates."""
    figures = render_figures(results) if figures is None else figures
    parts = [f"# {title(results)}\n", status(results) + "\n", f"{headline(results)}\n"]
    parts += [markdown_table(view) for view in (*views(results), *extra_tables)]
    parts.append("## Figures\n")
    parts += [markdown_figure(figure) for figure in figures]
    parts.append("## Methods\n\n" + "\n\n".join(methods(results)) + "\n")
    if results.all_notes:
        parts.append("## Notes\n\n" + "\n".join(f"- {note}" for note in results.all_notes) + "\n")
    parts.append(f"\n_{footer(results)}_\n")
    return "\n".join(parts)


def to_html(
    results: Results,
    figures: Sequence[FigureView] | None = None,
    extra_tables: Sequence[TableView] = (),
) -> str:
    """The report as one self-contained page: figures are embedded as data URIs. `figures` are
    rendered here when not given; `extra_tables` follow the estimates."""
    figures = render_figures(results) if figures is None else figures
    body = [f"<h1>{html.escape(title(results))}</h1>"]
    body.append(f"<p class='status'>{html.escape(status(results))}</p>")
    body.append(f"<p class='headline'>{html.escape(headline(results))}</p>")
    body.extend(html_table(view) for view in (*views(results), *extra_tables))
    body.append("<h2>Figures</h2>")
    body.extend(html_figure(figure) for figure in figures)
    body.append("<h2>Methods</h2>" + "".join(f"<p>{html.escape(p)}</p>" for p in methods(results)))
    if results.all_notes:
        body.append(
            "<h2>Notes</h2><ul>"
            + "".join(f"<li>{html.escape(n)}</li>" for n in results.all_notes)
            + "</ul>"
        )
    body.append(f"<p class='footer'>{html.escape(footer(results))}</p>")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(results.trial)}</title><style>{CSS}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )


def write_report(
    results: Results, directory: Path, extra_tables: Sequence[TableView] = ()
) -> list[Path]:
    """Write results.json, report.md (with its PNGs in FIGURES_DIR), report.html and report.docx
    into `directory`, with `extra_tables` after the estimates; return the four documents'
    paths."""
    figures = render_figures(results)
    return write_documents(
        directory,
        figures,
        results.to_dict(),
        to_markdown(results, figures, extra_tables),
        to_html(results, figures, extra_tables),
        to_docx(results, figures, extra_tables),
    )


def write_documents(
    directory: Path,
    figures: Sequence[FigureView],
    results: dict[str, object],
    markdown: str,
    page: str,
    word: bytes,
) -> list[Path]:
    """Write the figures' PNGs into FIGURES_DIR, then results.json, report.md, report.html and
    report.docx; return the four documents' paths."""
    (directory / FIGURES_DIR).mkdir(parents=True, exist_ok=True)
    for figure in figures:
        (directory / FIGURES_DIR / f"{figure.name}.png").write_bytes(figure.png)
    documents = {
        "results.json": (json.dumps(results, indent=2, default=json_default) + "\n").encode(),
        "report.md": markdown.encode(),
        "report.html": page.encode(),
        "report.docx": word,
    }
    for name, content in documents.items():
        (directory / name).write_bytes(content)
    return [directory / name for name in documents]


def markdown_table(view: TableView) -> str:
    lines = [
        f"## {view.title}\n",
        "| " + " | ".join(view.headers) + " |",
        "|" + "---|" * len(view.headers),
    ]
    lines += [
        "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in view.rows
    ]
    if view.note:
        lines.append(f"\n{view.note}")
    return "\n".join(lines) + "\n"


def markdown_figure(figure: FigureView) -> str:
    alt = re.sub(r"([][\\])", r"\\\1", figure.alt)
    return (
        f"### {figure.title}\n\n![{alt}]({FIGURES_DIR}/{figure.name}.png)\n\n_{figure.caption}_\n"
    )


def html_table(view: TableView) -> str:
    head = "".join(f"<th scope='col'>{html.escape(h)}</th>" for h in view.headers)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in view.rows
    )
    note = f"<p class='note'>{html.escape(view.note)}</p>" if view.note else ""
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    return f"<h2>{html.escape(view.title)}</h2>{table}{note}"


def html_figure(figure: FigureView) -> str:
    src = "data:image/png;base64," + base64.b64encode(figure.png).decode("ascii")
    return (
        f"<h3>{html.escape(figure.title)}</h3><figure>"
        f"<img src='{src}' alt='{html.escape(figure.alt)}'>"
        f"<figcaption>{html.escape(figure.caption)}</figcaption></figure>"
    )


def json_default(value: object) -> object:
    if hasattr(value, "item"):
        return value.item()  # numpy scalars
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


CSS = (
    "body{font-family:Arial,Helvetica,sans-serif;color:#0b0c0c;margin:0;background:#fff}"
    "main{max-width:1100px;margin:0 auto;padding:24px}h1{font-size:2rem}h2{margin-top:2rem}"
    "table{border-collapse:collapse;width:100%;font-size:.9rem}"
    "th,td{border-bottom:1px solid #b1b4b6;padding:6px 8px;text-align:left;vertical-align:top}"
    "th{background:#f3f2f1}figure{margin:0 0 1.5rem}img{max-width:100%;height:auto}"
    "figcaption,.note,.footer{color:#505a5f}"
    ".status{font-weight:bold}.headline{font-size:1.15rem}"
)
