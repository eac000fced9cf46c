"""`threshold costs summarise`: delivery cost per school per year, both ways, from contract
tables, with cover costs and cost per contact avoided."""

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table as RichTable

from threshold.model import InputError

if TYPE_CHECKING:
    import pandas as pd

    from threshold.costs import ContactEffect, CostSummary

MSG_EFFECT_MODES = (
    "give the effect either as --effect-per-school X with --effect-ci LOW:HIGH, or as "
    "--results results.json, not both"
)
MSG_EFFECT_NEEDS_CI = (
    "--effect-per-school and --effect-ci go together: give the effect on contacts per school "
    "per year (treatment − control; a reduction is negative) and its 95% CI as LOW:HIGH"
)
MSG_BAD_CI = "--effect-ci {value!r}: write it as LOW:HIGH, e.g. -3.5:-0.5"
MSG_RESULTS_UNREADABLE = "{path}: not a results.json written by `threshold analyse` ({reason})"

app = typer.Typer(help="Delivery costs per school and per LA.", no_args_is_help=True)


@app.command("summarise")
def summarise_command(
    data: Annotated[
        Path,
        typer.Option(help="Directory of contract tables: costs, allocations, schools (sessions)."),
    ],
    out: Annotated[Path, typer.Option(help="Directory for costs.json, .md, .html and .docx.")],
    effect_per_school: Annotated[
        float | None,
        typer.Option(help="Effect on contacts per school per year, treatment − control."),
    ] = None,
    effect_ci: Annotated[str | None, typer.Option(help="The effect's 95% CI as LOW:HIGH.")] = None,
    results: Annotated[
        Path | None, typer.Option(help="Take the effect from this results.json instead.")
    ] = None,
    outcome: Annotated[
        str, typer.Option(help="With --results: the outcome whose estimate to use.")
    ] = "nfa_contacts",
    cover_rate: Annotated[
        float | None,
        typer.Option(help="Cost of teaching cover, £ per staff hour in held sessions."),
    ] = None,
) -> None:
    """Cost per school per year as total spend ÷ schools assigned and as the simple mean of
    per-LA figures; by LA, category, start-up and recurring; cover; cost per contact avoided."""
    from threshold.pipeline import cost_summary
    from threshold.report import write_cost_report

    if results is not None and (effect_per_school is not None or effect_ci is not None):
        raise InputError(MSG_EFFECT_MODES)
    summary = cost_summary(
        _read_tables(data),
        _read_estimates(results) if results is not None else None,
        outcome,
        source=str(results) if results is not None else "",
        effect=_effect(effect_per_school, effect_ci),
        cover_rate=cover_rate,
    )
    paths = write_cost_report(summary, out)
    _print(summary)
    Console(highlight=False).print(f"wrote {', '.join(str(p) for p in paths)}")


def _read_tables(data: Path) -> "dict[str, pd.DataFrame]":
    """The cost table, allocations and schools in `data`, and sessions when present."""
    from threshold.model import TABLES, read_table

    names = ("costs", "allocations", "schools")
    if (data / TABLES["sessions"].filename).is_file():
        names += ("sessions",)
    return {name: read_table(data, name) for name in names}


def _effect(estimate: float | None, ci: str | None) -> "ContactEffect | None":
    from threshold.costs import ContactEffect

    if estimate is None and ci is None:
        return None
    if estimate is None or ci is None:
        raise InputError(MSG_EFFECT_NEEDS_CI)
    low, _, high = ci.rpartition(":") if ci.count(":") == 1 else ("", "", "")
    try:
        return ContactEffect(estimate, float(low), float(high), source="--effect-per-school")
    except ValueError:
        raise InputError(MSG_BAD_CI.format(value=ci)) from None


def _read_estimates(path: Path) -> list[dict[str, object]]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))["estimates"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InputError(MSG_RESULTS_UNREADABLE.format(path=path, reason=error)) from None


def _print(summary: "CostSummary") -> None:
    table = RichTable(title="Delivery cost per school per year")
    for header in ("Method", "Including central costs", "LA costs only"):
        table.add_column(header)
    table.add_row(
        "Total spend ÷ schools assigned",
        f"£{summary.per_school_pooled:,.0f}",
        f"£{summary.la_only_pooled:,.0f}",
    )
    table.add_row(
        "Simple mean of per-LA figures",
        f"£{summary.per_school_mean_of_las:,.0f}",
        f"£{summary.la_only_mean_of_las:,.0f}",
    )
    console = Console(highlight=False, soft_wrap=True)
    console.print(table)
    console.print(
        f"{summary.schools_assigned} schools assigned to treatment in "
        f"{len(summary.by_la)} LAs. {summary.methods_note}"
    )
    result = summary.per_contact_avoided
    if result is not None:
        console.print(
            f"Cost per contact avoided: £{result.value:,.0f} "
            f"(£{result.ci_low:,.0f} to £{result.ci_high:,.0f})"
            if result.defined
            else f"Cost per contact avoided: {result.reason}"
        )
