"""`threshold qed compare|example`: quasi-experimental comparisons of trained and comparison DSLs.

`threshold.qed` and `threshold.report` (statsmodels, matplotlib) are imported when a command
runs, not when `threshold` starts.
"""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from threshold.model import InputError

if TYPE_CHECKING:
    import pandas as pd

MSG_NO_FILE = "{path} does not exist: give the CSV of one row per DSL (or school)"
MSG_UNREADABLE = "{path} could not be read as CSV: {reason}"

app = typer.Typer(
    help="Quasi-experimental comparisons: trained vs comparison DSLs, savings at roll-out.",
    no_args_is_help=True,
)


@app.command("compare")
def compare_command(
    units: Annotated[Path, typer.Argument(help="CSV, one row per DSL (or school).")],
    group: Annotated[str, typer.Option(help="Column naming each unit's group.")],
    treated: Annotated[str, typer.Option(help="The value of --group that marks trained units.")],
    count: Annotated[str, typer.Option(help="Column of (non-urgent) contacts.")],
    exposure: Annotated[str, typer.Option(help="Column of exposure, e.g. DSL-years.")],
    out: Annotated[Path, typer.Option(help="Directory for results.json and the report.")],
    unit: Annotated[
        str | None, typer.Option(help="Column of unit ids (one row each; clusters for DiD).")
    ] = None,
    comparison: Annotated[
        str | None,
        typer.Option(help="The value of --group compared (needed with 3+ groups)."),
    ] = None,
    any_threshold: Annotated[
        int, typer.Option(help="A unit 'made contact' with at least this many contacts.")
    ] = 1,
    covariate: Annotated[
        list[str] | None, typer.Option(help="A covariate column (repeatable).")
    ] = None,
    weighting: Annotated[
        str, typer.Option(help="none, ipw or entropy: weight comparison units on covariates.")
    ] = "none",
    model: Annotated[str, typer.Option(help="poisson or negbin.")] = "poisson",
    earlier_count: Annotated[
        str | None, typer.Option(help="Column of earlier-period contacts (for DiD).")
    ] = None,
    earlier_exposure: Annotated[
        str | None, typer.Option(help="Column of earlier-period exposure (for DiD).")
    ] = None,
    rollout: Annotated[
        float | None, typer.Option(help="Number of DSLs (or schools) at full roll-out.")
    ] = None,
    cost_per_call: Annotated[float | None, typer.Option(help="Cost of one contact (£).")] = None,
    any_method: Annotated[
        str, typer.Option(help="Interval for the any-contact difference: newcombe or wald.")
    ] = "newcombe",
    seed: Annotated[int, typer.Option(help="Seed of the savings simulation.")] = 0,
) -> None:
    """Rates, the rate ratio with robust CI, the any-contact difference, and optionally DiD,
    covariate weighting and savings; writes results.json, report.md/.html/.docx."""
    from threshold.qed import compare

    results = compare(
        _read(units),
        group=group,
        treated=treated,
        count=count,
        exposure=exposure,
        unit=unit,
        comparison=comparison,
        covariates=tuple(covariate or ()),
        model=model,  # type: ignore[arg-type]  # validated by compare
        weighting=weighting,  # type: ignore[arg-type]
        earlier_count=earlier_count,
        earlier_exposure=earlier_exposure,
        rollout=rollout,
        cost_per_call=cost_per_call,
        any_threshold=any_threshold,
        any_method=any_method,  # type: ignore[arg-type]
        seed=seed,
    )
    _write(results, out)


@app.command("example")
def example_command(
    out: Annotated[Path, typer.Option(help="Directory for the records, results and report.")],
) -> None:
    """The Warwickshire evaluation reproduced from DSL-level records (see docs/qed.md)."""
    from threshold.qed import run_example

    records, results = run_example()
    out.mkdir(parents=True, exist_ok=True)
    records.to_csv(out / "dsl_records.csv", index=False)
    _write(results, out)


def _read(path: Path) -> "pd.DataFrame":
    import pandas as pd

    if not path.is_file():
        raise InputError(MSG_NO_FILE.format(path=path))
    try:
        return pd.read_csv(path)
    except (ValueError, UnicodeDecodeError) as error:
        raise InputError(MSG_UNREADABLE.format(path=path, reason=error)) from error


def _write(results, out: Path) -> None:
    from threshold.report.qed import qed_headline, write_qed_report

    out.mkdir(parents=True, exist_ok=True)
    write_qed_report(results, out)
    console = Console(highlight=False, soft_wrap=True)
    console.print(qed_headline(results))
    console.print(f"wrote {out / 'results.json'} and report.md, report.html, report.docx")
