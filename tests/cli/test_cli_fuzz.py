"""Fuzzing `threshold validate` and `threshold link`: any file gives violations, links, or a
one-line error, never a traceback; `link` writes one row per mention or nothing."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from factories.fuzz import cases, run_case


@pytest.mark.parametrize("kind", ["validate", "link"])
def test_generated_files_are_checked_or_refused_cleanly(kind):
    @settings(
        max_examples=15,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    @given(case=cases((kind,)))
    def check(case):
        with tempfile.TemporaryDirectory() as directory:
            assert run_case(case, Path(directory)) in ("loaded", "refused")

    check()
