"""`threshold web …`: the web service's commands. They run Django management commands, so
this module never imports `threshold.web` (the CLI and the web layer are independent)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from threshold.model import InputError

DEV_SETTINGS = "threshold.web.config.settings.dev"

app = typer.Typer(
    help="The web service: serve it, seed demo data, import schools, verify the audit chain.",
    no_args_is_help=True,
)


def _django(*commands: tuple[str, ...]) -> None:
    """Set Django up (development settings unless DJANGO_SETTINGS_MODULE says otherwise) and
    run management `commands` (name, then arguments as typed) in turn; their errors become
    InputErrors, printed plainly."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEV_SETTINGS)
    import django
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import CommandError, call_command

    try:
        django.setup()
        for command in commands:
            call_command(*command)
    except (CommandError, ImproperlyConfigured) as error:
        raise InputError(str(error)) from error


MIGRATE = ("migrate", "--no-input", "--verbosity", "0")


@app.command("serve")
def serve(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Bring the database up to date and serve the service with gunicorn."""
    _django(MIGRATE, ("serve", "--port", str(port), "--host", host))


@app.command("seed-demo")
def seed_demo() -> None:
    """Create demo LAs, schools and one user per role (password: THRESHOLD_DEMO_PASSWORD)."""
    _django(MIGRATE, ("seed_demo",))


@app.command("import-organisations")
def import_organisations(
    directory: Annotated[Path, typer.Argument(help="Holds local_authorities.csv and schools.csv.")],
) -> None:
    """Create or update local authorities and schools from data-contract files."""
    _django(MIGRATE, ("organisations_import", str(directory)))


@app.command("audit-verify")
def audit_verify(
    anchor: Annotated[
        str | None, typer.Option(help="SEQUENCE:HASH printed by an earlier verification.")
    ] = None,
) -> None:
    """Check the audit chain; exit non-zero naming the first broken event."""
    _django(("audit_verify", *(("--anchor", anchor) if anchor else ())))


@app.command("export-delivery")
def export_delivery(
    directory: Annotated[Path, typer.Argument(help="Where to write the contract tables.")],
) -> None:
    """Write supervision attendance and dosage (sessions, SSWs, allocations) as contract files."""
    _django(MIGRATE, ("delivery_export", str(directory)))


@app.command("import-frontdoor")
def import_frontdoor(
    file: Annotated[Path, typer.Argument(help="The LA's export (.csv, .xlsx or CIN census .xml).")],
    format: Annotated[str, typer.Option("--format", help="ssd | annex-a | cin-xml | mapped")],
    la: Annotated[str, typer.Option("--la", help="The LA's three-digit number.")],
    profile: Annotated[
        Path | None, typer.Option(help="Column-mapping profile (TOML); needed for mapped.")
    ] = None,
) -> None:
    """Import an LA's front-door export into its store and the web service's database."""
    options = ("--profile", str(profile)) if profile is not None else ()
    _django(MIGRATE, ("frontdoor_import", str(file), "--format", format, "--la", la, *options))
