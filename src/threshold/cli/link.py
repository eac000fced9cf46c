"""`threshold link MENTIONS.csv --register REGISTER.csv --out LINKED.csv`: school linkage."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from threshold.frontdoor import link_schools
from threshold.register import read_register
from threshold.trial import read_units


def link(
    mentions: Annotated[
        Path, typer.Argument(help="CSV: mention_id, school_name, la_code [, town, postcode].")
    ],
    register: Annotated[Path, typer.Option(help="GIAS register CSV (URN, name and LA columns).")],
    out: Annotated[Path, typer.Option(help="Where to write the linked CSV.")] = Path("linked.csv"),
) -> None:
    """Link free-text school names to register URNs: auto, review (with candidates) or none."""
    started = time.perf_counter()
    linked = link_schools(read_units(mentions), read_register(register))
    out.parent.mkdir(parents=True, exist_ok=True)
    linked.to_csv(out, index=False, lineterminator="\n")
    counts = linked["decision"].value_counts()
    Console(highlight=False, soft_wrap=True).print(
        f"Linked {len(linked):,} mentions in {time.perf_counter() - started:.1f} s: "
        f"{counts.get('auto', 0):,} auto, {counts.get('review', 0):,} to review, "
        f"{counts.get('none', 0):,} none. Wrote {out}."
    )
