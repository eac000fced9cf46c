"""`threshold measures build`: the school × period outcome table from contract tables."""

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table as RichTable

from threshold.model import FRONT_DOOR_MEASURES, InputError, OutcomeMeasure

if TYPE_CHECKING:
    import pandas as pd

    from threshold.measures import MeasureSpec
    from threshold.trial import Protocol

MSG_MODES = (
    "give either --protocol P.toml, or --measure NAME with --window START:END or "
    "--school-year YYYY/YY (and --observed-by DATE for referral_nfa), not both"
)
MSG_NO_PERIOD = "--measure needs a period: --window START:END (ISO dates) or --school-year YYYY/YY"
MSG_UNKNOWN_MEASURE = "--measure {value!r} is not a front-door measure; use one of: {names}"
MSG_BAD_WINDOW = (
    "--window {value!r}: write it as START:END in ISO dates, e.g. 2023-09-01:2024-02-29"
)
MSG_BAD_DATE = "--observed-by {value!r}: write the date as YYYY-MM-DD"
MSG_NEEDS_OBSERVED_BY = (
    "--measure referral_nfa needs --observed-by DATE: referrals count as ended in NFA only if "
    "that was decided by then (the evaluation used 31 July)"
)
MSG_NO_FRONT_DOOR = "{path} has no front-door outcome to measure; give --measure NAME instead"

TABLE_NAMES = ("schools", "contacts", "referrals", "data_gaps")

app = typer.Typer(
    help="Per-school, per-period outcome measures from contacts and referrals.",
    no_args_is_help=True,
)


@app.command("build")
def build_command(
    data: Annotated[
        Path,
        typer.Option(help="Directory of contract tables: schools, contacts, referrals, data_gaps."),
    ],
    out: Annotated[
        Path, typer.Option(help="The long CSV to write (one row a measure, period, school).")
    ],
    protocol: Annotated[
        Path | None, typer.Option(help="Measure this protocol's outcomes over its windows.")
    ] = None,
    measure: Annotated[
        list[str] | None,
        typer.Option(
            help=f"A measure (repeatable): {', '.join(m.value for m in FRONT_DOOR_MEASURES)}."
        ),
    ] = None,
    window: Annotated[
        list[str] | None,
        typer.Option(help="A period START:END, ISO dates, inclusive (repeatable)."),
    ] = None,
    school_year: Annotated[
        list[str] | None,
        typer.Option(help="A school year, 2023/24: 1 September to 31 July (repeatable)."),
    ] = None,
    observed_by: Annotated[
        str | None, typer.Option(help="For referral_nfa: count NFA decided by this date.")
    ] = None,
) -> None:
    """Count each measure per school and period, with per-pupil rates; an LA's data gaps make a
    measure missing (with the reason), never zero."""
    from threshold.measures import MEASURE_COLUMNS, build_measures
    from threshold.model import read_table
    from threshold.trial import load_protocol

    explicit = bool(measure or window or school_year or observed_by)
    if explicit == (protocol is not None):  # neither way, or both
        raise InputError(MSG_MODES)
    if protocol is not None:
        specs = protocol_specs(load_protocol(protocol))
        if not specs:
            raise InputError(MSG_NO_FRONT_DOOR.format(path=protocol))
    else:
        specs = chosen_specs(measure or [], window or [], school_year or [], observed_by)
    tables = {name: read_table(data, name) for name in TABLE_NAMES}
    built = build_measures(
        tables["schools"], tables["contacts"], tables["referrals"], tables["data_gaps"], specs
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    built.loc[:, list(MEASURE_COLUMNS)].to_csv(
        out, index=False, date_format="%Y-%m-%d", lineterminator="\n"
    )
    _print_summary(built, out)


def protocol_specs(protocol: "Protocol") -> "list[tuple[str, MeasureSpec]]":
    """Each front-door outcome over its window and baseline window, as the analysis measures it,
    and the primary outcome over each `windows` subgroup's window and the same a year earlier."""
    from threshold.measures import MeasureSpec

    specs: dict[tuple[str, dt.date, dt.date], MeasureSpec] = {}
    for outcome in protocol.outcomes:
        if outcome.measure not in FRONT_DOOR_MEASURES:
            continue
        windows = [w for w in (outcome.window, outcome.baseline_window) if w is not None]
        if outcome is protocol.primary and outcome.window and outcome.baseline_window:
            lag = outcome.window[0] - outcome.baseline_window[0]
            for subgroup in protocol.subgroups:
                if subgroup.kind != "windows":
                    continue
                for first, last in subgroup.settings["windows"]:
                    start, end = dt.date.fromisoformat(str(first)), dt.date.fromisoformat(str(last))
                    windows += [(start, end), (start - lag, end - lag)]
        for start, end in windows:
            specs[(outcome.name, start, end)] = MeasureSpec(
                outcome.measure, start, end, outcome.per_pupil, outcome.observed_by
            )
    return [(name, spec) for (name, _, _), spec in specs.items()]


def chosen_specs(
    measures: list[str], windows: list[str], school_years: list[str], observed_by: str | None
) -> "list[tuple[str, MeasureSpec]]":
    """Every named measure over every period given on the command line."""
    from threshold.measures import MeasureSpec, school_year_window

    names = [m.value for m in FRONT_DOOR_MEASURES]
    for value in measures:
        if value not in names:
            raise InputError(MSG_UNKNOWN_MEASURE.format(value=value, names=", ".join(names)))
    if not measures:
        raise InputError(MSG_MODES)
    periods = [school_year_window(label) for label in school_years]
    periods += [_window(value) for value in windows]
    if not periods:
        raise InputError(MSG_NO_PERIOD)
    cut_off = _date(observed_by) if observed_by else None
    if cut_off is None and OutcomeMeasure.REFERRAL_NFA.value in measures:
        raise InputError(MSG_NEEDS_OBSERVED_BY)
    return [
        (name, MeasureSpec(OutcomeMeasure(name), start, end, observed_by=cut_off))
        for name in dict.fromkeys(measures)
        for start, end in dict.fromkeys(periods)
    ]


def _window(value: str) -> tuple[dt.date, dt.date]:
    first, colon, last = value.partition(":")
    try:
        if not colon:
            raise ValueError(value)
        return dt.date.fromisoformat(first.strip()), dt.date.fromisoformat(last.strip())
    except ValueError:
        raise InputError(MSG_BAD_WINDOW.format(value=value)) from None


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(MSG_BAD_DATE.format(value=value)) from None


def _print_summary(built: "pd.DataFrame", out: Path) -> None:
    console = Console(highlight=False, soft_wrap=True)
    missing = built["missing_reason"].notna()
    console.print(
        f"{built['urn'].nunique():,} schools × {built['period'].nunique()} period(s) × "
        f"{built['name'].nunique()} measure(s): {len(built):,} rows, {int(missing.sum()):,} "
        f"missing. Wrote {out}."
    )
    table = RichTable("measure", "period", "schools", "missing", "mean value")
    for (name, period), rows in built.groupby(["name", "period"], sort=False):
        table.add_row(
            str(name),
            str(period),
            f"{len(rows):,}",
            f"{int(rows['missing_reason'].notna().sum()):,}",
            f"{rows['value'].astype(float).mean():.4g}",
        )
    console.print(table)
    if missing.any():
        why = RichTable("missing because", "rows")
        for reason, rows in built.loc[missing, "missing_reason"].value_counts().items():
            why.add_row(str(reason), f"{rows:,}")
        console.print(why)
