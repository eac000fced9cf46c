"""The `threshold` command: one module per command group; user errors print without a traceback.

It starts within 0.5 s of CPU (issue 17, docs/cli.md): a command module imports only the
standard library, typer, rich and the lazily loaded `threshold.model` and `threshold.synth` at
its top, and the rest of the core (pandas, statsmodels, Django, …) inside the command that
needs it. No `from __future__ import annotations` here: typer would compile every annotation.
"""

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

GROUPS = {
    "contract": contract.app,
    "costs": costs.app,
    "design": design.app,
    "frontdoor": frontdoor.app,
    "protocol": protocol.app,
    "qed": qed.app,
    "measures": measures.app,
    "register": register.app,
    "trial": trial.app,
    "web": web.app,
}
HELP_NOT_GIVEN = {"help": False}
"""`threshold`'s and each group's `--help` default to False, not None: typer converts a None
through a pydantic adapter, importing pydantic (about 0.2 s) to run any command (issue 17)."""

app = typer.Typer(
    name="threshold",
    help="Run, and rigorously evaluate, support for school Designated Safeguarding Leads.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"default_map": {**HELP_NOT_GIVEN, **dict.fromkeys(GROUPS, HELP_NOT_GIVEN)}},
)
app.command("validate")(validate.validate)
app.command("synth")(synth.synth)
app.command("demo")(synth.demo)
app.command("randomise")(randomise.randomise_command)
app.command("analyse")(analyse.analyse)
app.command("link")(link.link)
app.command("link-accept")(link.link_accept)
app.command("meta")(meta.meta)
for name, group in GROUPS.items():
    app.add_typer(group, name=name)


def command_paths() -> list[tuple[str, ...]]:
    """`()` for `threshold` itself, then every command group and command as the words typed,
    e.g. `("design", "power")` (for the start-up benchmark and its test)."""
    paths: list[tuple[str, ...]] = []

    def walk(command: object, path: tuple[str, ...]) -> None:
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return paths


def main() -> None:
    """Entry point of the console script."""
    try:
        app()
    except InputError as error:
        console = Console(stderr=True, highlight=False, soft_wrap=True)
        console.print(f"[bold red]error:[/] {escape(str(error))}")
        sys.exit(2)
