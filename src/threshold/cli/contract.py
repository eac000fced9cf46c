"""`threshold contract …`: the data contract's documentation."""

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="The data contract.", no_args_is_help=True)


@app.command("docs")
def docs(
    out: Annotated[Path, typer.Option(help="Where to write the Markdown.")] = Path(
        "docs/data-contract.md"
    ),
) -> None:
    """Write the data contract as Markdown (docs/data-contract.md)."""
    from threshold.model import contract_markdown

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(contract_markdown(), encoding="utf-8")
    typer.echo(f"wrote {out}")
