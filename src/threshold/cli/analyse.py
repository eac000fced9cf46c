"""`threshold analyse PROTOCOL.toml --data DIR --out DIR`: the protocol's impact analysis,
through `threshold.pipeline` (contacts and referrals from the contract directory or from
front-door stores); or one outcome of a flat table."""

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from threshold.model import InputError

MSG_USAGE = "give a PROTOCOL and --data DIR, or --table CSV with --arm, --treatment and --outcome"
MSG_FLAT_NEEDS = "--table needs --arm, --treatment and --outcome"


def analyse(
    protocol: Annotated[
        Path | None, typer.Argument(help="The locked protocol (TOML); omit with --table.")
    ] = None,
    data: Annotated[Path | None, typer.Option(help="Directory of contract tables.")] = None,
    store: Annotated[
        list[Path] | None,
        typer.Option(
            help="A front-door store to take contacts and referrals from instead of --data "
            "(repeatable: one per LA)."
        ),
    ] = None,
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
    control: Annotated[
        str | None,
        typer.Option(help="Flat table: the arm value that is control (needed with 3+ arms)."),
    ] = None,
    unit_id: Annotated[
        str | None,
        typer.Option("--id", help="Flat table: the unit id column (repeated ids are refused)."),
    ] = None,
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
    cluster: Annotated[
        str | None,
        typer.Option(help="Flat table: the cluster column, for --se cluster or --multilevel."),
    ] = None,
    se: Annotated[
        str | None,
        typer.Option(
            help="Flat table: hc1 (the default), hc2, hc3, classical or cluster (with --cluster)."
        ),
    ] = None,
    multilevel: Annotated[
        str | None,
        typer.Option(
            help="Flat table: fit the multilevel model instead of OLS, with --cluster: crt "
            "(cluster-randomised: random intercept) or mst (multisite: random intercept and "
            "treatment effect by site)."
        ),
    ] = None,
) -> None:
    """Estimate a protocol's outcomes on contract tables (PROTOCOL --data DIR [--store STORE …]),
    or one outcome of any two-arm trial in a flat table (--table … --arm … --treatment …
    --outcome …), and write results.json and the report."""
    from importlib.metadata import version

    from threshold.analysis import analyse_table
    from threshold.pipeline import PipelineConfig, check_out, run_pipeline, write_outputs
    from threshold.trial import read_units

    started = time.perf_counter()
    if table is not None:
        if not (arm and treatment and outcome):
            raise InputError(MSG_FLAT_NEEDS)
        check_out(out)
        results = analyse_table(
            read_units(table),
            arm=arm,
            treatment=treatment,
            outcome=outcome,
            control=control,
            unit_id=unit_id,
            baseline=baseline,
            baseline_missing=baseline_missing,
            covariates=tuple(covariate or ()),
            strata=strata,
            cluster=cluster,
            se=se,
            multilevel=multilevel,
            source=str(table),
            software=f"threshold {version('threshold')}",
        )
        paths = write_outputs(results, out)
    elif protocol is not None and data is not None:
        run = run_pipeline(
            PipelineConfig(
                protocol=protocol,
                tables=data,
                stores=tuple(store or ()),
                out=out,
                exploratory=exploratory,
            )
        )
        results, paths = run.results, list(run.files)
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
