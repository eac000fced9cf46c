"""Render a quasi-experimental comparison (`threshold.qed`) as Markdown, HTML and Word, with
results.json: rates and rate ratios, balance before and after weighting, savings, the caveat."""

from __future__ import annotations

import html
import io
from pathlib import Path

from docx import Document

from threshold.qed import QEDResults, RateRatio
from threshold.report.figures import WIDTH, FigureView, render_png
from threshold.report.render import (
    CSS,
    html_figure,
    html_table,
    markdown_figure,
    markdown_table,
    write_documents,
)
from threshold.report.tables import TableView, interval, number
from threshold.report.word import docx_figure, docx_table

QED_TITLE = "Trained and comparison groups: a quasi-experimental comparison"
CAVEAT_HEADING = "This is not a randomised comparison"


def qed_headline(results: QEDResults) -> str:
    """One sentence: the % reduction with its CI, and savings where estimated."""
    rr = results.rate_ratio
    low, high = rr.reduction_ci
    text = (
        f"{results.unit_label}s in the trained group made {rr.reduction:.0%} fewer contacts per "
        f"{results.unit_label}-year than the comparison group (95% CI {low:.0%} to {high:.0%})."
    )
    s = results.savings
    if s is not None:
        text += f" At full roll-out ({s.rollout:,.0f}) that is {s.calls_avoided:,.0f} fewer a year"
        text += f" (£{s.saving:,.0f} a year)." if s.saving is not None else "."
    return text


def qed_views(results: QEDResults) -> list[TableView]:
    """The tables: rates by group, estimates, balance (when weighted) and savings (when asked)."""
    unit = results.unit_label
    views = [
        TableView(
            "Contacts by group",
            (
                "Group",
                f"{unit}s",
                f"{unit}-years",
                "Contacts",
                f"Rate per {unit}-year",
                "With any contact",
            ),
            tuple(
                (
                    g.group,
                    str(g.units),
                    number(g.exposure),
                    number(g.contacts),
                    number(g.rate),
                    f"{g.any_contact} ({g.share_any:.1%})",
                )
                for g in results.groups
            ),
        ),
        TableView(
            "Rate ratio",
            ("Estimate", "Rate ratio (95% CI)", "Reduction (95% CI)", "p", "Specification"),
            tuple(_rr_row(rr) for rr in (results.rate_ratio, results.did) if rr is not None),
        ),
    ]
    a = results.any_contact
    views.append(
        TableView(
            "Share with any contact",
            ("Trained", "Comparison", "Difference (95% CI)", "Interval"),
            (
                (
                    f"{a.treated:.1%}",
                    f"{a.comparison:.1%}",
                    f"{a.difference:+.1%} ({a.ci_low:+.1%} to {a.ci_high:+.1%})",
                    a.method,
                ),
            ),
        )
    )
    if results.balance is not None:
        b = results.balance
        views.append(
            TableView(
                f"Covariate balance before and after {b.method} weighting",
                (
                    "Covariate",
                    "Trained mean",
                    "Comparison mean",
                    "Weighted comparison mean",
                    "SMD before",
                    "SMD after",
                ),
                tuple(
                    (
                        r.covariate,
                        number(r.mean_treated),
                        number(r.mean_comparison),
                        number(r.mean_comparison_weighted),
                        _smd(r.smd_before),
                        _smd(r.smd_after),
                    )
                    for r in b.table.itertuples()
                ),
                f"Effective sample size of the comparison group: {b.ess_before:.0f} before, "
                f"{b.ess_after:.1f} after weighting.",
            )
        )
    if results.savings is not None:
        views.append(_savings_view(results))
    return views


def qed_figure(results: QEDResults) -> FigureView:
    """Rate ratios with their CIs on a log axis."""
    estimates = [rr for rr in (results.rate_ratio, results.did) if rr is not None]

    def draw(ax) -> None:
        for i, rr in enumerate(estimates):
            ax.plot([rr.ci_low, rr.ci_high], [i, i], color="#1d70b8")
            ax.plot([rr.estimate], [i], "o", color="#1d70b8")
        ax.axvline(1.0, color="#505a5f", linewidth=0.8)
        ax.set_xscale("log")
        ax.set_yticks(range(len(estimates)), [rr.label for rr in estimates])
        ax.set_ylim(len(estimates) - 0.5, -0.5)
        ax.set_xlabel("Rate ratio, trained / comparison (95% CI, log scale)")

    alt = "; ".join(
        f"{rr.label}: {number(rr.estimate, 3)} ({interval(rr.ci_low, rr.ci_high)})"
        for rr in estimates
    )
    return FigureView(
        "qed_rate_ratio",
        "Rate ratios",
        f"Rate ratios with 95% confidence intervals. {alt}",
        "A ratio below 1 means fewer contacts in the trained group.",
        render_png((WIDTH, 0.8 + 0.5 * len(estimates)), draw, layout="constrained"),
    )


def qed_markdown(results: QEDResults, figure: FigureView) -> str:
    """The section in Markdown; the figure is FIGURES_DIR/NAME.png."""
    parts = [f"# {QED_TITLE}\n", qed_headline(results) + "\n"]
    parts += [markdown_table(view) for view in qed_views(results)]
    parts.append(markdown_figure(figure))
    parts.append(f"## {CAVEAT_HEADING}\n\n{results.caveat}\n")
    if results.notes:
        parts.append("\n".join(f"- {note}" for note in results.notes) + "\n")
    return "\n".join(parts)


def qed_html(results: QEDResults, figure: FigureView) -> str:
    """The section as one self-contained HTML page."""
    body = [f"<h1>{html.escape(QED_TITLE)}</h1>"]
    body.append(f"<p class='headline'>{html.escape(qed_headline(results))}</p>")
    body.extend(html_table(view) for view in qed_views(results))
    body.append(html_figure(figure))
    body.append(f"<h2>{CAVEAT_HEADING}</h2><p>{html.escape(results.caveat)}</p>")
    body.extend(f"<p class='note'>{html.escape(note)}</p>" for note in results.notes)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(QED_TITLE)}</title><style>{CSS}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )


def qed_docx(results: QEDResults, figure: FigureView) -> bytes:
    """The section as .docx bytes."""
    document = Document()
    document.core_properties.title = QED_TITLE
    document.add_heading(QED_TITLE, level=1)
    document.add_paragraph(qed_headline(results))
    for view in qed_views(results):
        document.add_heading(view.title, level=2)
        docx_table(document, view)
        if view.note:
            document.add_paragraph(view.note)
    docx_figure(document, figure)
    document.add_heading(CAVEAT_HEADING, level=2)
    document.add_paragraph(results.caveat)
    for note in results.notes:
        document.add_paragraph(note, style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def write_qed_report(results: QEDResults, directory: Path) -> list[Path]:
    """Write results.json, report.md (figure in FIGURES_DIR), report.html and report.docx."""
    figure = qed_figure(results)
    return write_documents(
        directory,
        [figure],
        results.to_dict(),
        qed_markdown(results, figure),
        qed_html(results, figure),
        qed_docx(results, figure),
    )


def _smd(value: float) -> str:
    return f"{round(value, 3) + 0.0:.3f}"  # + 0.0 turns -0.0 into 0.0


def _rr_row(rr: RateRatio) -> tuple[str, ...]:
    low, high = rr.reduction_ci
    return (
        rr.label,
        f"{number(rr.estimate, 3)} ({interval(rr.ci_low, rr.ci_high)})",
        f"{rr.reduction:.1%} ({low:.1%} to {high:.1%})",
        number(rr.p_value, 2),
        rr.specification.description,
    )


def _savings_view(results: QEDResults) -> TableView:
    s = results.savings
    assert s is not None
    rows = [
        (f"{results.unit_label}s at full roll-out", f"{s.rollout:,.0f}", ""),
        (f"Comparison rate per {results.unit_label}-year", number(s.baseline_rate), ""),
        (
            "Contacts avoided a year",
            f"{s.calls_avoided:,.0f}",
            f"{s.calls_ci[0]:,.0f} to {s.calls_ci[1]:,.0f} (rate-ratio CI); "
            f"{s.calls_simulated_ci[0]:,.0f} to {s.calls_simulated_ci[1]:,.0f} "
            f"(simulation, {s.draws:,} draws, seed {s.seed})",
        ),
    ]
    if s.saving is not None and s.saving_ci is not None and s.baseline_cost is not None:
        rows += [
            ("Cost per contact", f"£{s.cost_per_call:,.2f}", ""),
            ("Cost a year at the comparison rate", f"£{s.baseline_cost:,.0f}", ""),
            (
                "Saving a year",
                f"£{s.saving:,.0f}",
                f"£{s.saving_ci[0]:,.0f} to £{s.saving_ci[1]:,.0f}",
            ),
        ]
    return TableView(
        "Savings at full roll-out",
        ("Quantity", "Estimate", "95% interval"),
        tuple(rows),
        "Contacts avoided = roll-out × comparison rate × (1 − rate ratio). The first interval "
        "transforms the rate ratio's CI with the comparison rate fixed; the simulated one also "
        "varies the comparison rate.",
    )
