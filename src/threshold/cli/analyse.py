"""`threshold analyse PROTOCOL.toml --data DIR --out DIR`: the protocol's impact analysis."""

from __future__ import annotations

import time
from importlib.metadata import version
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console

from threshold.analysis import Results, analyse_protocol
from threshold.model import TABLES, read_table
from threshold.report import write_report
from threshold.trial import load_protocol, require_locked


def read_tables(directory: Path) -> dict[str, pd.DataFrame]:
    """Every contract table present in `directory`, checked against the contract."""
    return {
        name: read_table(directory, name)
        for name in TABLES
        if (directory / f"{name}.csv").is_file()
    }


def run_analysis(
    protocol_path: Path, data: Path, out: Path, *, exploratory: bool
) -> tuple[Results, list[Path]]:
    """Check the lock, analyse, and write results.json and the report into `out`."""
    protocol = load_protocol(protocol_path)
    lock = require_locked(protocol_path, exploratory=exploratory)
    results = analyse_protocol(
        read_tables(data), protocol, lock, software=f"threshold {version('threshold')}"
    )
    return results, write_report(results, out)


def analyse(
    protocol: Annotated[Path, typer.Argument(help="The locked protocol (TOML).")],
    data: Annotated[Path, typer.Option(help="Directory of contract tables.")],
    out: Annotated[Path, typer.Option(help="Directory for results.json and the report.")] = Path(
        "analysis"
    ),
    exploratory: Annotated[
        bool,
        typer.Option(help="Run although the protocol is unlocked or changed; the report says so."),
    ] = False,
) -> None:
    """Estimate the protocol's primary and secondary outcomes and write results and report."""
    started = time.perf_counter()
    results, paths = run_analysis(protocol, data, out, exploratory=exploratory)
    console = Console(highlight=False, soft_wrap=True)
    if not results.confirmatory:
        console.print("[yellow]Exploratory: the protocol is not locked as it stands.[/]")
    e = results.primary
    console.print(
        f"Primary ({e.outcome}): coefficient {e.coef:.4g} (SE {e.se:.3g}), "
        f"Glass's Δ {e.glass_delta:.3f} ({e.glass_ci_low:.3f} to {e.glass_ci_high:.3f}), "
        f"p = {e.p_value:.3f}; "
        f"n = {e.n_treatment} + {e.n_control}."
    )
    console.print(
        f"Wrote {', '.join(str(p) for p in paths)} in {time.perf_counter() - started:.1f} s."
    )
