"""`threshold trial …`: a trial in the web service. The commands run Django management
commands, so this module never imports `threshold.web`."""

from typing import Annotated

import typer

from threshold.cli.web import _django

app = typer.Typer(
    help="Trials in the web service: run a trial's analysis from the service's records.",
    no_args_is_help=True,
)


@app.command("analyse")
def analyse(
    trial_id: Annotated[int, typer.Argument(help="The trial's number (the trials page shows it).")],
    exploratory: Annotated[
        bool,
        typer.Option(
            "--exploratory",
            help="Exploratory: allowed before the protocol is locked; labelled EXPLORATORY.",
        ),
    ] = False,
    by: Annotated[
        str | None,
        typer.Option(help="Who asks for it (a username); default: whoever created the trial."),
    ] = None,
) -> None:
    """Run a trial's analysis now from the service's records and each LA's front-door data as
    last imported, printing its progress and the primary estimate; the run is listed on the
    trial's runs page with its report."""
    command: tuple[str, ...] = ("trial_analyse", str(trial_id))
    if exploratory:
        command += ("--exploratory",)
    if by:
        command += ("--by", by)
    _django(command)
