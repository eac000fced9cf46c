"""The report's figures as PNG bytes: each outcome's distribution by arm, and a forest plot of
Glass's Δ. Drawn on Agg figures under a fixed style, so the same results give the same bytes."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from threshold.analysis import Estimate, Results
from threshold.report.tables import interval, number

if TYPE_CHECKING:
    from matplotlib.axes import Axes

DPI = 110
WIDTH = 6.0  # inches
ARMS = {"treatment": ("Treatment", "#1d70b8"), "control": ("Control", "#f47738")}
STYLE = {
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "figure.subplot.left": 0.09,
    "figure.subplot.right": 0.98,
    "figure.subplot.bottom": 0.17,
    "figure.subplot.top": 0.96,
}
MAX_BINS = 30


@dataclass(frozen=True)
class FigureView:
    """A rendered figure: a file stem, a heading, alt text, a caption and the PNG."""

    name: str
    title: str
    alt: str
    caption: str
    png: bytes


def render_figures(results: Results) -> list[FigureView]:
    """A forest plot of the primary and secondary estimates (primary first), then a histogram of
    each of their outcomes that has distributions."""
    estimates = sorted(
        (e for e in results.estimates if e.analysis in ("primary", "secondary")),
        key=lambda e: e.analysis != "primary",
    )
    with_values = [e for e in estimates if e.outcome in results.distributions]
    return [forest(estimates)] + [
        histogram(e, results.distributions[e.outcome], index)
        for index, e in enumerate(with_values, 1)
    ]


def forest(estimates: Sequence[Estimate]) -> FigureView:
    """Glass's Δ with its 95% CI for every estimate, in the order given."""
    size = (WIDTH, 0.9 + 0.3 * len(estimates))
    png = render_png(size, lambda ax: draw_forest(ax, estimates), layout="constrained")
    effects = "; ".join(
        f"{e.outcome} {number(e.glass_delta, 2)} ({interval(e.glass_ci_low, e.glass_ci_high, 2)})"
        for e in estimates
    )
    return FigureView(
        name="forest",
        title="Effect sizes",
        alt=f"Forest plot of Glass's Δ with 95% confidence intervals: {effects}.",
        caption=(
            "Glass's Δ and its 95% confidence interval for each outcome, primary first. Values "
            "above zero mean the outcome was higher in treatment schools."
        ),
        png=png,
    )


def histogram(estimate: Estimate, values: dict[str, list[float]], index: int) -> FigureView:
    """The analysed schools' values of one outcome, by arm, in the same bins."""
    label = value_label(estimate)
    edges = histogram_counts(values)[0]
    arms = "; ".join(
        f"{name.lower()} ({_arm_label(values, arm)})" for arm, (name, _) in ARMS.items()
    )
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", estimate.outcome).strip("-")
    return FigureView(
        name=f"hist-{index}-{slug}",
        title=f"Distribution of {estimate.outcome}",
        alt=(
            f"Histogram of {label} by arm, {len(edges) - 1} bins from {number(edges[0], 3)} to "
            f"{number(edges[-1], 3)}: {arms}."
        ),
        caption=(
            f"Number of analysed schools by {label}: treatment (filled) and control (outline) in "
            "the same bins; counts, not proportions."
        ),
        png=render_png((WIDTH, 2.8), lambda ax: draw_histogram(ax, estimate, values)),
    )


def value_label(estimate: Estimate) -> str:
    """The outcome's name, "per pupil" where it is a rate (it has a % point change)."""
    return f"{estimate.outcome} per pupil" if estimate.pct_point is not None else estimate.outcome


def histogram_counts(
    values: dict[str, list[float]],
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Bin edges shared by both arms (numpy's "auto": Freedman–Diaconis or Sturges, at most 30
    bins) and each arm's counts in them: what draw_histogram plots."""
    pooled = np.concatenate([np.asarray(values[arm], dtype=float) for arm in ARMS])
    edges = np.histogram_bin_edges(pooled, bins="auto")
    if len(edges) > MAX_BINS + 1:
        edges = np.linspace(edges[0], edges[-1], MAX_BINS + 1)
    return edges, {arm: np.histogram(values[arm], bins=edges)[0] for arm in ARMS}


def draw_histogram(ax: Axes, estimate: Estimate, values: dict[str, list[float]]) -> None:
    """Treatment filled, control outlined, in the same bins; the legend gives n and zeros."""
    edges, counts = histogram_counts(values)
    for arm, (name, colour) in ARMS.items():
        filled = arm == "treatment"
        ax.stairs(
            counts[arm],
            edges,
            fill=filled,
            alpha=0.5 if filled else 1,
            color=colour,
            linewidth=1.8,
            label=f"{name} ({_arm_label(values, arm)})",
        )
    ax.set_xlabel(value_label(estimate))
    ax.set_ylabel("Schools")
    ax.legend()


def draw_forest(ax: Axes, estimates: Sequence[Estimate]) -> None:
    """One row per estimate, top to bottom, with a vertical line at no effect."""
    rows = np.arange(len(estimates))
    delta = np.array([e.glass_delta for e in estimates], dtype=float)
    low = np.array([e.glass_ci_low for e in estimates], dtype=float)
    high = np.array([e.glass_ci_high for e in estimates], dtype=float)
    ax.axvline(0, color="#505a5f", linewidth=0.8)
    ax.errorbar(delta, rows, xerr=[delta - low, high - delta], fmt="s", color="#0b0c0c", capsize=3)
    ax.set_yticks(
        rows, [e.outcome + (" (primary)" if e.analysis == "primary" else "") for e in estimates]
    )
    ax.set_ylim(len(estimates) - 0.5, -0.5)
    ax.set_xlabel("Glass's Δ (95% CI)")


def render_png(
    size: tuple[float, float], draw: Callable[[Axes], None], layout: str | None = None
) -> bytes:
    # Imported here, not at the top (0.5 s): the CLI loads `report` for every command.
    import matplotlib.style
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    buffer = io.BytesIO()
    with matplotlib.style.context(["default", STYLE]):
        figure = Figure(figsize=size, dpi=DPI, layout=layout)
        FigureCanvasAgg(figure)  # Agg for this figure only; pyplot and its registry are unused
        draw(figure.add_subplot())
        figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _arm_label(values: dict[str, list[float]], arm: str) -> str:
    zeros = np.count_nonzero(np.asarray(values[arm], dtype=float) == 0)
    return f"n = {len(values[arm])}, {zeros} at zero"
