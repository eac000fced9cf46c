"""`threshold web …`: the web service's commands. They run Django management commands, so
this module never imports `threshold.web` (the CLI and the web layer are independent)."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from threshold.model import InputError

DEV_SETTINGS = "threshold.web.config.settings.dev"
MSG_DEVELOPMENT_SETTINGS = (
    f"WARNING: serving with DEVELOPMENT settings ({DEV_SETTINGS}): DEBUG is on (error pages "
    "show code and variables) and the secret key is fixed. Not for production: set "
    "DJANGO_SETTINGS_MODULE=threshold.web.config.settings.production (see docs/web.md)."
)
MSG_SETTINGS = "serving with settings {module}"
MSG_NO_START_ANCHOR = "WARNING: no audit anchor written at start: {error}"
MSG_WORKER_STARTED = (
    "background jobs: a worker (process {pid}) and the scheduler (process {scheduler})"
)
WORKER_STOP_SECONDS = 30

app = typer.Typer(
    help=(
        "The web service: serve it, run its background jobs, create its first administrator, "
        "seed demo data, import schools, publish and verify the audit chain's anchors."
    ),
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
WORKER = ("db_worker", "--queue-name", "*", "--no-reload")
"""django-tasks' database worker: runs every queue's jobs, one at a time, until stopped."""
SCHEDULER = ("jobs_scheduler",)
"""Enqueues the periodic jobs (nightly audit anchor, weekly trial health) when due."""


@app.command("serve")
def serve(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    worker: Annotated[
        bool,
        typer.Option(
            help="Start a background-jobs worker and the scheduler too (--no-worker: run them "
            "apart)."
        ),
    ] = True,
) -> None:
    """Bring the database up to date, publish an audit anchor, start a background-jobs worker
    and the periodic jobs' scheduler, and serve with gunicorn; they stop with the service. Says
    first, on stderr, which settings it uses (loudly when they are development settings)."""
    module = os.environ.get("DJANGO_SETTINGS_MODULE")
    is_development = module in (None, DEV_SETTINGS)
    typer.echo(
        MSG_DEVELOPMENT_SETTINGS if is_development else MSG_SETTINGS.format(module=module), err=True
    )
    _django(MIGRATE)
    try:
        _django(("audit_anchor",))
    except InputError as error:
        typer.echo(MSG_NO_START_ANCHOR.format(error=error), err=True)
    jobs = (
        [
            subprocess.Popen([sys.executable, "-m", "django", *command])
            for command in (WORKER, SCHEDULER)
        ]
        if worker
        else []
    )
    if jobs:
        typer.echo(MSG_WORKER_STARTED.format(pid=jobs[0].pid, scheduler=jobs[1].pid), err=True)
    try:
        _django(("serve", "--port", str(port), "--host", host))
    finally:
        for process in jobs:
            process.terminate()
        for process in jobs:
            try:
                process.wait(timeout=WORKER_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()


@app.command("worker")
def worker() -> None:
    """Run background jobs (imports uploaded in the browser, …) until stopped: for running
    workers apart from `serve --no-worker`, one process each (several on PostgreSQL)."""
    _django(WORKER)


@app.command("scheduler")
def scheduler() -> None:
    """Enqueue the periodic jobs when due, every minute until stopped (for running apart from
    `serve --no-worker`; several schedulers never enqueue a slot twice)."""
    _django(SCHEDULER)


@app.command("seed-demo")
def seed_demo() -> None:
    """Create demo LAs, schools and one user per role (password: THRESHOLD_DEMO_PASSWORD)."""
    _django(MIGRATE, ("seed_demo",))


@app.command("demo-code")
def demo_code(
    username: Annotated[str, typer.Argument(help="A demo user, e.g. la.lead.")],
) -> None:
    """Print the code a demo user's authenticator app shows now (a seed-demo database only)."""
    _django(("demo_code", username))


@app.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Option(help="Their username.")],
    email: Annotated[str, typer.Option(help="Their e-mail address.")],
    first_name: Annotated[str, typer.Option(help="Their first name.")] = "",
    last_name: Annotated[str, typer.Option(help="Their last name.")] = "",
    another: Annotated[
        bool, typer.Option(help="Create one although an administrator exists already.")
    ] = False,
    sign_in_link: Annotated[
        bool, typer.Option(help="Print a one-time link to choose a password, not a prompt.")
    ] = False,
    site_url: Annotated[
        str, typer.Option(help="The address people reach the service at, for the link.")
    ] = "http://127.0.0.1:8000",
) -> None:
    """Create the first system administrator of a new installation: asks for the password
    twice, or prints a one-time sign-in link once (--sign-in-link). Refused while an
    administrator exists, unless --another."""
    names = ("--first-name", first_name, "--last-name", last_name)
    flags = (*(("--another",) if another else ()), *(("--sign-in-link",) if sign_in_link else ()))
    command = ("create_admin", "--username", username, "--email", email, *names, *flags)
    _django(MIGRATE, (*command, "--site-url", site_url))


@app.command("import-organisations")
def import_organisations(
    directory: Annotated[Path, typer.Argument(help="Holds local_authorities.csv and schools.csv.")],
) -> None:
    """Create or update local authorities and schools from data-contract files."""
    _django(MIGRATE, ("organisations_import", str(directory)))


@app.command("audit-verify")
def audit_verify(
    anchor: Annotated[
        str | None,
        typer.Option(help="SEQUENCE:HASH to check instead of the latest published anchor."),
    ] = None,
) -> None:
    """Check the audit chain against the latest published anchor; exit non-zero naming the
    first broken event."""
    _django(("audit_verify", *(("--anchor", anchor) if anchor else ())))


@app.command("audit-anchor")
def audit_anchor() -> None:
    """Publish the audit chain's head to the anchor file and audit contacts (run daily)."""
    _django(("audit_anchor",))


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
