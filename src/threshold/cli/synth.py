"""`threshold synth` and `threshold demo`: build a synthetic world, write and check it."""

from __future__ import annotations

import shutil
import time
from importlib.metadata import version
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table as RichTable

from threshold.cli.analyse import run_analysis
from threshold.frontdoor import import_export, load_profile
from threshold.model import check_directory, read_table
from threshold.synth import (
    MESSY_PROFILE,
    Effects,
    World,
    WorldConfig,
    synthesise,
    write_messy_exports,
    write_world,
)
from threshold.trial import LEDGER_NAME, lock_protocol, randomise_as_evaluated, template


def build(seed: int, effects: list[str], out: Path, *, messy: bool) -> tuple[World, list[Path]]:
    """Synthesise a world with the evaluation's randomisation and write it (and messy exports)."""
    world = synthesise(
        WorldConfig(seed=seed, effects=Effects.parse(effects)), randomise_as_evaluated
    )
    paths = write_world(world, out)
    if messy:
        rng = np.random.default_rng([seed, 1])
        paths += write_messy_exports(
            world.tables["contacts"], world.tables["schools"], out / "messy", rng
        )
    return world, paths


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
        bool, typer.Option(help="Also write contacts as LAs export them (messy/).")
    ] = False,
) -> None:
    """Write a synthetic world of fictional LAs and schools, calibrated to the evaluation."""
    world, paths = build(seed, effect or [], out, messy=messy)
    _print_summary(world, out, len(paths))


def demo(
    out: Annotated[Path, typer.Option(help="Directory for the demo's outputs.")] = Path(
        "demo-output"
    ),
    seed: Annotated[int, typer.Option(help="Seed of the synthetic world.")] = 20211,
) -> None:
    """The main job: synthesise a world, check it, lock the protocol, analyse, report."""
    console = Console(highlight=False, soft_wrap=True)
    started = time.perf_counter()
    world_dir = out / "world"
    world, paths = build(seed, [], world_dir, messy=True)
    elapsed = time.perf_counter() - started
    console.print(f"1. Synthesised {len(paths)} files into {world_dir} ({elapsed:.1f} s).")
    violations = check_directory(world_dir)
    if violations:
        for violation in violations[:20]:
            console.print(str(violation), markup=False)
        console.print(
            f"[red]The synthetic world breaks the data contract ({len(violations)} violations).[/]"
        )
        raise typer.Exit(1)
    console.print("2. Every table meets the data contract.")
    _print_summary(world, world_dir, len(paths))
    console.print(f"3. Front door: {_front_door(world_dir, out / 'frontdoor')}")
    protocol_path = out / "protocol.toml"
    protocol_path.write_text(template(), encoding="utf-8")
    (out / LEDGER_NAME).unlink(missing_ok=True)
    lock_protocol(protocol_path, software=f"threshold {version('threshold')}")
    console.print(f"4. Locked the evaluation's protocol: {protocol_path}.")
    results, written = run_analysis(protocol_path, world_dir, out / "report", exploratory=False)
    from threshold.report import headline  # imported late: see threshold.cli.analyse

    console.print(f"5. Analysed: {headline(results)}")
    report = next(p for p in written if p.suffix == ".html")
    console.print(
        f"[green]Done in {time.perf_counter() - started:.1f} s. The report is {report}[/]"
    )


def _front_door(world_dir: Path, store: Path) -> str:
    """Import every LA's messy export into a fresh store, linking school names to the world's
    register, and say how it went (auto links checked against the truth)."""
    shutil.rmtree(store, ignore_errors=True)
    started = time.perf_counter()
    register = read_table(world_dir, "schools")
    profile = load_profile(MESSY_PROFILE)
    exports = sorted((world_dir / "messy").glob("contacts_*.csv"))
    parts = [
        import_export(
            path,
            format="mapped",
            la_code=path.stem.removeprefix("contacts_"),
            store=store,
            profile=profile,
            register=register,
        ).parts[0]
        for path in exports
    ]
    records = sum(part.records for part in parts)
    quarantined = sum(part.quarantined for part in parts)
    linked = {k: sum(part.linked.get(k, 0) for part in parts) for k in ("auto", "review", "none")}
    truth = pd.read_csv(world_dir / "messy" / "truth.csv", dtype={"la_code": str})
    truth["cont_contact_id"] = truth["la_code"] + "-" + truth["cont_contact_id"]
    contacts = read_table(store, "contacts").dropna(subset=["cont_source_school_urn"])
    checked = contacts.merge(truth.drop_duplicates("cont_contact_id"), on="cont_contact_id")
    right = (checked["cont_source_school_urn"] == checked["urn"]).mean()
    return (
        f"imported {records:,} records from {len(exports)} LA exports into {store} in "
        f"{time.perf_counter() - started:.1f} s ({records - quarantined:,} loaded, "
        f"{quarantined:,} duplicated rows quarantined); school names linked {linked['auto']:,} "
        f"auto, {linked['review']:,} to review, {linked['none']:,} none; auto links right "
        f"{right:.2%} of the time (against the world's truth)."
    )


def _print_summary(world: World, out: Path, n_files: int) -> None:
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
