"""Figures: valid, reproducible PNGs that plot exactly the results they are given."""

from __future__ import annotations

import dataclasses
import struct
import zlib

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure

from threshold.report import render_figures
from threshold.report.figures import (
    DPI,
    WIDTH,
    draw_forest,
    draw_histogram,
    histogram_counts,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def axes():
    figure = Figure()
    FigureCanvasAgg(figure)
    return figure.add_subplot()


def chunks(png: bytes) -> list[bytes]:
    """The PNG's chunk types, each chunk's CRC checked."""
    types, at = [], len(PNG_MAGIC)
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        assert struct.unpack(">I", png[at + 8 + length : at + 12 + length])[0] == zlib.crc32(
            kind + data
        )
        types.append(kind)
        at += 12 + length
    return types


def estimate(results, outcome):
    return next(e for e in results.estimates if e.outcome == outcome)


def test_there_is_a_forest_plot_then_a_histogram_per_outcome(figures, main_outcomes):
    assert [f.name for f in figures] == ["forest"] + [
        f"hist-{i}-{outcome}" for i, outcome in enumerate(main_outcomes, 1)
    ]
    assert all(f.alt and f.caption and f.title for f in figures)


def test_figures_are_pngs_of_a_fixed_width_without_metadata(figures):
    for figure in figures:
        assert figure.png.startswith(PNG_MAGIC), figure.name
        width, height = struct.unpack(">II", figure.png[16:24])
        assert width == round(WIDTH * DPI), figure.name
        assert 200 <= height <= 600, figure.name
        assert 5_000 < len(figure.png) < 100_000, figure.name
        assert set(chunks(figure.png)) == {b"IHDR", b"pHYs", b"IDAT", b"IEND"}  # no text chunks


def test_the_same_results_give_byte_identical_figures(results, figures):
    assert [f.png for f in render_figures(results)] == [f.png for f in figures]


def test_histogram_plots_every_analysed_school_of_both_arms_in_the_same_bins(results):
    outcome = results.primary.outcome
    values = results.distributions[outcome]
    ax = axes()
    draw_histogram(ax, results.primary, values)
    treatment, control = ax.patches
    edges, counts = histogram_counts(values)
    for patch, arm in ((treatment, "treatment"), (control, "control")):
        data = patch.get_data()
        assert data.values.sum() == len(values[arm]) > 100
        np.testing.assert_array_equal(data.edges, edges)
        np.testing.assert_array_equal(data.values, np.histogram(values[arm], bins=edges)[0])
    assert edges[0] <= min(min(v) for v in values.values())
    assert edges[-1] >= max(max(v) for v in values.values())
    assert ax.get_ylim()[1] >= max(c.max() for c in counts.values())


def test_zero_heavy_outcomes_show_their_zeros(results):
    values = {"treatment": [0.0] * 70 + [0.001, 0.002, 0.004], "control": [0.0] * 60 + [0.003]}
    ax = axes()
    draw_histogram(ax, estimate(results, "referral_nfa"), values)
    treatment, control = ax.patches
    assert treatment.get_data().values[0] == 70
    assert control.get_data().values[0] == 60
    assert ax.get_ylim()[1] >= 70
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["Treatment (n = 73, 70 at zero)", "Control (n = 61, 60 at zero)"]


@pytest.mark.parametrize(
    "values",
    [
        {"treatment": [0.0] * 5, "control": [0.0] * 3},
        {"treatment": [0.5, 1.0], "control": []},
    ],
    ids=["all zero", "an empty arm"],
)
def test_degenerate_distributions_still_count_every_school(results, values):
    ax = axes()
    draw_histogram(ax, results.primary, values)
    assert [p.get_data().values.sum() for p in ax.patches] == [len(v) for v in values.values()]


def test_rates_are_labelled_per_pupil_and_scores_are_not(results):
    rate, score = estimate(results, "contacts"), estimate(results, "anxiety_contentment")
    assert rate.pct_point is not None
    assert score.pct_point is None
    labels = []
    for e in (rate, score):
        ax = axes()
        draw_histogram(ax, e, results.distributions[e.outcome])
        labels.append(ax.get_xlabel())
    assert labels == ["contacts per pupil", "anxiety_contentment"]


def test_forest_plots_each_glass_delta_and_interval_primary_first(results, main_outcomes):
    estimates = [  # asymmetric intervals, so that low and high cannot be swapped unnoticed
        dataclasses.replace(e, glass_ci_high=e.glass_ci_high + 0.5)
        for e in results.estimates
        if e.analysis in ("primary", "secondary")
    ]
    primary_last = dataclasses.replace(
        results,
        estimates=(*(e for e in results.estimates if e is not results.primary), results.primary),
    )
    assert render_figures(primary_last)[0].png == render_figures(results)[0].png
    ax = axes()
    draw_forest(ax, estimates)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [f"{main_outcomes[0]} (primary)", *main_outcomes[1:]]
    (container,) = (c for c in ax.containers if isinstance(c, ErrorbarContainer))
    points, _, (bars,) = container.lines
    np.testing.assert_allclose(points.get_xdata(), [e.glass_delta for e in estimates])
    ends = np.array([[s[0][0], s[1][0]] for s in bars.get_segments()])
    np.testing.assert_allclose(ends[:, 0], [e.glass_ci_low for e in estimates])
    np.testing.assert_allclose(ends[:, 1], [e.glass_ci_high for e in estimates])
    assert any(list(line.get_xdata()) == [0, 0] for line in ax.lines)
    assert ax.get_ylim()[0] > ax.get_ylim()[1]  # the first estimate at the top
