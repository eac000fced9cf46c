"""Render a meta-analysis of several trials (`threshold.analysis.meta`) as Markdown, HTML and
Word, with results.json: each trial's estimate and weight, the pooled estimates, heterogeneity
and a forest plot."""

from __future__ import annotations

import html
import io
from pathlib import Path

from docx import Document
from scipy import stats

from threshold.analysis.meta import MetaResults, Pooled
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

MEASURE_LABEL = {"glass_delta": "Glass's Δ", "coef": "Coefficient"}
METHOD_LABEL = {"reml": "REML", "dl": "DerSimonian–Laird"}


def meta_title(results: MetaResults) -> str:
    return f"{len(results.studies)} trials together: {results.outcome}"


def meta_headline(results: MetaResults) -> str:
    """One sentence: the random-effects estimate with its CI, and how much the trials differ."""
    r, measure = results.random, MEASURE_LABEL[results.measure]
    return (
        f"Pooled over {len(results.studies)} trials, the {measure} for {results.outcome} is "
        f"{number(r.estimate, 3)} (95% CI {interval(r.ci_low, r.ci_high)}, p = "
        f"{number(r.p_value, 2)}; random effects, τ² by {METHOD_LABEL[results.method]}). "
        f"I² = {results.i2:.0%} of the variation between trials is beyond chance; a new trial's "
        f"true effect would lie between {number(results.prediction_low, 3)} and "
        f"{number(results.prediction_high, 3)} (95% prediction interval)."
    )


def meta_views(results: MetaResults) -> list[TableView]:
    """The trials with their weights, the pooled estimates, and the heterogeneity."""
    measure, z = MEASURE_LABEL[results.measure], _z(results)
    trials = TableView(
        "Trials",
        ("Trial", "Schools", f"{measure} (95% CI)", "SE", "Weight, fixed", "Weight, random"),
        tuple(
            (
                s.label,
                "" if s.n is None else f"{s.n:,}",
                _with_ci(s.estimate, s.estimate - z * s.se, s.estimate + z * s.se),
                number(s.se, 3),
                f"{wf:.1%}",
                f"{wr:.1%}",
            )
            for s, wf, wr in zip(
                results.studies, results.weights_fixed, results.weights_random, strict=True
            )
        ),
        "Weights are each trial's share of the inverse-variance weight.",
    )
    pooled = TableView(
        "Pooled estimates",
        ("Model", f"{measure} (95% CI)", "SE", "p"),
        tuple(_pooled_row(p) for p in (results.fixed, results.random)),
        f"Random effects: τ² = {number(results.tau2, 4)} by {METHOD_LABEL[results.method]}. "
        f"95% prediction interval for a new trial: "
        f"{interval(results.prediction_low, results.prediction_high)}.",
    )
    heterogeneity = TableView(
        "Heterogeneity",
        ("Measure", "Value"),
        (
            (
                "Cochran's Q",
                f"{results.q:.3f} on {results.q_df} df (p = {number(results.q_p_value, 2)})",
            ),
            ("τ² (variance of the true effects)", number(results.tau2, 4)),
            ("I²", f"{results.i2:.1%}"),
            ("H²", f"{results.h2:.3f}"),
        ),
        "",
    )
    return [trials, pooled, heterogeneity]


def meta_methods(results: MetaResults) -> str:
    return (
        "Each trial's estimate is weighted by the inverse of its variance (fixed effect), or of "
        "its variance plus τ², the variance of the trials' true effects (random effects; τ² by "
        f"{METHOD_LABEL[results.method]}). I² = τ²/(τ² + s²), with s² the typical within-trial "
        "variance; intervals use the normal distribution."
    )


def meta_figure(results: MetaResults) -> FigureView:
    """Each trial's estimate and CI, then the fixed and random pooled estimates."""
    z = _z(results)
    rows = [
        (s.label, s.estimate, s.estimate - z * s.se, s.estimate + z * s.se) for s in results.studies
    ] + [
        (f"Pooled, {p.model} effect", p.estimate, p.ci_low, p.ci_high)
        for p in (results.fixed, results.random)
    ]
    trials = len(results.studies)

    def draw(ax) -> None:
        ax.axvline(0, color="#505a5f", linewidth=0.8)
        for i, (_, estimate, low, high) in enumerate(rows):
            pooled = i >= trials
            colour = "#0b0c0c" if pooled else "#1d70b8"
            ax.plot([low, high], [i, i], color=colour)
            ax.plot([estimate], [i], "D" if pooled else "s", color=colour)
        ax.set_yticks(range(len(rows)), [label for label, *_ in rows])
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_xlabel(f"{MEASURE_LABEL[results.measure]} (95% CI)")

    alt = "; ".join(f"{label}: {number(e, 3)} ({interval(lo, hi)})" for label, e, lo, hi in rows)
    return FigureView(
        "meta_forest",
        "Forest plot",
        f"Each trial's estimate and the pooled estimates with 95% confidence intervals. {alt}",
        "Squares: trials; diamonds: pooled estimates. Left of the line: fewer than in control.",
        render_png((WIDTH, 1.0 + 0.35 * len(rows)), draw, layout="constrained"),
    )


def meta_markdown(results: MetaResults, figure: FigureView) -> str:
    parts = [f"# {meta_title(results)}\n", meta_headline(results) + "\n"]
    parts += [markdown_table(view) for view in meta_views(results)]
    parts.append(markdown_figure(figure))
    parts.append("## Methods\n\n" + meta_methods(results) + "\n")
    if results.notes:
        parts.append("## Notes\n\n" + "\n".join(f"- {n}" for n in results.notes) + "\n")
    return "\n".join(parts)


def meta_html(results: MetaResults, figure: FigureView) -> str:
    body = [f"<h1>{html.escape(meta_title(results))}</h1>"]
    body.append(f"<p class='headline'>{html.escape(meta_headline(results))}</p>")
    body.extend(html_table(view) for view in meta_views(results))
    body.append(html_figure(figure))
    body.append(f"<h2>Methods</h2><p>{html.escape(meta_methods(results))}</p>")
    if results.notes:
        items = "".join(f"<li>{html.escape(n)}</li>" for n in results.notes)
        body.append(f"<h2>Notes</h2><ul>{items}</ul>")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(meta_title(results))}</title><style>{CSS}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )


def meta_docx(results: MetaResults, figure: FigureView) -> bytes:
    document = Document()
    document.core_properties.title = meta_title(results)
    document.add_heading(meta_title(results), level=1)
    document.add_paragraph(meta_headline(results))
    for view in meta_views(results):
        document.add_heading(view.title, level=2)
        docx_table(document, view)
        if view.note:
            document.add_paragraph(view.note)
    docx_figure(document, figure)
    document.add_heading("Methods", level=2)
    document.add_paragraph(meta_methods(results))
    if results.notes:
        document.add_heading("Notes", level=2)
        for note in results.notes:
            document.add_paragraph(note, style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def write_meta_report(results: MetaResults, directory: Path) -> list[Path]:
    """Write results.json, report.md (figure in FIGURES_DIR), report.html and report.docx."""
    figure = meta_figure(results)
    return write_documents(
        directory,
        [figure],
        results.to_dict(),
        meta_markdown(results, figure),
        meta_html(results, figure),
        meta_docx(results, figure),
    )


def _pooled_row(p: Pooled) -> tuple[str, ...]:
    return (
        f"{p.model.capitalize()} effect",
        f"{number(p.estimate, 3)} ({interval(p.ci_low, p.ci_high)})",
        number(p.se, 3),
        number(p.p_value, 2),
    )


def _z(results: MetaResults) -> float:
    return float(stats.norm.ppf(1 - results.alpha / 2))


def _with_ci(estimate: float, low: float, high: float) -> str:
    return f"{number(estimate, 3)} ({interval(low, high)})"
