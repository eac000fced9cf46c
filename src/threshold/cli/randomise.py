"""`threshold randomise UNITS.csv …` and `threshold randomise verify ALLOCATION.csv`."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from threshold.model import InputError, neutralise_formulas
from threshold.trial import (
    LEDGER_NAME,
    SCHOOL_CHARACTERISTICS,
    RandomisationSpec,
    balance_table,
    randomise_file,
    read_units,
    verify_allocation,
)

MSG_USAGE = "give a units CSV to randomise, or `verify ALLOCATION.csv`"
MSG_BAD_RATIO = "--ratio {ratio!r} must look like 1:1 or 2:1 (treatment:control)"


def randomise_command(
    target: Annotated[
        list[str], typer.Argument(help="UNITS.csv to randomise, or: verify ALLOCATION.csv")
    ],
    id_column: Annotated[str, typer.Option("--id", help="Column identifying each unit.")] = "urn",
    block_by: Annotated[
        list[str] | None, typer.Option(help="Block on this column (repeatable).")
    ] = None,
    median_split: Annotated[
        str | None, typer.Option(help="Split each block at its median of this numeric column.")
    ] = None,
    method: Annotated[
        str, typer.Option(help="alternating (the evaluation's), blocked or complete.")
    ] = "alternating",
    ratio: Annotated[str, typer.Option(help="Allocation ratio treatment:control.")] = "1:1",
    cluster: Annotated[
        str | None, typer.Option(help="Randomise clusters identified by this column.")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Seed; recorded in the ledger. Required to randomise.")
    ] = None,
    out: Annotated[Path, typer.Option(help="Where to write the allocation CSV.")] = Path(
        "allocation.csv"
    ),
    balance: Annotated[
        list[str] | None, typer.Option(help="Characteristic for the balance table (repeatable).")
    ] = None,
    rerandomise: Annotated[
        bool, typer.Option(help="Randomise an already-randomised table again.")
    ] = False,
    reason: Annotated[str | None, typer.Option(help="Why, when re-randomising (recorded).")] = None,
) -> None:
    """Randomise units (schools) to two arms and record it in the allocation ledger.

    `threshold randomise verify ALLOCATION.csv` recomputes a recorded allocation and fails
    loudly if the allocation, its input or the ledger has been edited.
    """
    console = Console(highlight=False)
    if target[0] == "verify" and len(target) == 2:
        entry = verify_allocation(Path(target[1]))
        console.print(
            f"[green]verified:[/] {target[1]} is the unedited allocation of {entry['input']} "
            f"(seed {entry['seed']}, {entry['created']}, {entry['software']})",
            soft_wrap=True,
        )
        return
    if len(target) != 1:
        raise InputError(MSG_USAGE)
    if seed is None:
        raise InputError(
            "--seed is required: the seed is recorded so the allocation can be verified"
        )
    spec = RandomisationSpec(
        unit=id_column,
        method=method,  # type: ignore[arg-type]  # checked by RandomisationSpec
        block_by=tuple(block_by or ()),
        median_split=median_split,
        cluster=cluster,
        ratio=_ratio(ratio),
    )
    units_path = Path(target[0])
    done = randomise_file(
        units_path,
        spec,
        seed=seed,
        out=out,
        software=f"threshold {version('threshold')}",
        reason=reason,
        rerandomise=rerandomise,
    )
    counts = done.allocation["arm"].value_counts()
    blocks = done.allocation["block"].nunique()
    console.print(
        f"Randomised {len(done.allocation):,} units from {units_path} into {blocks} block(s): "
        f"{counts.get('treatment', 0):,} treatment, {counts.get('control', 0):,} control. "
        f"Allocation: {out}; ledger: {out.parent / LEDGER_NAME}.",
        soft_wrap=True,
    )
    if done.entry["reason"]:
        console.print(
            f"[yellow]Recorded as a re-randomisation:[/] {done.entry['reason']}", soft_wrap=True
        )
    units = read_units(units_path)
    wanted = list(balance) if balance else [c for c in SCHOOL_CHARACTERISTICS if c in units.columns]
    if wanted:
        arms = units[id_column].map(done.allocation.set_index(id_column)["arm"])
        table = balance_table(units, arms, wanted)
        balance_path = out.with_name(f"{out.stem}-balance.csv")
        neutralise_formulas(table).to_csv(balance_path, index=False, lineterminator="\n")
        _print_balance(console, table)
        console.print(f"Balance table: {balance_path}")


def _ratio(text: str) -> tuple[int, int]:
    parts = text.split(":")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise InputError(MSG_BAD_RATIO.format(ratio=text))
    return int(parts[0]), int(parts[1])


def _print_balance(console: Console, table: pd.DataFrame) -> None:
    view = Table(title="Balance at randomisation")
    for heading in ("characteristic", "treatment", "control", "std. difference"):
        view.add_column(heading)
    for row in table.itertuples(index=False):
        level = row.level
        name = row.characteristic if pd.isna(level) else f"{row.characteristic}: {level} (%)"

        def cell(mean, sd):
            return f"{mean:.1f}" if sd != sd else f"{mean:.1f} ({sd:.1f})"

        view.add_row(
            name,
            cell(row.mean_treatment, row.sd_treatment),
            cell(row.mean_control, row.sd_control),
            f"{row.std_difference:+.3f}",
        )
    console.print(view)
