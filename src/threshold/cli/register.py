"""`threshold register build|lookup`: the contract's schools table from DfE files; look-ups."""

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from threshold.model import InputError

if TYPE_CHECKING:
    import pandas as pd

    from threshold.register import Register

MSG_BAD_LA = "--la {value!r} is not a three-digit LA number"
MSG_EMPTY_LA = "--la {value}: no school in the table is in this LA"
MSG_URN_OR_NAME = "give either --urn or --name (not both)"
MSG_LA_WITHOUT_NAME = "--la narrows a --name search; give --name too"
MSG_NOT_FOUND_URN = "No school with URN {urn} in {path}."
MSG_NOT_FOUND_NAME = "No school named {name!r}{where} in {path}."

app = typer.Typer(
    help="The school register: build the schools table, look schools up.", no_args_is_help=True
)

Gias = Annotated[Path, typer.Option(help="GIAS establishments CSV (or urn, name, town, postcode).")]
Links = Annotated[Path | None, typer.Option(help="GIAS links CSV (URN, LinkURN, LinkType, …).")]


@app.command("build")
def build(
    gias: Gias,
    census: Annotated[
        Path | None, typer.Option(help="School census CSV (URN, LA, NOR, PNUMFSMEVER, …).")
    ] = None,
    links: Links = None,
    la: Annotated[
        list[str] | None, typer.Option(help="Keep only this LA (three digits); repeatable.")
    ] = None,
    out: Annotated[Path, typer.Option(help="Where to write the schools table.")] = Path(
        "schools.csv"
    ),
) -> None:
    """Build the contract's schools table from the register, the census and the links file."""
    from threshold.register import read_census, read_links, read_register, school_table

    register = read_register(gias)
    table = school_table(
        register,
        None if census is None else read_census(census),
        None if links is None else read_links(links),
    )
    if la:
        codes = [_la_code(code) for code in la]
        table = table[table["la_code"].isin(codes)]
        for code in codes:
            if code not in set(table["la_code"]):
                raise InputError(MSG_EMPTY_LA.format(value=code))
    _write(table, out)
    with_census = table["census_urn"].notna()
    through = with_census & (table["census_urn"] != table["urn"])
    Console(highlight=False, soft_wrap=True).print(
        f"Wrote {len(table):,} schools to {out}: {with_census.sum():,} with census figures "
        f"({through.sum():,} through predecessor links), "
        f"{table['pupils_on_roll'].isna().sum():,} without pupils on roll. "
        f"Left out {(~register['urn'].isin(table['urn'])).sum():,} register rows "
        "(closed, in another LA, or with no phase or LA the contract accepts)."
    )


@app.command("lookup")
def lookup(
    gias: Gias,
    urn: Annotated[int | None, typer.Option(help="The school's URN.")] = None,
    name: Annotated[
        str | None, typer.Option(help="The school's name (case and punctuation ignored).")
    ] = None,
    la: Annotated[str | None, typer.Option(help="Only schools in this LA (three digits).")] = None,
    links: Links = None,
) -> None:
    """Look a school up by URN, or by name (all schools of that name, optionally in one LA)."""
    from threshold.register import Register, read_links, read_register

    if (urn is None) == (name is None):
        raise InputError(MSG_URN_OR_NAME)
    if la is not None and name is None:
        raise InputError(MSG_LA_WITHOUT_NAME)
    register = Register(read_register(gias), None if links is None else read_links(links))
    console = Console(highlight=False, soft_wrap=True)
    if name is not None:
        found = register.by_name(name, None if la is None else _la_code(la))
        if found.empty:
            where = "" if la is None else f" in LA {_la_code(la)}"
            console.print(MSG_NOT_FOUND_NAME.format(name=name, where=where, path=gias))
            raise typer.Exit(1)
        for _, school in found.iterrows():
            console.print(_describe(school))
        return
    school = register.by_urn(urn)
    successor = None if register.links is None else _successor(register, urn)
    if school is None and successor is None:
        console.print(MSG_NOT_FOUND_URN.format(urn=urn, path=gias))
        raise typer.Exit(1)
    if school is not None:
        console.print(_describe(school))
    if successor is not None:
        console.print(successor)


def _successor(register: "Register", urn: int) -> str | None:
    """Where the successor links lead from `urn`; None when it has no successor."""
    import pandas as pd

    from threshold.register import current_urns

    step = current_urns([urn], register.links).iloc[0]
    if pd.notna(step["reason"]):
        return f"Successor not resolved: {step['reason']}."
    if step["current_urn"] == urn:
        return None
    today = register.by_urn(step["current_urn"])
    if today is None:
        return f"Today's URN: {step['current_urn']} (not in the register)"
    return f"Today's URN: {_describe(today)}"


def _describe(school: "pd.Series") -> str:
    parts = [f"{school['urn']}  {school['name']}"]
    for column, label in (("la_code", "LA "), ("town", ""), ("postcode", ""), ("status", "")):
        value = school.get(column)
        if isinstance(value, str) and value:
            parts.append(f"{label}{value}")
    return ", ".join(parts)


def _la_code(value: str) -> str:
    code = value.strip()
    if not code.isdigit() or len(code) > 3:
        raise InputError(MSG_BAD_LA.format(value=value))
    return code.zfill(3)


def _write(table: "pd.DataFrame", out: Path) -> None:
    """Write the contract file at `out` in one step (no half-written file on failure)."""
    from threshold.model import write_table

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as staging:
        os.replace(write_table(table, "schools", Path(staging)), out)
