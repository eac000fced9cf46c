"""`threshold design mdes|power|units`: power calculations for two-arm trials."""

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from threshold.trial import PowerResult

app = typer.Typer(
    help="Power: minimum detectable effect, power and required units.", no_args_is_help=True
)

Units = Annotated[int, typer.Option(help="Schools randomised (clusters, with --cluster-size).")]
R2 = Annotated[float, typer.Option(help="R² of covariates (cluster level for cluster designs).")]
Alpha = Annotated[float, typer.Option(help="Significance level.")]
Power = Annotated[float, typer.Option(help="Target power.")]
PTreat = Annotated[float, typer.Option(help="Share of units allocated to treatment.")]
Blocks = Annotated[int, typer.Option(help="Blocks with fixed effects (0: not blocked).")]
Covariates = Annotated[int, typer.Option(help="Covariates in the model besides treatment.")]
Attrition = Annotated[float, typer.Option(help="Share of randomised units expected to be lost.")]
OneSided = Annotated[
    bool, typer.Option("--one-sided", help="A one-sided test (default two-sided).")
]
ClusterSize = Annotated[
    int | None, typer.Option(help="Pupils per cluster: makes this a cluster design.")
]
Icc = Annotated[float, typer.Option(help="Intra-cluster correlation (cluster designs).")]
R2Within = Annotated[float, typer.Option(help="Pupil-level R² (cluster designs).")]
Effect = Annotated[float, typer.Option(help="Effect size to detect, in standard deviations.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print a JSON object.")]


@app.command("mdes")
def mdes_command(
    units: Units,
    r2: R2 = 0.0,
    alpha: Alpha = 0.05,
    power_: Annotated[float, typer.Option("--power", help="Target power.")] = 0.8,
    p_treat: PTreat = 0.5,
    blocks: Blocks = 0,
    covariates: Covariates = 0,
    attrition: Attrition = 0.0,
    one_sided: OneSided = False,
    cluster_size: ClusterSize = None,
    icc: Icc = 0.0,
    r2_within: R2Within = 0.0,
    as_json: AsJson = False,
) -> None:
    """The minimum detectable effect size (in SDs) of a design."""
    from threshold.trial import Design, mdes

    design = Design(
        units=units,
        r2=r2,
        alpha=alpha,
        power=power_,
        p_treat=p_treat,
        sides="one" if one_sided else "two",
        blocks=blocks,
        covariates=covariates,
        attrition=attrition,
        cluster_size=cluster_size,
        icc=icc,
        r2_within=r2_within,
    )
    _show(mdes(design), as_json)


@app.command("power")
def power_command(
    units: Units,
    effect: Effect,
    r2: R2 = 0.0,
    alpha: Alpha = 0.05,
    p_treat: PTreat = 0.5,
    blocks: Blocks = 0,
    covariates: Covariates = 0,
    attrition: Attrition = 0.0,
    one_sided: OneSided = False,
    cluster_size: ClusterSize = None,
    icc: Icc = 0.0,
    r2_within: R2Within = 0.0,
    as_json: AsJson = False,
) -> None:
    """The power of a design to detect an effect."""
    from threshold.trial import Design, power

    design = Design(
        units=units,
        r2=r2,
        alpha=alpha,
        power=0.8,
        p_treat=p_treat,
        sides="one" if one_sided else "two",
        blocks=blocks,
        covariates=covariates,
        attrition=attrition,
        cluster_size=cluster_size,
        icc=icc,
        r2_within=r2_within,
    )
    _show(power(design, effect), as_json)


@app.command("units")
def units_command(
    effect: Effect,
    r2: R2 = 0.0,
    alpha: Alpha = 0.05,
    power_: Annotated[float, typer.Option("--power", help="Target power.")] = 0.8,
    p_treat: PTreat = 0.5,
    blocks: Blocks = 0,
    covariates: Covariates = 0,
    attrition: Attrition = 0.0,
    one_sided: OneSided = False,
    cluster_size: ClusterSize = None,
    icc: Icc = 0.0,
    r2_within: R2Within = 0.0,
    as_json: AsJson = False,
) -> None:
    """The fewest units (schools, or clusters) to randomise to detect an effect."""
    from threshold.trial import Design, required_units

    design = Design(
        units=2,
        r2=r2,
        alpha=alpha,
        power=power_,
        p_treat=p_treat,
        sides="one" if one_sided else "two",
        blocks=blocks,
        covariates=covariates,
        attrition=attrition,
        cluster_size=cluster_size,
        icc=icc,
        r2_within=r2_within,
    )
    _show(required_units(design, effect), as_json)


def _show(result: "PowerResult", as_json: bool) -> None:
    if as_json:
        print(json.dumps(result.to_dict(), indent=2))
        return
    table = Table(
        title=f"{result.solved_for.upper()} — {result.design.kind} design", show_header=False
    )
    labels = {
        "mdes": "minimum detectable effect (SD)",
        "power": "power",
        "units": "units to randomise",
    }
    table.add_row(
        labels[result.solved_for],
        f"{result.answer:.4g}" if result.solved_for != "units" else f"{result.answer:,}",
    )
    table.add_row("effect size (SD)", f"{result.effect:.4f}")
    table.add_row("power", f"{result.power:.4f}")
    table.add_row("units randomised", f"{result.units:,}")
    table.add_row("degrees of freedom", f"{result.df:g}")
    table.add_row("multiplier M", f"{result.multiplier:.4f}")
    table.add_row("standard error (SD)", f"{result.standard_error:.4f}")
    Console().print(table)


@app.command("diagnose")
def diagnose_command(
    effect: Effect,
    table: Annotated[
        Path | None,
        typer.Option(help="Units CSV to re-randomise (default: --units units in --blocks blocks)."),
    ] = None,
    units: Annotated[int, typer.Option(help="Units to simulate when no --table is given.")] = 308,
    blocks: Annotated[
        int, typer.Option(help="Equal blocks to simulate when no --table is given.")
    ] = 22,
    id_column: Annotated[str, typer.Option("--id", help="Unit id column of --table.")] = "urn",
    block_by: Annotated[
        list[str] | None, typer.Option(help="Block column of --table (repeatable).")
    ] = None,
    median_split: Annotated[
        str | None, typer.Option(help="Median-split column of --table.")
    ] = None,
    method: Annotated[str, typer.Option(help="alternating, blocked or complete.")] = "alternating",
    outcome: Annotated[
        str | None,
        typer.Option(help="Outcome column of --table (its values are the control outcomes)."),
    ] = None,
    baseline: Annotated[
        str | None, typer.Option(help="Baseline column of --table (blank: missing).")
    ] = None,
    r2: Annotated[
        float, typer.Option(help="R² of the baseline in the normal outcome model.")
    ] = 0.0,
    replicates: Annotated[int, typer.Option(help="Trials to simulate.")] = 2000,
    alpha: Alpha = 0.05,
    seed: Annotated[int, typer.Option(help="Seed of the simulation.")] = 1,
    world_seed: Annotated[
        int | None,
        typer.Option(
            help="Use a synthetic world's schools and primary outcome (NFA contacts per pupil)."
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Simulate the trial many times: power, type I error, bias, RMSE and CI coverage of the
    planned estimator (OLS with baseline and block dummies, HC1 standard errors)."""
    import tomllib

    import numpy as np
    import pandas as pd

    from threshold.trial import (
        EVALUATION_DESIGN,
        RandomisationSpec,
        diagnose,
        parse_protocol,
        randomise_as_evaluated,
        read_units,
        template,
    )

    if world_seed is not None:
        from threshold.analysis import assemble
        from threshold.synth import WorldConfig, synthesise

        world = synthesise(WorldConfig(seed=world_seed), randomise_as_evaluated)
        protocol = parse_protocol(tomllib.loads(template()))
        data = assemble(world.tables, protocol)
        primary = data.outcomes[protocol.primary.name]
        frame = data.units.assign(outcome=primary["y"], baseline=primary["baseline"])
        frame = frame[~frame["withdrawn"] & frame["outcome"].notna()]
        spec, outcome, baseline = EVALUATION_DESIGN, "outcome", "baseline"
    elif table is not None:
        frame = read_units(table)
        spec = RandomisationSpec(
            unit=id_column,
            method=method,
            block_by=tuple(block_by or ()),
            median_split=median_split,  # type: ignore[arg-type]
        )
    else:
        frame = pd.DataFrame({"unit": np.arange(units), "block": np.arange(units) % max(blocks, 1)})
        spec = RandomisationSpec(unit="unit", method=method, block_by=("block",))  # type: ignore[arg-type]
    started = time.perf_counter()
    result = diagnose(
        frame,
        spec,
        effect_sd=effect,
        rng=np.random.default_rng(seed),
        replicates=replicates,
        outcome=outcome,
        baseline=baseline,
        r2=r2,
        alpha=alpha,
    )
    elapsed = time.perf_counter() - started
    if as_json:
        print(json.dumps({**result.to_dict(), "seconds": elapsed}, indent=2))
        return
    view = Table(
        title=f"Design diagnosis: {replicates:,} simulated trials of {result.units:,} units",
        show_header=False,
    )
    for measure, value in result.tidy().itertuples(index=False):
        view.add_row(measure.replace("_", " "), f"{value:,.4g}")
    view.add_row("seconds", f"{elapsed:.2f}")
    Console().print(view)
