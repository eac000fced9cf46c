"""CLI start-up: the CPU time (user + system) and wall time of `threshold --help`, of each
command group's `--help` and of each command's `--help`, each in a fresh interpreter.

`--help` is how far every command gets before it needs its own libraries: Python starts, the
`threshold` command is built, the arguments are parsed and dispatched. Target (issue 17): at
most 0.5 s of CPU for each. The figure is the median of `--runs` runs; CPU time is the child's
user + system time (resource.getrusage(RUSAGE_CHILDREN)), which other work on the machine
inflates less than wall time. Exits 1 when any median is above the target.

    .venv/bin/python benchmarks/startup.py [--runs 5] [--only "design power"]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

from threshold.cli import command_paths

TARGET_CPU = 0.5
RUN = "import sys; from threshold.cli import main; sys.argv[0] = 'threshold'; main()"


def measure(path: tuple[str, ...]) -> tuple[float, float]:
    """CPU seconds (user + system) and wall seconds of one `threshold PATH --help`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", RUN, *path, "--help"],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "100"},
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per command (median shown)")
    parser.add_argument("--only", help="just this command, e.g. 'design power'")
    args = parser.parse_args()
    paths = command_paths() if args.only is None else [tuple(args.only.split())]
    print(f"{'command':<40} {'CPU s':>7} {'wall s':>7} {'target':>7}")
    over = []
    for path in paths:
        runs = [measure(path) for _ in range(args.runs)]
        cpu = statistics.median(c for c, _ in runs)
        wall = statistics.median(w for _, w in runs)
        label = " ".join(("threshold", *path, "--help"))
        flag = "" if cpu <= TARGET_CPU else "  OVER"
        print(f"{label:<40} {cpu:7.3f} {wall:7.3f} {TARGET_CPU:7.2f}{flag}", flush=True)
        if flag:
            over.append(label)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{len(paths)} commands, median of {args.runs} runs; load average {load}.")
    if over:
        print(f"{len(over)} above the {TARGET_CPU} s CPU target.")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
