"""The main job as one path: front-door stores (or contract tables) -> measures for the
protocol's outcomes -> the analysis dataset with delivery and surveys -> the locked protocol's
analysis -> the report. Called by the CLI, the web's jobs and notebooks."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import pandas as pd

from threshold.analysis import Estimate, Results, analyse_protocol
from threshold.costs import ContactEffect, CostSummary, summarise_costs
from threshold.frontdoor import Store
from threshold.model import TABLES, InputError, read_table
from threshold.pipeline.summary import DataSummary, summarise_data
from threshold.report import TableView, cost_views, data_view, write_report
from threshold.trial import load_protocol, require_locked

MSG_OUT = "{path}: cannot write the results there ({reason}); choose a writable directory"
MSG_RESULTS_NO_OUTCOME = (
    "{path} has no primary or secondary estimate for outcome {outcome!r}; give --outcome as one "
    "of: {names}"
)
MSG_NO_CONTACTS = (
    "no front-door data: give the stores the LAs' exports were imported into, or contract "
    "tables with contacts.csv and referrals.csv"
)
MSG_SAME_RECORDS = (
    "{count:,} {table} are in more than one of the stores (for example {example}); give each "
    "store once"
)
FRONT_DOOR_TABLES = ("contacts", "referrals")
STAGES = ("protocol", "front door", "analysis", "report", "done")
"""The stages `progress` hears about, in order (`report` only when there is an `out`);
`analysis` covers the measures, the analysis dataset and the models."""
ANALYSES = ("primary", "secondary")

Progress = Callable[[str, float], None]
"""Told each stage's name and the fraction of the job done when the stage starts (1.0: done)."""
Tables = Path | Mapping[str, pd.DataFrame]


@dataclass(frozen=True, kw_only=True)
class PipelineConfig:
    """What one run of the main job reads and where it writes.

    `tables`: the contract tables from the trial's other systems (schools, allocations,
    data_gaps; sessions, ssws, ad_hoc_support, survey_responses and costs where the protocol or
    the report uses them), as a directory of contract CSVs or as frames by table name.
    `stores`: front-door store directories (one per LA, or one holding several), each read at
    its current version, or `Store`s already opened at the version to read (as the web service
    does, at the version its database records); contacts and referrals are read from them and
    never from `tables`. Without stores they come from `tables`.
    `out`: where results.json and the report go; None writes nothing.
    `draws`: re-randomisations for the primary outcome's randomisation inference (0: none).
    `data_notes`: sentences the report's data section adds after its table.
    """

    protocol: Path
    tables: Tables
    stores: tuple[Path | Store, ...] = ()
    out: Path | None = None
    exploratory: bool = False
    draws: int = 10_000
    data_notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        stores = tuple(s if isinstance(s, Store) else Path(s) for s in self.stores)
        object.__setattr__(self, "stores", stores)


@dataclass(frozen=True)
class PipelineResult:
    """The analysis's results, what the data were (per LA), and the files written."""

    results: Results
    data: DataSummary
    files: tuple[Path, ...] = field(default=())

    @property
    def primary(self) -> Estimate:
        return self.results.primary

    def tidy(self) -> pd.DataFrame:
        """One row per estimate (as `Results.tidy`)."""
        return self.results.tidy()

    def to_dict(self) -> dict[str, object]:
        return {
            "results": self.results.to_dict(),
            "data": self.data.to_dict(),
            "files": [str(path) for path in self.files],
        }


def run_pipeline(config: PipelineConfig, progress: Progress | None = None) -> PipelineResult:
    """Check the protocol's lock, gather the front-door records, analyse, and write the report
    (with its data section, and the costs when `tables` has them) into `config.out`."""
    tell = progress or (lambda stage, fraction: None)
    if config.out is not None:
        check_out(config.out)
    tell("protocol", 0.0)
    protocol = load_protocol(config.protocol)
    lock = require_locked(config.protocol, exploratory=config.exploratory)
    tell("front door", 0.1)
    opened = tuple(open_store(store) for store in config.stores)  # each read as one version
    tables = gather(config.tables, opened)
    data = summarise_data(tables, opened, _source(config))
    tell("analysis", 0.3)
    results = analyse_protocol(
        tables, protocol, lock, software=f"threshold {version('threshold')}", draws=config.draws
    )
    files: tuple[Path, ...] = ()
    if config.out is not None:
        tell("report", 0.8)
        extra = [data_view(data.tidy(), data.source, config.data_notes)]
        if "costs" in tables:  # the cost table joins the report
            estimates = [estimate.to_dict() for estimate in results.estimates]
            extra += cost_views(
                cost_summary(tables, estimates, results.primary.outcome, source="this analysis")
            )
        files = tuple(write_outputs(results, config.out, extra))
    tell("done", 1.0)
    return PipelineResult(results=results, data=data, files=files)


def gather(source: Tables, stores: Sequence[Store] = ()) -> dict[str, pd.DataFrame]:
    """The contract tables of `source` (a directory is read and checked against the contract),
    with contacts and referrals from the front-door `stores` when any are given."""
    skip = FRONT_DOOR_TABLES if stores else ()
    if isinstance(source, Path):
        tables = {
            name: read_table(source, name)
            for name in TABLES
            if name not in skip and (source / TABLES[name].filename).is_file()
        }
    else:
        tables = {name: frame for name, frame in source.items() if name not in skip}
    for name in FRONT_DOOR_TABLES if stores else ():
        table = pd.concat([store.table(name) for store in stores], ignore_index=True)
        repeated = table[TABLES[name].key[0]].loc[lambda ids: ids.duplicated()]
        if len(repeated):
            raise InputError(
                MSG_SAME_RECORDS.format(count=len(repeated), table=name, example=repeated.iloc[0])
            )
        tables[name] = table
    if not all(name in tables for name in FRONT_DOOR_TABLES):
        raise InputError(MSG_NO_CONTACTS)
    return tables


def cost_summary(
    tables: Mapping[str, pd.DataFrame],
    estimates: list[dict[str, object]] | None,
    outcome: str,
    *,
    source: str = "",
    effect: ContactEffect | None = None,
    cover_rate: float | None = None,
) -> CostSummary:
    """The delivery costs in `tables` (costs, allocations, schools; sessions when present), with
    cost per contact avoided taken from `effect`, or from `outcome`'s estimate among
    `estimates` (results.json's), when given."""
    if estimates is not None:
        effect = contact_effect(
            estimates, outcome, tables["allocations"], tables["schools"], source=source
        )
    return summarise_costs(
        tables["costs"],
        tables["allocations"],
        tables["schools"],
        sessions=tables.get("sessions"),
        cover_rate=cover_rate,
        effect=effect,
    )


def contact_effect(
    estimates: list[dict[str, object]],
    outcome: str,
    allocations: pd.DataFrame,
    schools: pd.DataFrame,
    *,
    source: str,
) -> ContactEffect:
    """The outcome's ITT estimate (from results.json's estimates) as contacts per school: a
    per-pupil estimate times the mean pupils on roll of the schools allocated and not
    withdrawn."""
    chosen = [e for e in estimates if e["outcome"] == outcome and e["analysis"] in ANALYSES]
    if not chosen:
        names = sorted({str(e["outcome"]) for e in estimates if e["analysis"] in ANALYSES})
        raise InputError(
            MSG_RESULTS_NO_OUTCOME.format(path=source, outcome=outcome, names=", ".join(names))
        )
    estimate = chosen[0]
    scale, described = 1.0, f"{source}: {outcome} ({estimate['analysis']})"
    if estimate.get("pct_point") is not None:  # a per-pupil rate
        active = allocations.loc[allocations["withdrawn_on"].isna(), "urn"]
        scale = float(schools.set_index("urn")["pupils_on_roll"].reindex(active).mean())
        described += f", per pupil × {scale:,.0f} mean pupils on roll"
    return ContactEffect(
        estimate["coef"] * scale,
        estimate["ci_low"] * scale,
        estimate["ci_high"] * scale,
        source=described,
    )


def open_store(store: Path | Store) -> Store:
    """`store` opened at its current version, or as given when already opened."""
    return store if isinstance(store, Store) else Store(store)


def _source(config: PipelineConfig) -> str:
    if config.stores:
        directories = [s.directory if isinstance(s, Store) else s for s in config.stores]
        parents = {directory.parent for directory in directories}
        if len(parents) == 1 and len(directories) > 1:
            names = ", ".join(directory.name for directory in directories)
            return f"the front-door stores in {parents.pop()} ({names})"
        return "the front-door stores " + ", ".join(str(d) for d in directories)
    if isinstance(config.tables, Path):
        return f"the contract tables in {config.tables}"
    return "the contract tables given"


def check_out(out: Path) -> None:
    """Refuse, before any work, an output directory that cannot be written: a file, or in a
    place without write permission."""
    existing = next(path for path in (out, *out.absolute().parents) if path.exists())
    if not existing.is_dir():
        raise InputError(MSG_OUT.format(path=out, reason=f"{existing} is a file"))
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(MSG_OUT.format(path=out, reason=f"{existing} is not writable"))


def write_outputs(
    results: Results, out: Path, extra_tables: Sequence[TableView] = ()
) -> list[Path]:
    """Write results.json and the report into `out`, or say why they cannot be written."""
    try:
        return write_report(results, out, extra_tables)
    except OSError as error:
        raise InputError(MSG_OUT.format(path=out, reason=error.strerror or error)) from None
