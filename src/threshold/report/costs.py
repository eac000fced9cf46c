"""The cost section (tables of `threshold.costs` results) as Markdown, HTML and Word, and
costs.json."""

from __future__ import annotations

import html
import io
import json
from pathlib import Path

from docx import Document

from threshold.costs import CostSummary
from threshold.model import CostCategory, CostKind
from threshold.report.render import CSS, html_table, json_default, markdown_table
from threshold.report.tables import TableView, number
from threshold.report.word import docx_table

SECTION_TITLE = "Costs of delivery"
DOCUMENTS = ("costs.json", "costs.md", "costs.html", "costs.docx")


def gbp(value: float | None) -> str:
    """Pounds to the nearest pound; a dash for missing."""
    return "–" if value is None else f"£{value:,.0f}"


def cost_views(summary: CostSummary) -> list[TableView]:
    """The cost section's tables, shared by every format."""
    by_la = summary.by_la
    views = [
        TableView(
            "Delivery cost per school per year",
            ("Method", "Including central costs", "LA costs only"),
            (
                (
                    "Total spend ÷ schools assigned",
                    gbp(summary.per_school_pooled),
                    gbp(summary.la_only_pooled),
                ),
                (
                    "Simple mean of per-LA figures",
                    gbp(summary.per_school_mean_of_las),
                    gbp(summary.la_only_mean_of_las),
                ),
                (
                    "Range across LAs",
                    f"{gbp(by_la['cost_per_school_per_year'].min())} to "
                    f"{gbp(by_la['cost_per_school_per_year'].max())}",
                    f"{gbp(summary.la_only_min)} to {gbp(summary.la_only_max)}",
                ),
            ),
            note=(
                f"{summary.schools_assigned} schools assigned to treatment (not withdrawn) in "
                f"{len(by_la)} LAs; school years {', '.join(summary.school_years)}; total spend "
                f"{gbp(summary.total_spend)}, of which central {gbp(summary.central_spend)} "
                f"(shared by schools). {summary.methods_note} " + " ".join(summary.notes)
            ).strip(),
        ),
        TableView(
            "Start-up and recurring costs",
            ("Kind", "Total", "Per school"),
            (
                (
                    CostKind.START_UP.label,
                    gbp(summary.start_up),
                    f"{gbp(summary.start_up_per_school)} once",
                ),
                (
                    CostKind.RECURRING.label,
                    gbp(summary.recurring),
                    f"{gbp(summary.recurring_per_school_per_year)} a year",
                ),
            ),
            note="Start-up costs are shown once, not spread over years.",
        ),
        TableView(
            "Costs by LA",
            (
                "LA",
                "Schools assigned",
                "LA spend",
                "Start-up",
                "Recurring",
                "Central share",
                "Per school per year, LA only",
                "Per school per year",
            ),
            tuple(
                (
                    str(row.la_code),
                    str(row.schools_assigned),
                    gbp(row.la_spend),
                    gbp(row.start_up),
                    gbp(row.recurring),
                    gbp(row.central_share),
                    gbp(row.la_only_per_school_per_year),
                    gbp(row.cost_per_school_per_year),
                )
                for row in by_la.itertuples()
            ),
        ),
        TableView(
            "Costs by category",
            ("Category", "Kind", "Borne by", "Amount"),
            tuple(
                (
                    CostCategory(row.category).label,
                    CostKind(row.kind).label,
                    "central" if row.central else "LAs",
                    gbp(row.amount_gbp),
                )
                for row in summary.by_category.itertuples()
            ),
        ),
    ]
    views += _school_side_view(summary) + _contacts_view(summary)
    return views


def cost_markdown(summary: CostSummary) -> str:
    return f"# {SECTION_TITLE}\n\n" + "\n".join(markdown_table(v) for v in cost_views(summary))


def cost_html(summary: CostSummary) -> str:
    body = f"<h1>{html.escape(SECTION_TITLE)}</h1>" + "".join(
        html_table(view) for view in cost_views(summary)
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(SECTION_TITLE)}</title><style>{CSS}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def cost_docx(summary: CostSummary) -> bytes:
    document = Document()
    document.core_properties.title = SECTION_TITLE
    document.add_heading(SECTION_TITLE, level=1)
    for view in cost_views(summary):
        document.add_heading(view.title, level=2)
        docx_table(document, view)
        if view.note:
            document.add_paragraph(view.note)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def write_cost_report(summary: CostSummary, directory: Path) -> list[Path]:
    """Write costs.json, costs.md, costs.html and costs.docx into `directory`; return paths."""
    directory.mkdir(parents=True, exist_ok=True)
    contents = (
        json.dumps(summary.to_dict(), indent=2, default=json_default).encode() + b"\n",
        cost_markdown(summary).encode(),
        cost_html(summary).encode(),
        cost_docx(summary),
    )
    for name, content in zip(DOCUMENTS, contents, strict=True):
        (directory / name).write_bytes(content)
    return [directory / name for name in DOCUMENTS]


def _school_side_view(summary: CostSummary) -> list[TableView]:
    side = summary.school_side
    rows: list[tuple[str, str]] = []
    if summary.sessions_held is not None:
        rows.append(("Sessions held", str(summary.sessions_held)))
        rows.append(("Delivery cost per session held", gbp(summary.cost_per_session_held)))
    if side is not None:
        rows += [
            ("Cover reported by schools (costs.csv)", gbp(side.reported)),
            ("Staff hours in held sessions", number(side.attendee_hours, 6)),
            ("Cover rate per hour", "–" if side.cover_rate is None else f"£{side.cover_rate:,.2f}"),
            ("Cover for staff time in sessions", gbp(side.cover)),
            ("School-side cost per school per year", gbp(side.per_school_per_year)),
        ]
    if side is None:  # no sessions and no cover lines
        return []
    note = (
        f"{side.imputed_sessions} held session(s) without a duration counted at the planned "
        "length. School-side costs are not part of the delivery cost per school."
    )
    return [TableView("Dosage and school-side costs", ("Measure", "Value"), tuple(rows), note)]


def _contacts_view(summary: CostSummary) -> list[TableView]:
    result = summary.per_contact_avoided
    if result is None:
        return []
    effect = result.effect
    value = (
        f"{gbp(result.value)} ({gbp(result.ci_low)} to {gbp(result.ci_high)})"
        if result.defined
        else result.reason
    )
    rows = (
        (
            "Effect on contacts per school per year (95% CI)",
            f"{number(effect.estimate)} ({number(effect.ci_low)} to {number(effect.ci_high)})",
        ),
        ("Cost per contact avoided (CI)", value),
    )
    note = (
        "Cost per school per year (total ÷ schools) divided by contacts avoided per school; "
        "the interval carries the effect's CI and treats the cost as known."
        + (f" Effect from {effect.source}." if effect.source else "")
    )
    return [TableView("Cost per contact avoided", ("Measure", "Value"), rows, note)]
