"""`threshold validate DIR`: check a directory of contract files."""

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from threshold.model import InputError

MSG_NOT_A_DIRECTORY = "{path} is not a directory of contract files"


def validate(
    directory: Annotated[
        Path, typer.Argument(help="Directory holding contract tables (<table>.csv).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the violations as JSON.")] = False,
) -> None:
    """Check every contract file in DIRECTORY and report every violation (file, row, field, reason).

    Exits 0 only when everything is valid, 1 when there are violations.
    """
    from threshold.model import check_directory

    if not directory.is_dir():
        raise InputError(MSG_NOT_A_DIRECTORY.format(path=directory))
    violations = check_directory(directory)
    files = sorted(p.name for p in directory.glob("*.csv"))
    if as_json:
        print(
            json.dumps(
                {
                    "valid": not violations,
                    "files": files,
                    "violations": [
                        {"file": v.file, "row": v.row, "field": v.field, "reason": v.reason}
                        for v in violations
                    ],
                },
                indent=2,
            )
        )
    else:
        console = Console(highlight=False, soft_wrap=True)
        for violation in violations:
            console.print(str(violation), markup=False)
        if violations:
            console.print(f"[red]{len(violations)} violation(s) in {len(files)} file(s).[/]")
        else:
            console.print(f"[green]{len(files)} file(s) valid:[/] {', '.join(files)}")
    if violations:
        raise typer.Exit(1)
