"""`threshold analyse PROTOCOL.toml --data DIR --out DIR`: the protocol's impact analysis.

The analysis and report packages (statsmodels, linearmodels, matplotlib) are imported when a
command runs, not when `threshold` starts, so every other command starts in about half the time.
"""

from __future__ import annotations

import time
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.console import Console

from threshold.model import TABLES, InputError, read_table
from threshold.trial import load_protocol, read_units, require_locked

if TYPE_CHECKING:
    from threshold.analysis import Results

MSG_USAGE = "give a PROTOCOL and --data DIR, or --table CSV with --arm, --treatment and --outcome"
MSG_FLAT_NEEDS = "--table needs --arm, --treatment and --outcome"


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
    from threshold.analysis import analyse_protocol
    from threshold.report import write_report

    protocol = load_protocol(protocol_path)
    lock = require_locked(protocol_path, exploratory=exploratory)
    results = analyse_protocol(
        read_tables(data), protocol, lock, software=f"threshold {version('threshold')}"
    )
    costs = ()
    if (data / TABLES["costs"].filename).is_file():  # the cost table joins the report
        from threshold.cli.costs import cost_summary
        from threshold.report import cost_views

        estimates = results.to_dict()["estimates"]
        summary = cost_summary(data, estimates, results.primary.outcome, source="this analysis")
        costs = cost_views(summary)
    return results, write_report(results, out, costs)


def analyse(
    protocol: Annotated[
        Path | None, typer.Argument(help="The locked protocol (TOML); omit with --table.")
    ] = None,
    data: Annotated[Path | None, typer.Option(help="Directory of contract tables.")] = None,
    out: Annotated[Path, typer.Option(help="Directory for results and the report.")] = Path(
        "analysis"
    ),
    exploratory: Annotated[
        bool,
        typer.Option(help="Run although the protocol is unlocked or changed; the report says so."),
    ] = False,
    table: Annotated[
        Path | None, typer.Option(help="Flat-table mode: a CSV with one row per unit.")
    ] = None,
    arm: Annotated[str | None, typer.Option(help="Flat table: the arm column.")] = None,
    treatment: Annotated[
        str | None, typer.Option(help="Flat table: the arm value that is treatment.")
    ] = None,
    outcome: Annotated[str | None, typer.Option(help="Flat table: the outcome column.")] = None,
    baseline: Annotated[str | None, typer.Option(help="Flat table: the baseline column.")] = None,
    baseline_missing: Annotated[
        str | None, typer.Option(help="Flat table: a 0/1 column flagging a missing baseline.")
    ] = None,
    covariate: Annotated[
        list[str] | None, typer.Option(help="Flat table: a covariate column (repeatable).")
    ] = None,
    strata: Annotated[
        str | None, typer.Option(help="Flat table: the strata (block) column.")
    ] = None,
    se: Annotated[str, typer.Option(help="Flat table: hc1, hc2, hc3 or classical.")] = "hc1",
) -> None:
    """Estimate a protocol's outcomes on contract tables (PROTOCOL --data DIR), or one outcome of
    any two-arm trial in a flat table (--table … --arm … --treatment … --outcome …), and write
    results.json and the report."""
    from threshold.analysis import analyse_table
    from threshold.report import write_report

    started = time.perf_counter()
    if table is not None:
        if not (arm and treatment and outcome):
            raise InputError(MSG_FLAT_NEEDS)
        results = analyse_table(
            read_units(table),
            arm=arm,
            treatment=treatment,
            outcome=outcome,
            baseline=baseline,
            baseline_missing=baseline_missing,
            covariates=tuple(covariate or ()),
            strata=strata,
            se=se,
            source=str(table),
            software=f"threshold {version('threshold')}",
        )
        paths = write_report(results, out)
    elif protocol is not None and data is not None:
        results, paths = run_analysis(protocol, data, out, exploratory=exploratory)
    else:
        raise InputError(MSG_USAGE)
    console = Console(highlight=False, soft_wrap=True)
    if not results.confirmatory:
        console.print("[yellow]Not a confirmatory analysis of a locked protocol.[/]")
    e = results.primary
    console.print(
        f"Primary ({e.outcome}): coefficient {e.coef:.4g} (SE {e.se:.3g}), "
        f"Glass's Δ {e.glass_delta:.3f} ({e.glass_ci_low:.3f} to {e.glass_ci_high:.3f}), "
        f"p = {e.p_value:.3f}; n = {e.n_treatment} + {e.n_control}."
    )
    console.print(
        f"Wrote {', '.join(str(p) for p in paths)} in {time.perf_counter() - started:.1f} s."
    )
