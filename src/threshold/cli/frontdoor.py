"""`threshold frontdoor import …`: an LA export into a front-door store."""

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from threshold.cli.link import FormerNames
from threshold.model import InputError

MSG_FORMAT = "--format must be one of: {formats}"
MSG_LINKS_WITHOUT_REGISTER = "--links gives schools' former names for linking; give --register too"

app = typer.Typer(no_args_is_help=True, help="Read LA front-door exports into a store.")


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="The LA's export (.csv, .xlsx or CIN census .xml).")],
    format: Annotated[str, typer.Option("--format", help="ssd | annex-a | cin-xml | mapped")],
    la: Annotated[str, typer.Option("--la", help="The LA's three-digit number.")],
    out: Annotated[Path, typer.Option(help="The store directory (created on first import).")],
    profile: Annotated[
        Path | None, typer.Option(help="Column-mapping profile (TOML); needed for mapped.")
    ] = None,
    register: Annotated[
        Path | None, typer.Option(help="Register CSV: link free-text school names to URNs.")
    ] = None,
    remembered: Annotated[
        Path | None,
        typer.Option(help="Linkage decisions remembered per LA (threshold link-accept)."),
    ] = None,
    links: FormerNames = None,
    strict: Annotated[bool, typer.Option(help="Import nothing if any record is rejected.")] = False,
    wait: Annotated[
        float,
        typer.Option(
            min=0, help="Seconds to wait for another import into the same store to finish."
        ),
    ] = 0.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Import FILE: every record is loaded or quarantined with its reason; re-importing the
    same records changes nothing. One import at a time per store: another is refused (or
    waited for, with --wait)."""
    from threshold.frontdoor import FORMATS, import_export, load_profile, read_remembered
    from threshold.register import read_former_names, read_register

    if format not in FORMATS:
        raise InputError(MSG_FORMAT.format(formats=", ".join(FORMATS)))
    if links is not None and register is None:
        raise InputError(MSG_LINKS_WITHOUT_REGISTER)
    started = time.perf_counter()
    schools = read_register(register) if register is not None else None
    known = read_remembered(remembered) if remembered is not None and remembered.is_file() else None
    former = read_former_names(links) if links is not None else None
    result = import_export(
        file,
        format=format,
        la_code=la,
        store=out,
        profile=load_profile(profile) if profile is not None else None,
        register=schools,
        remembered=known,
        former_names=former,
        strict=strict,
        wait=wait,
    )
    if as_json:
        print(json.dumps(result.to_dict(), indent=2))
        return
    console = Console(highlight=False, soft_wrap=True)
    table = Table(title=f"{result.file} → {out} (LA {la}, {time.perf_counter() - started:.1f} s)")
    columns = ("part", "records", "new", "updated", "unchanged", "superseded", "quarantined")
    for column in (*columns, "schools"):
        table.add_column(column, justify="left" if column == "part" else "right")
    for part in result.parts:
        linked = part.linked
        schools_text = (
            f"{linked['auto']:,} linked, {linked['review']:,} to review, {linked['none']:,} none"
            if linked
            else "–"
        )
        table.add_row(
            f"{part.table} ({part.source})",
            f"{part.records:,}",
            f"{part.new:,}",
            f"{part.updated:,}",
            f"{part.unchanged:,}",
            f"{part.superseded:,}",
            f"{part.quarantined:,}",
            schools_text,
        )
    console.print(table)
    for part in result.parts:
        if part.absent_columns:
            console.print(
                f"{part.source}: no column for {', '.join(part.absent_columns)} (left blank)."
            )
    if result.quarantined:
        console.print(
            f"[yellow]{result.quarantined:,} record(s) quarantined with the reason in "
            f"{out / 'quarantine.csv'}.[/]"
        )
    if any(part.linked.get("review") for part in result.parts):
        console.print(
            f"School names to decide: {out / 'link-queue.csv'} (fill in `decision`, run "
            "`threshold link-accept`, then import again)."
        )
