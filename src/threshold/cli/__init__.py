"""The `threshold` command: one module per command group; user errors print without a traceback."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

from threshold.cli import (
    analyse,
    contract,
    costs,
    design,
    frontdoor,
    link,
    measures,
    meta,
    protocol,
    qed,
    randomise,
    register,
    synth,
    trial,
    validate,
    web,
)
from threshold.model import InputError

app = typer.Typer(
    name="threshold",
    help="Run, and rigorously evaluate, support for school Designated Safeguarding Leads.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("validate")(validate.validate)
app.command("synth")(synth.synth)
app.command("demo")(synth.demo)
app.command("randomise")(randomise.randomise_command)
app.command("analyse")(analyse.analyse)
app.command("link")(link.link)
app.command("link-accept")(link.link_accept)
app.command("meta")(meta.meta)
app.add_typer(contract.app, name="contract")
app.add_typer(costs.app, name="costs")
app.add_typer(design.app, name="design")
app.add_typer(frontdoor.app, name="frontdoor")
app.add_typer(protocol.app, name="protocol")
app.add_typer(qed.app, name="qed")
app.add_typer(measures.app, name="measures")
app.add_typer(register.app, name="register")
app.add_typer(trial.app, name="trial")
app.add_typer(web.app, name="web")


def main() -> None:
    """Entry point of the console script."""
    try:
        app()
    except InputError as error:
        console = Console(stderr=True, highlight=False, soft_wrap=True)
        console.print(f"[bold red]error:[/] {escape(str(error))}")
        sys.exit(2)
