"""Fuzzing the importers, `threshold validate` and `threshold link` with generated messy and
hostile files (tests/factories/fuzz.py: the cases the property tests draw from).

Every case must either be refused with InputError and nothing changed, or load with every record
accounted for (loaded or quarantined) and re-import without change. Prints cases, loaded, clean
errors, crashes (any other exception; the first few summarised), hangs (cases over 10 s),
partial loads and non-idempotent re-imports. Targets: 0 crashes, 0 hangs, 0 partial loads.
With `--jobs N`, worker i draws its cases from seed (seed, i).

    .venv/bin/python benchmarks/fuzz_importers.py [--cases 10000] [--seed 1] [--jobs 2] [--kind ssd]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from factories.fuzz import KINDS, Broken, cases, run_case

HANG_SECONDS = 10.0
SHOWN = 5


def fuzz(seed: tuple[int, int], count: int, kinds: tuple[str, ...]) -> tuple[Counter, list[str]]:
    """Run `count` cases drawn from `seed`: counts by outcome (and by kind and outcome), and the
    first few failures, summarised."""
    counts: Counter = Counter()
    shown: list[str] = []

    @hypothesis_seed(hash(seed))
    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases(kinds))
    def run(case) -> None:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as directory:
            try:
                outcome = run_case(case, Path(directory))
            except Broken as broken:
                outcome = broken.kind
                problem = str(broken)
            except Exception as error:  # a crash: anything but InputError
                outcome = "crash"
                last = traceback.extract_tb(error.__traceback__)[-1]
                problem = (
                    f"{type(error).__name__}: {str(error)[:160]} "
                    f"({Path(last.filename).name}:{last.lineno})"
                )
        elapsed = time.perf_counter() - started
        if outcome not in ("loaded", "refused") and len(shown) < SHOWN:
            shown.append(f"{outcome}: {case.kind} {case.name}: {problem}")
        counts.update(["cases", outcome, f"{case.kind}: {outcome}"])
        if elapsed > HANG_SECONDS:
            counts["hang"] += 1
            if len(shown) < SHOWN:
                shown.append(f"hang: {case.kind} {case.name}: {elapsed:.0f} s")
        counts["slowest ms"] = max(counts["slowest ms"], int(elapsed * 1000))

    run()
    return counts, shown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--kind", action="append", choices=KINDS, help="repeatable; default all")
    args = parser.parse_args()
    kinds = tuple(args.kind or KINDS)
    shares = [args.cases // args.jobs + (i < args.cases % args.jobs) for i in range(args.jobs)]
    started = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        done = list(
            pool.map(fuzz, [(args.seed, i) for i in range(args.jobs)], shares, [kinds] * args.jobs)
        )
    took = time.perf_counter() - started
    counts: Counter = Counter()
    shown: list[str] = []
    for found, problems in done:
        slowest = max(counts["slowest ms"], found.pop("slowest ms", 0))
        counts.update(found)
        counts["slowest ms"] = slowest
        shown += problems
    print(f"cases: {counts['cases']:,} (seed {args.seed}, {args.jobs} job(s)) in {took:.0f} s")
    print(f"loaded: {counts['loaded']:,}")
    print(f"clean errors: {counts['refused']:,}")
    print(f"crashes: {counts['crash']:,}")
    print(f"hangs (over {HANG_SECONDS:g} s): {counts['hang']:,}")
    print(f"partial loads: {counts['partial']:,}")
    print(f"non-idempotent re-imports: {counts['not idempotent']:,}")
    print(f"slowest case: {counts['slowest ms'] / 1000:.1f} s")
    for line in shown[:SHOWN]:
        print(f"  {line}")
    for kind in kinds:
        figures = ", ".join(
            f"{name.split(': ')[1]} {n:,}"
            for name, n in sorted(counts.items())
            if name.startswith(f"{kind}: ")
        )
        print(f"  {kind}: {figures}")


if __name__ == "__main__":
    main()
