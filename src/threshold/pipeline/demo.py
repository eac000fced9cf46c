"""The demo's main job on a synthetic world: each LA's messy export is imported into its own
front-door store (linkage and quarantine), and the pipeline analyses what the stores hold, with
schools, allocations, delivery, surveys and costs from the world's other tables. The same
analysis of the world's clean contacts and referrals says how far the imports moved it."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

from threshold.analysis import Estimate
from threshold.frontdoor import Store, import_export, load_profile
from threshold.model import InputError, check_directory
from threshold.pipeline.api import PipelineConfig, PipelineResult, Progress, run_pipeline
from threshold.synth import (
    MESSY_PROFILE,
    World,
    WorldConfig,
    synthesise,
    write_messy_exports,
    write_referral_extracts,
    write_world,
)
from threshold.trial import LEDGER_NAME, lock_protocol, randomise_as_evaluated, template

MSG_WORLD_CONTRACT = (
    "the synthetic world in {path} breaks the data contract ({count} violations); the first: "
    "{first}"
)
TRUTH_NOTE = (
    "Against the synthetic world's truth: the LAs' exports held {records:,} records, of which "
    "{quarantined:,} were quarantined; the stores hold {contacts:,} contacts "
    "and {referrals:,} referrals where the world has {true_contacts:,} and "
    "{true_referrals:,} (an export without contact ids cannot tell a respelt repeat from a "
    "second contact); {right:.2%} of automatic school links were to the true school "
    "({checked:,} checked, in the exports that carry contact ids). The same analysis of the "
    "world's clean contacts and referrals gives a primary coefficient of {coef:.4g} (Glass's "
    "Δ {delta:.3f}, 95% CI {low:.3f} to {high:.3f})."
)


@dataclass(frozen=True)
class FrontDoorCheck:
    """What the imports did to the world's contacts and referrals, against the truth."""

    stores: tuple[Path, ...]
    records: int
    quarantined: int
    contacts: int
    referrals: int
    linked: dict[str, int]
    links_checked: int
    links_right: float
    seconds: float


@dataclass(frozen=True)
class DemoResult:
    """The world, the imports, the primary estimate on the world's clean contacts and
    referrals (`truth`), and the pipeline's run on the stores (`imported`)."""

    world: World
    world_dir: Path
    files: int
    front_door: FrontDoorCheck
    protocol: Path
    truth: Estimate
    imported: PipelineResult


def build_world(config: WorldConfig, out: Path, *, messy: bool) -> tuple[World, list[Path]]:
    """Synthesise a world with the evaluation's randomisation and write it; with `messy`, also
    each LA's contacts as its system exports them and its referrals as an SSD extract."""
    world = synthesise(config, randomise_as_evaluated)
    paths = write_world(world, out)
    if messy:
        rng = np.random.default_rng([config.seed, 1])
        tables = world.tables
        paths += write_messy_exports(tables["contacts"], tables["schools"], out / "messy", rng)
        paths += write_referral_extracts(tables["referrals"], out / "messy")
    return world, paths


def run_demo(
    out: Path, config: WorldConfig | None = None, progress: Progress | None = None
) -> DemoResult:
    """Synthesise (by `config`, default the evaluation's scale) and check a world, import its
    exports, lock the evaluation's protocol, and analyse the imported data (report in
    `out`/report) and, for comparison, the world's clean data."""
    tell = progress or (lambda stage, fraction: None)
    tell("world", 0.0)
    world_dir = out / "world"
    world, paths = build_world(config or WorldConfig(), world_dir, messy=True)
    violations = check_directory(world_dir)
    if violations:
        raise InputError(
            MSG_WORLD_CONTRACT.format(path=world_dir, count=len(violations), first=violations[0])
        )
    tell("imports", 0.2)
    front_door = import_exports(world, world_dir / "messy", out / "frontdoor")
    protocol = out / "protocol.toml"
    protocol.write_text(template(), encoding="utf-8")
    (out / LEDGER_NAME).unlink(missing_ok=True)
    lock_protocol(protocol, software=f"threshold {version('threshold')}")
    tell("clean data", 0.4)
    truth = run_pipeline(PipelineConfig(protocol=protocol, tables=world.tables, draws=0))
    primary = truth.primary
    note = TRUTH_NOTE.format(
        records=front_door.records,
        quarantined=front_door.quarantined,
        contacts=front_door.contacts,
        referrals=front_door.referrals,
        true_contacts=len(world.tables["contacts"]),
        true_referrals=len(world.tables["referrals"]),
        right=front_door.links_right,
        checked=front_door.links_checked,
        coef=primary.coef,
        delta=primary.glass_delta,
        low=primary.glass_ci_low,
        high=primary.glass_ci_high,
    )
    imported = run_pipeline(
        PipelineConfig(
            protocol=protocol,
            tables=world_dir,
            stores=front_door.stores,
            out=out / "report",
            data_notes=(note,),
        ),
        lambda stage, fraction: tell(stage, 0.5 + fraction / 2),
    )
    return DemoResult(
        world=world,
        world_dir=world_dir,
        files=len(paths),
        front_door=front_door,
        protocol=protocol,
        truth=primary,
        imported=imported,
    )


def import_exports(world: World, exports: Path, stores: Path) -> FrontDoorCheck:
    """Import each LA's contacts (linking school names to the world's schools) and referrals
    into a fresh store per LA under `stores`, and check the automatic links against
    `exports`/truth.csv."""
    shutil.rmtree(stores, ignore_errors=True)
    started = time.perf_counter()
    register = world.tables["schools"]
    profile = load_profile(MESSY_PROFILE)
    parts = []
    directories = []
    for path in sorted(exports.glob("contacts_*.csv")):
        la_code = path.stem.removeprefix("contacts_")
        store = stores / la_code
        directories.append(store)
        parts += import_export(
            path,
            format="mapped",
            la_code=la_code,
            store=store,
            profile=profile,
            register=register,
        ).parts
        referrals = exports / f"referrals_{la_code}.csv"
        if referrals.is_file():
            parts += import_export(referrals, format="ssd", la_code=la_code, store=store).parts
    truth = pd.read_csv(exports / "truth.csv", dtype={"la_code": str, "cont_contact_id": str})
    truth["cont_contact_id"] = truth["la_code"] + "-" + truth["cont_contact_id"]
    read = [Store(store) for store in directories]
    contacts = pd.concat([store.table("contacts") for store in read])
    linked = contacts.dropna(subset=["cont_source_school_urn"])
    checked = linked.merge(truth.drop_duplicates("cont_contact_id"), on="cont_contact_id")
    return FrontDoorCheck(
        stores=tuple(directories),
        records=sum(part.records for part in parts),
        quarantined=sum(part.quarantined for part in parts),
        contacts=len(contacts),
        referrals=sum(len(store.table("referrals")) for store in read),
        linked={k: sum(p.linked.get(k, 0) for p in parts) for k in ("auto", "review", "none")},
        links_checked=len(checked),
        links_right=float((checked["cont_source_school_urn"] == checked["urn"]).mean()),
        seconds=time.perf_counter() - started,
    )
