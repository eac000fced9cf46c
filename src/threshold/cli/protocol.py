"""`threshold protocol template|check|lock`: the pre-registered analysis plan."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from threshold.model import InputError

app = typer.Typer(
    help="The pre-registered analysis plan (protocol.toml) and its lock.", no_args_is_help=True
)

MSG_EXISTS = "{path} exists; choose another --out or delete it first"

ProtocolPath = Annotated[Path, typer.Argument(help="The protocol TOML file.")]


@app.command("template")
def template_command(
    out: Annotated[Path | None, typer.Option(help="Write it here instead of printing it.")] = None,
) -> None:
    """The evaluation's protocol, to edit for a new trial."""
    from threshold.trial import template

    if out is None:
        print(template(), end="")
        return
    if out.exists():
        raise InputError(MSG_EXISTS.format(path=out))
    out.write_text(template(), encoding="utf-8")
    typer.echo(f"wrote {out}")


@app.command("check")
def check_command(path: ProtocolPath) -> None:
    """Check a protocol and say whether it is locked."""
    from threshold.trial import load_protocol, protocol_status

    protocol = load_protocol(path)
    status = protocol_status(path)
    console = Console(highlight=False, soft_wrap=True)
    secondary = [o.name for o in protocol.outcomes if o.role == "secondary"]
    console.print(f"[green]{path} is a valid protocol[/] for {protocol.name!r}.")
    console.print(
        f"Primary outcome: {protocol.primary.name}; secondary: {', '.join(secondary) or 'none'}."
    )
    console.print(
        f"{len(protocol.subgroups)} subgroup, {len(protocol.compliance)} compliance and "
        f"{len(protocol.robustness)} robustness analyses; multiplicity: {protocol.multiplicity}."
    )
    messages = {
        "locked": f"[green]Locked[/] on {status.locked_at} (SHA-256 {status.sha256[:12]}).",
        "unlocked": "[yellow]Not locked yet[/]: `threshold protocol lock` before the analysis.",
        "altered": f"[red]Changed since it was locked[/] on {status.locked_at}: "
        "a confirmatory analysis will refuse it.",
    }
    console.print(messages[status.state])


@app.command("lock")
def lock_command(
    path: ProtocolPath,
    amend: Annotated[bool, typer.Option(help="Lock a plan changed after an earlier lock.")] = False,
    reason: Annotated[
        str | None, typer.Option(help="Why the locked plan was amended (recorded).")
    ] = None,
    units: Annotated[
        Path | None,
        typer.Option(help="The units CSV to randomise: commits the trial's randomisation."),
    ] = None,
) -> None:
    """Check the protocol and record its hash in the trial ledger beside it; with --units, also
    commit the randomisation (the units file's hash and the plan's public draw)."""
    from importlib.metadata import version

    from threshold.trial import LEDGER_NAME, lock_protocol, protocol_status

    amendment = (reason or "") if amend else None
    entry = lock_protocol(
        path, software=f"threshold {version('threshold')}", amendment=amendment, units=units
    )
    console = Console(highlight=False, soft_wrap=True)
    console.print(
        f"[green]Locked[/] {path} (SHA-256 {entry['sha256']}) on {entry['created']}; "
        f"recorded in {path.parent / LEDGER_NAME}, head {protocol_status(path).ledger_head}."
    )
    if units is not None:
        console.print(
            f"Committed the randomisation of {units} (SHA-256 {entry['units_sha256']}): "
            f"randomise after the public draw with `threshold randomise {units} --protocol "
            f'{path} --draw "…"`. Publish the two hashes now.'
        )
