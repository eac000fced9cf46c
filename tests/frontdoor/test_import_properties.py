"""Fuzzing the readers: malformed input never crashes, hangs or loads partially.

Whatever the bytes, an import either raises InputError (and the store is as it was) or
accounts for every record, loaded or quarantined with a reason, and importing it again changes
nothing. The cases (tests/factories/fuzz.py) are the ones benchmarks/fuzz_importers.py runs by
the ten thousand; here a small fixed-seed sample of each reader.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factories.fuzz import MAPPED, PROFILE, Case, cases, run_case

FUZZ = settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


def _run(case: Case) -> str:
    with tempfile.TemporaryDirectory() as directory:
        return run_case(case, Path(directory))


@FUZZ
@given(data=st.binary(max_size=400), kind=st.sampled_from(["ssd", "annex-a", "mapped", "cin-xml"]))
def test_arbitrary_bytes_are_refused_cleanly_or_accounted_for(data, kind):
    name = "export.xlsx" if kind == "annex-a" and data[:2] == b"PK" else "export.csv"
    _run(Case(kind, name, data, PROFILE if kind == "mapped" else None))


@pytest.mark.parametrize("kind", ["ssd", "annex-a", "cin-xml", "mapped"])
def test_generated_exports_are_refused_cleanly_or_loaded_idempotently(kind):
    @FUZZ
    @given(case=cases((kind,)))
    def check(case):
        assert _run(case) in ("loaded", "refused")

    check()


def test_a_clean_export_under_the_fuzz_header_loads():
    """The generators' good path does load (so the property tests exercise loading)."""
    rows = ["C1,P1,04/09/2023,Schools,Oak Academy,NFA", "C2,P2,05/09/2023,Police,,EH"]
    data = "\r\n".join([",".join(MAPPED), *rows]).encode()
    assert _run(Case("mapped", "export.csv", data, PROFILE)) == "loaded"
