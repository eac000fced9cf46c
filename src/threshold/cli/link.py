"""`threshold link …` (school linkage) and `threshold link-accept …` (the review decisions)."""

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from threshold.model import InputError

if TYPE_CHECKING:
    import pandas as pd

MSG_WRITE = "{path}: cannot write here ({reason}); choose another --out"

Remembered = Annotated[
    Path | None,
    typer.Option(help="CSV of decisions remembered per LA (read, and written by link-accept)."),
]
FormerNames = Annotated[
    Path | None,
    typer.Option(
        "--links",
        help="GIAS links CSV: also find a school by a name it had before (an academy's, say).",
    ),
]


def link(
    mentions: Annotated[
        Path, typer.Argument(help="CSV: mention_id, school_name, la_code [, town, postcode].")
    ],
    register: Annotated[Path, typer.Option(help="GIAS register CSV (URN, name and LA columns).")],
    out: Annotated[Path, typer.Option(help="Where to write the linked CSV.")] = Path("linked.csv"),
    remembered: Remembered = None,
    queue: Annotated[
        Path | None, typer.Option(help="Write the review queue here (one row per distinct string).")
    ] = None,
    links: FormerNames = None,
) -> None:
    """Link free-text school names to register URNs: auto, review (with candidates) or none."""
    from threshold.frontdoor import link_schools, review_queue
    from threshold.register import read_former_names, read_register
    from threshold.trial import read_units

    started = time.perf_counter()
    table = read_units(mentions)
    schools = read_register(register)
    known = _read_remembered(remembered)
    former = read_former_names(links) if links is not None else None
    linked = link_schools(table, schools, known, former_names=former)
    _write(linked, out)
    counts = linked["decision"].value_counts()
    console = Console(highlight=False, soft_wrap=True)
    console.print(
        f"Linked {len(linked):,} mentions in {time.perf_counter() - started:.1f} s: "
        f"{counts.get('auto', 0):,} auto, {counts.get('review', 0):,} to review, "
        f"{counts.get('none', 0):,} none. Wrote {out}."
    )
    if queue is not None:
        waiting = review_queue(table, linked, schools)
        _write(waiting, queue)
        console.print(
            f"Review queue: {len(waiting):,} distinct strings in {queue}; fill in `decision` "
            "with a URN or `none`, then run `threshold link-accept`."
        )


def link_accept(
    queue: Annotated[Path, typer.Argument(help="The review queue with `decision` filled in.")],
    register: Annotated[Path, typer.Option(help="GIAS register CSV (URN, name and LA columns).")],
    remembered: Annotated[Path, typer.Option(help="CSV of remembered decisions to update.")],
) -> None:
    """Remember the review decisions, so the same strings link automatically next time."""
    from threshold.frontdoor import accept_decisions
    from threshold.register import read_register
    from threshold.trial import read_units

    decisions = read_units(queue)
    updated = accept_decisions(
        decisions, read_register(register), _read_remembered(remembered), path=str(queue)
    )
    _write(updated, remembered)
    Console(highlight=False, soft_wrap=True).print(
        f"{len(updated):,} remembered decisions in {remembered}."
    )


def _read_remembered(path: Path | None) -> "pd.DataFrame | None":
    from threshold.frontdoor import read_remembered

    return read_remembered(path) if path is not None and path.exists() else None


def _write(frame: "pd.DataFrame", path: Path) -> None:
    from threshold.model import neutralise_formulas

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        neutralise_formulas(frame).to_csv(path, index=False, lineterminator="\r\n")
    except OSError as error:
        raise InputError(MSG_WRITE.format(path=path, reason=error.strerror or error)) from None
