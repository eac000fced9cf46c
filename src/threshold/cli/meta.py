"""`threshold meta`: several trials' results.json pooled for one outcome.

`threshold.analysis.meta` and `threshold.report` (scipy, matplotlib) are imported when the
command runs, not when `threshold` starts.
"""

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from threshold.model import InputError

MSG_NO_FILE = "{path} does not exist: give the results.json that `threshold analyse` wrote"
MSG_NOT_RESULTS = "{path} is not a results.json of `threshold analyse`: {reason}"


def meta(
    results: Annotated[list[Path], typer.Argument(help="Each trial's results.json (two or more).")],
    out: Annotated[Path, typer.Option(help="Directory for results.json and the report.")],
    outcome: Annotated[
        str | None, typer.Option(help="The outcome to pool (default: the primary outcome).")
    ] = None,
    measure: Annotated[
        str, typer.Option(help="glass_delta (default) or coef (same units in every trial).")
    ] = "glass_delta",
    method: Annotated[
        str, typer.Option(help="τ² by reml (default) or dl (DerSimonian–Laird).")
    ] = "reml",
    label: Annotated[
        list[str] | None, typer.Option(help="A name for each trial, in the files' order.")
    ] = None,
) -> None:
    """Pool one outcome's estimates from several trials: fixed and random effects, τ², I², a
    forest plot; writes results.json, report.md/.html/.docx."""
    from threshold.analysis.meta import pool, studies_from_results
    from threshold.report.meta import meta_headline, write_meta_report

    loaded = [_read(path) for path in results]
    name, studies = studies_from_results(
        loaded,
        sources=[str(path) for path in results],
        outcome=outcome,
        measure=measure,  # type: ignore[arg-type]  # validated by studies_from_results
        labels=tuple(label or ()),
    )
    pooled = pool(studies, outcome=name, measure=measure, method=method)  # type: ignore[arg-type]
    out.mkdir(parents=True, exist_ok=True)
    write_meta_report(pooled, out)
    console = Console(highlight=False, soft_wrap=True)
    console.print(meta_headline(pooled))
    console.print(f"wrote {out / 'results.json'} and report.md, report.html, report.docx")


def _read(path: Path) -> dict:
    if not path.is_file():
        raise InputError(MSG_NO_FILE.format(path=path))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(MSG_NOT_RESULTS.format(path=path, reason=error)) from None
    if not isinstance(data, dict) or not isinstance(data.get("estimates"), list):
        raise InputError(MSG_NOT_RESULTS.format(path=path, reason="it has no list of estimates"))
    return data
