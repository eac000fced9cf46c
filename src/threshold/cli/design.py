"""`threshold design mdes|power|units`: power calculations for two-arm trials."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from threshold.trial import Design, PowerResult, mdes, power, required_units

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


def _show(result: PowerResult, as_json: bool) -> None:
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
