"""`threshold synth` and `threshold demo`: build a synthetic world, write and check it."""

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table as RichTable

from threshold.synth import Effects

if TYPE_CHECKING:
    from threshold.pipeline import DemoResult
    from threshold.synth import World


def synth(
    out: Annotated[Path, typer.Option(help="Directory to write the world's contract files into.")],
    seed: Annotated[
        int, typer.Option(help="Seed: the same seed writes byte-identical files.")
    ] = 20211,
    effect: Annotated[
        list[str] | None,
        typer.Option(
            help=f"A true effect, NAME=VALUE (repeatable). Names: {', '.join(Effects.names())}."
        ),
    ] = None,
    messy: Annotated[
        bool,
        typer.Option(
            help="Also write each LA's contacts as its system exports them and its referrals as "
            "an SSD extract (messy/)."
        ),
    ] = False,
) -> None:
    """Write a synthetic world of fictional LAs and schools, calibrated to the evaluation."""
    from threshold.pipeline import build_world
    from threshold.synth import WorldConfig

    world, paths = build_world(
        WorldConfig(seed=seed, effects=Effects.parse(effect or [])), out, messy=messy
    )
    _print_summary(world, out, len(paths))


def demo(
    out: Annotated[Path, typer.Option(help="Directory for the demo's outputs.")] = Path(
        "demo-output"
    ),
    seed: Annotated[int, typer.Option(help="Seed of the synthetic world.")] = 20211,
) -> None:
    """The main job on a synthetic world: import each LA's messy export into a front-door
    store, analyse what the stores hold under the locked protocol, report, and compare with the
    world's clean data."""
    from threshold.pipeline import run_demo
    from threshold.synth import WorldConfig

    started = time.perf_counter()
    console = Console(highlight=False, soft_wrap=True)
    result = run_demo(
        out,
        WorldConfig(seed=seed),
        lambda stage, fraction: console.print(f"[dim]{fraction:4.0%} {stage}[/]"),
    )
    _print_summary(result.world, result.world_dir, result.files)
    _print_demo(console, result, time.perf_counter() - started)


def _print_demo(console: Console, result: "DemoResult", seconds: float) -> None:
    from threshold.report import headline

    check = result.front_door
    run = result.imported
    imported, truth = run.primary, result.truth
    stores = check.stores[0].parent
    console.print(
        f"1. Synthesised {result.files} files into {result.world_dir}; every table meets the "
        "data contract."
    )
    console.print(
        f"2. Front door: imported {check.records:,} records (contacts and referrals) from "
        f"{len(check.stores)} LAs' exports into a store per LA under {stores} in "
        f"{check.seconds:.1f} s ({check.records - check.quarantined:,} loaded, "
        f"{check.quarantined:,} quarantined); the stores hold {check.contacts:,} contacts and "
        f"{check.referrals:,} referrals (the world: {len(result.world.tables['contacts']):,} and "
        f"{len(result.world.tables['referrals']):,}); school names linked {check.linked['auto']:,} "
        f"auto, {check.linked['review']:,} to review, {check.linked['none']:,} none; auto "
        f"links right {check.links_right:.2%} of the time ({check.links_checked:,} checked "
        "against the world's truth)."
    )
    console.print(
        f"3. Locked the evaluation's protocol: {result.protocol}. The allocation is the synthetic "
        "world's own draw, not a randomisation under the lock's commitment; the report says so."
    )
    console.print(f"4. Analysed the imported data: {headline(run.results)}")
    console.print(
        "5. Imported vs true data, primary outcome "
        f"({imported.outcome}): coefficient {imported.coef:.4g} vs {truth.coef:.4g}; "
        f"Glass's Δ {imported.glass_delta:.3f} vs {truth.glass_delta:.3f} "
        f"(CI {imported.glass_ci_low:.3f} to {imported.glass_ci_high:.3f} vs "
        f"{truth.glass_ci_low:.3f} to {truth.glass_ci_high:.3f}); "
        f"n = {imported.n_treatment + imported.n_control} vs {truth.n_treatment + truth.n_control}."
    )
    data = run.data.tidy()
    table = RichTable(title=f"Data analysed, by LA (from {run.data.source})")
    for header in ("LA", "contacts", "referrals", "quarantined", "linked", "review", "none"):
        table.add_column(header, justify="left" if header == "LA" else "right")
    for row in data.itertuples(index=False):
        table.add_row(
            row.la_code,
            *(
                f"{value:,}"
                for value in (
                    row.contacts,
                    row.referrals,
                    row.quarantined,
                    row.links_auto,
                    row.links_review,
                    row.links_none,
                )
            ),
        )
    console.print(table)
    report = next(p for p in run.files if p.suffix == ".html")
    console.print(f"[green]Done in {seconds:.1f} s. The report is {report}[/]")


def _print_summary(world: "World", out: Path, n_files: int) -> None:
    summary = world.summary()
    table = RichTable(title=f"Synthetic world (seed {summary['seed']}) in {out}", show_header=False)
    for key in (
        "school_years",
        "local_authorities",
        "schools",
        "treatment_schools",
        "withdrawn_schools",
        "contacts",
        "contacts_from_schools",
        "referrals",
        "sessions_held",
        "survey_responses",
    ):
        value = summary[key]
        table.add_row(
            key.replace("_", " "), ", ".join(value) if isinstance(value, list) else f"{value:,}"
        )
    roles = summary["la_roles"]
    assert isinstance(roles, dict)
    for role, codes in roles.items():
        table.add_row(f"LAs: {role.replace('_', ' ')}", ", ".join(codes))
    Console().print(table)
    Console().print(f"{n_files} files written.")
