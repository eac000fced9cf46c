"""Render analysis results as Markdown and as a self-contained HTML page, and write results.json."""

from __future__ import annotations

import html
import json
from pathlib import Path

from threshold.analysis import Results
from threshold.report.tables import TableView, attrition_table, balance_view, headline, impact_table

SE_WORDS = {
    "hc1": "heteroskedasticity-robust (HC1, as Stata's `robust`)",
    "hc2": "heteroskedasticity-robust (HC2)",
    "hc3": "heteroskedasticity-robust (HC3)",
    "classical": "classical (homoskedastic)",
    "cluster": "clustered by randomisation block",
}


def methods(results: Results) -> list[str]:
    """The methods, in words."""
    se = SE_WORDS.get(results.standard_errors, results.standard_errors)
    if results.multiplicity == "none":
        multiplicity = "No adjustment was made for multiple secondary outcomes."
    else:
        multiplicity = (
            "Secondary outcomes' p-values are also shown adjusted by the "
            f"{results.multiplicity.capitalize()} method."
        )
    return [
        "Schools were randomised within blocks; the analysis is by intention to treat: every "
        "school is analysed in the arm it was allocated to, whatever it received.",
        "Each outcome was regressed by ordinary least squares on the allocation, the same outcome "
        "in the baseline year and the randomisation blocks. Where a school's local authority could "
        "not provide baseline data, the baseline was set to zero and a missing-baseline indicator "
        f"added. Standard errors are {se}.",
        "Effect sizes are Glass's Δ: the coefficient divided by the standard deviation of the "
        "outcome among control schools; its confidence interval is the coefficient's interval "
        "divided by the same standard deviation. The % point change is the coefficient × 100.",
        f"Tests are two-sided at the {results.alpha:.0%} level. {multiplicity}",
        "Outcomes an LA could not provide are missing for its schools, never counted as zero.",
    ]


def to_markdown(results: Results) -> str:
    parts = [f"# {results.trial}: impact evaluation\n"]
    parts.append(_status(results) + "\n")
    parts.append(f"{headline(results)}\n")
    for view in _views(results):
        parts.append(_markdown_table(view))
    parts.append("## Methods\n\n" + "\n\n".join(methods(results)) + "\n")
    if results.notes:
        parts.append("## Notes\n\n" + "\n".join(f"- {note}" for note in results.notes) + "\n")
    parts.append(f"\n_Produced by {results.software}._\n")
    return "\n".join(parts)


def to_html(results: Results) -> str:
    body = [f"<h1>{html.escape(results.trial)}: impact evaluation</h1>"]
    body.append(f"<p class='status'>{html.escape(_status(results))}</p>")
    body.append(f"<p class='headline'>{html.escape(headline(results))}</p>")
    body.extend(_html_table(view) for view in _views(results))
    body.append("<h2>Methods</h2>" + "".join(f"<p>{html.escape(p)}</p>" for p in methods(results)))
    if results.notes:
        body.append(
            "<h2>Notes</h2><ul>"
            + "".join(f"<li>{html.escape(n)}</li>" for n in results.notes)
            + "</ul>"
        )
    body.append(f"<p class='footer'>Produced by {html.escape(results.software)}.</p>")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(results.trial)}</title><style>{_CSS}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )


def write_report(results: Results, directory: Path) -> list[Path]:
    """Write results.json, report.md and report.html into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "results.json": json.dumps(results.to_dict(), indent=2, default=_json_default) + "\n",
        "report.md": to_markdown(results),
        "report.html": to_html(results),
    }
    for name, text in paths.items():
        (directory / name).write_text(text, encoding="utf-8")
    return [directory / name for name in paths]


def _status(results: Results) -> str:
    if results.confirmatory:
        digest = str(results.protocol_sha256)[:12]
        return f"Confirmatory analysis of the locked protocol (SHA-256 {digest})."
    return (
        "EXPLORATORY ANALYSIS: the protocol was "
        + ("changed after it was locked" if results.protocol_state == "altered" else "not locked")
        + "; these are not the pre-registered results."
    )


def _views(results: Results) -> list[TableView]:
    return [
        impact_table(results, "primary"),
        impact_table(results, "secondary"),
        attrition_table(results),
        balance_view(results),
    ]


def _markdown_table(view: TableView) -> str:
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


def _html_table(view: TableView) -> str:
    head = "".join(f"<th scope='col'>{html.escape(h)}</th>" for h in view.headers)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in view.rows
    )
    note = f"<p class='note'>{html.escape(view.note)}</p>" if view.note else ""
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    return f"<h2>{html.escape(view.title)}</h2>{table}{note}"


def _json_default(value: object) -> object:
    if hasattr(value, "item"):
        return value.item()  # numpy scalars
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


_CSS = (
    "body{font-family:Arial,Helvetica,sans-serif;color:#0b0c0c;margin:0;background:#fff}"
    "main{max-width:1100px;margin:0 auto;padding:24px}h1{font-size:2rem}h2{margin-top:2rem}"
    "table{border-collapse:collapse;width:100%;font-size:.9rem}"
    "th,td{border-bottom:1px solid #b1b4b6;padding:6px 8px;text-align:left;vertical-align:top}"
    "th{background:#f3f2f1}"
    ".status{font-weight:bold}.headline{font-size:1.15rem}.note,.footer{color:#505a5f}"
)
