"""The full analysis plan on the 308-school synthetic world, report included.

Measures (best of `--repeat`, wall and CPU seconds; CPU is steadier on a shared machine):
reading and checking the 12 contract files (`read_table`; target, issue 17: at most 0.3 s);
the full plan with reports — primary, secondary, compliance, robustness and subgroup analyses,
attrition, balance, and writing the JSON, Markdown, HTML and Word reports (target: at most
1.5 s); and, once, the plan with the 10,000-draw randomisation inference and no reports.

    .venv/bin/python benchmarks/analysis_plan.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tomllib
from pathlib import Path

from threshold.analysis import analyse_protocol
from threshold.model import TABLES, read_table
from threshold.report import write_report
from threshold.synth import WorldConfig, synthesise, write_world
from threshold.trial import LockStatus, parse_protocol, randomise_as_evaluated, template

READING_TARGET, PLAN_TARGET = 0.3, 1.5


def timed(run) -> tuple[object, float, float]:
    """`run()`'s value, wall seconds and CPU seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = run()
    return value, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    protocol = parse_protocol(tomllib.loads(template()))
    lock = LockStatus("locked", "0" * 64, "2026-01-01T00:00:00+00:00")
    with tempfile.TemporaryDirectory() as folder:
        world_dir, out = Path(folder) / "world", Path(folder) / "report"
        write_world(synthesise(WorldConfig(seed=1), randomise_as_evaluated), world_dir)
        reading, plan = [], []
        for _ in range(args.repeat):
            tables, *times = timed(lambda: {name: read_table(world_dir, name) for name in TABLES})
            reading.append(times)
        for _ in range(args.repeat):

            def full_plan():
                found = analyse_protocol(tables, protocol, lock, software="benchmark", draws=0)
                return found, write_report(found, out)

            (results, paths), *times = timed(full_plan)
            plan.append(times)
        _, *inference = timed(
            lambda: analyse_protocol(tables, protocol, lock, software="benchmark", draws=10_000)
        )
    rows = sum(len(frame) for frame in tables.values())
    print(f"estimates: {len(results.estimates)}; files: {', '.join(p.name for p in paths)}")
    for label, times, target in (
        (f"reading and checking the 12 contract files ({rows:,} rows)", reading, READING_TARGET),
        ("full plan + reports", plan, PLAN_TARGET),
    ):
        wall, cpu = min(t[0] for t in times), min(t[1] for t in times)
        print(
            f"{label}, best of {args.repeat}: {wall:.2f} s wall, {cpu:.2f} s CPU "
            f"(target <= {target} s)"
        )
    print(
        "full plan with 10,000-draw randomisation inference, no reports: "
        f"{inference[0]:.2f} s wall, {inference[1]:.2f} s CPU"
    )


if __name__ == "__main__":
    main()
