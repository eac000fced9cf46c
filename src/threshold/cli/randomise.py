"""`threshold randomise UNITS.csv --protocol … --draw …` (or `--exploratory --seed …`) and
`threshold randomise verify ALLOCATION.csv`."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from threshold.model import InputError

if TYPE_CHECKING:
    import pandas as pd

    from threshold.trial import Verified

MSG_USAGE = "give a units CSV to randomise, or `verify ALLOCATION.csv`"
MSG_BAD_RATIO = "--ratio {ratio!r} must look like 1:1 or 2:1 (treatment:control)"
MSG_PROTOCOL_REQUIRED = (
    'a trial is randomised under its locked protocol: --protocol protocol.toml --draw "…" '
    "(the public draw's numbers); for a non-trial use, --exploratory --seed N randomises unbound"
)
MSG_FROM_PROTOCOL = (
    "with --protocol the randomisation is the locked plan's and the seed its commitment's; "
    "leave out {options}"
)
MSG_DRAW_REQUIRED = '--protocol needs --draw "…": the numbers of the public draw the plan names'
MSG_SEED_REQUIRED = "--seed is required: the seed is recorded so the allocation can be verified"
UNBOUND = (
    "[yellow]EXPLORATORY, UNBOUND randomisation[/]: the seed was chosen, not committed before "
    "the allocation could be seen; not for a trial."
)


def randomise_command(
    target: Annotated[
        list[str], typer.Argument(help="UNITS.csv to randomise, or: verify ALLOCATION.csv")
    ],
    protocol: Annotated[
        Path | None,
        typer.Option(help="The locked protocol committing the trial's randomisation."),
    ] = None,
    draw: Annotated[
        str | None, typer.Option(help="With --protocol: the public draw's numbers, as published.")
    ] = None,
    exploratory: Annotated[
        bool, typer.Option(help="Randomise without a protocol (unbound; not for a trial).")
    ] = False,
    id_column: Annotated[
        str | None, typer.Option("--id", help="Column identifying each unit (default urn).")
    ] = None,
    block_by: Annotated[
        list[str] | None, typer.Option(help="Block on this column (repeatable).")
    ] = None,
    median_split: Annotated[
        str | None, typer.Option(help="Split each block at its median of this numeric column.")
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(help="alternating (the evaluation's, default), blocked, complete."),
    ] = None,
    ratio: Annotated[
        str | None, typer.Option(help="Allocation ratio treatment:control (default 1:1).")
    ] = None,
    cluster: Annotated[
        str | None, typer.Option(help="Randomise clusters identified by this column.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="With --exploratory: the seed.")] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="The allocation CSV (default allocation.csv beside the protocol)."),
    ] = None,
    balance: Annotated[
        list[str] | None, typer.Option(help="Characteristic for the balance table (repeatable).")
    ] = None,
    rerandomise: Annotated[
        bool, typer.Option(help="With --exploratory: randomise a table again.")
    ] = False,
    reason: Annotated[str | None, typer.Option(help="Why, when re-randomising (recorded).")] = None,
) -> None:
    """Randomise units (schools) to two arms under the locked protocol's commitment and record
    it in the trial ledger.

    `threshold randomise verify ALLOCATION.csv` recomputes the seed and the allocation from the
    lock and fails loudly if the allocation, its units, the ledger or the seed departs from it.
    """
    from importlib.metadata import version

    from threshold.model import neutralise_formulas
    from threshold.trial import (
        LEDGER_NAME,
        SCHOOL_CHARACTERISTICS,
        RandomisationSpec,
        balance_table,
        randomise_committed,
        randomise_file,
        read_units,
        verify_allocation,
    )

    console = Console(highlight=False, soft_wrap=True)
    if target[0] == "verify" and len(target) == 2:
        _print_verified(console, target[1], verify_allocation(Path(target[1])))
        return
    if len(target) != 1:
        raise InputError(MSG_USAGE)
    units_path = Path(target[0])
    software = f"threshold {version('threshold')}"
    if protocol is not None:
        options = {
            "--id": id_column,
            "--block-by": block_by,
            "--median-split": median_split,
            "--method": method,
            "--ratio": ratio,
            "--cluster": cluster,
            "--seed": seed,
            "--exploratory": exploratory,
            "--rerandomise": rerandomise,
            "--reason": reason,
        }
        if given := [name for name, value in options.items() if value]:
            raise InputError(MSG_FROM_PROTOCOL.format(options=", ".join(given)))
        if draw is None:
            raise InputError(MSG_DRAW_REQUIRED)
        out = out or protocol.parent / "allocation.csv"
        done = randomise_committed(units_path, protocol, draw=draw, out=out, software=software)
        console.print(
            f"Seed {done.entry['seed']} from the commitment of {protocol} (SHA-256 "
            f"{str(done.entry['protocol_sha256'])[:12]}) and the public draw "
            f"{' '.join(map(str, done.entry['public_draw']))}."  # type: ignore[call-overload]
        )
    elif not exploratory:
        raise InputError(MSG_PROTOCOL_REQUIRED)
    else:
        if seed is None:
            raise InputError(MSG_SEED_REQUIRED)
        spec = RandomisationSpec(
            unit=id_column or "urn",
            method=method or "alternating",  # type: ignore[arg-type]  # checked by the spec
            block_by=tuple(block_by or ()),
            median_split=median_split,
            cluster=cluster,
            ratio=_ratio(ratio or "1:1"),
        )
        out = out or Path("allocation.csv")
        done = randomise_file(
            units_path,
            spec,
            seed=seed,
            out=out,
            software=software,
            reason=reason,
            rerandomise=rerandomise,
        )
        console.print(UNBOUND)
    counts = done.allocation["arm"].value_counts()
    blocks = done.allocation["block"].nunique()
    console.print(
        f"Randomised {len(done.allocation):,} units from {units_path} into {blocks} block(s): "
        f"{counts.get('treatment', 0):,} treatment, {counts.get('control', 0):,} control. "
        f"Allocation: {out}; ledger: {out.parent / LEDGER_NAME}, head {done.head}."
    )
    if done.entry["reason"]:
        console.print(f"[yellow]Recorded as a re-randomisation:[/] {done.entry['reason']}")
    units = read_units(units_path)
    unit = str(done.entry["spec"]["unit"])  # type: ignore[index]
    wanted = list(balance) if balance else [c for c in SCHOOL_CHARACTERISTICS if c in units.columns]
    if wanted:
        arms = units[unit].map(done.allocation.set_index(unit)["arm"])
        table = balance_table(units, arms, wanted)
        balance_path = out.with_name(f"{out.stem}-balance.csv")
        neutralise_formulas(table).to_csv(balance_path, index=False, lineterminator="\n")
        _print_balance(console, table)
        console.print(f"Balance table: {balance_path}")


def _print_verified(console: Console, path: str, verified: "Verified") -> None:
    entry = verified.entry
    console.print(
        f"[green]verified:[/] {path} is the unedited allocation of {entry['input']} "
        f"(seed {entry['seed']}, {entry['created']}, {entry['software']})."
    )
    if verified.draw is None:
        console.print(UNBOUND)
    else:
        numbers = " ".join(map(str, entry["public_draw"]))  # type: ignore[call-overload]
        console.print(
            f"Bound to the protocol locked with SHA-256 {entry['protocol_sha256']} and its "
            f"committed units; seeded by the public draw {numbers}: check these against "
            f"{verified.draw.description}."
        )
    console.print(f"Ledger head: {verified.head}.")


def _ratio(text: str) -> tuple[int, int]:
    parts = text.split(":")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise InputError(MSG_BAD_RATIO.format(ratio=text))
    return int(parts[0]), int(parts[1])


def _print_balance(console: Console, table: "pd.DataFrame") -> None:
    import pandas as pd

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
