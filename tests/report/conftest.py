"""A real analysis of a synthetic world, and its figures, shared by the report tests."""

from __future__ import annotations

import tomllib

import pytest

from threshold.analysis import Results, analyse_protocol
from threshold.report import FigureView, render_figures
from threshold.synth import WorldConfig, synthesise
from threshold.trial import LockStatus, parse_protocol, randomise_as_evaluated, template


@pytest.fixture(scope="session")
def results() -> Results:
    world = synthesise(WorldConfig(seed=20211), randomise_as_evaluated)
    return analyse_protocol(
        world.tables,
        parse_protocol(tomllib.loads(template())),
        LockStatus("locked", "a" * 64, "2026-01-01T00:00:00+00:00"),
        software="threshold test",
        draws=200,
    )


@pytest.fixture(scope="session")
def figures(results: Results) -> list[FigureView]:
    return render_figures(results)


@pytest.fixture(scope="session")
def main_outcomes(results: Results) -> list[str]:
    """The primary and secondary outcomes, primary first: what the tables and figures show."""
    return [e.outcome for e in results.estimates if e.analysis in ("primary", "secondary")]
