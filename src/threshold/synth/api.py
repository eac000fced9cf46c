"""Build a synthetic world and write it as contract files."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from threshold.model import TABLES, DataGap, SessionStatus, SourceCode, write_table
from threshold.synth.config import WorldConfig, school_year_label
from threshold.synth.contacts import build_contacts_and_referrals
from threshold.synth.delivery import (
    build_ad_hoc_support,
    build_costs,
    build_ratings,
    build_sessions,
)
from threshold.synth.population import Population, build_population
from threshold.synth.wellbeing import build_survey_responses

Allocate = Callable[[pd.DataFrame, np.random.Generator], pd.DataFrame]
"""Randomises schools: given the schools table and a generator, returns one row per school with
`unit` (the URN), `block`, `arm`, `random_number` and `order`."""

WITHDRAWAL_DATE = dt.date(2021, 10, 15)


@dataclass(frozen=True)
class World:
    """A synthetic world: every contract table, the settings that made it, and who is who."""

    config: WorldConfig
    tables: dict[str, pd.DataFrame]
    withdrawn_la: str
    la_roles: dict[str, list[str]]

    def summary(self) -> dict[str, object]:
        """Counts of what the world holds, for people and for world.json."""
        tables = self.tables
        contacts = tables["contacts"]
        return {
            "seed": self.config.seed,
            "effects": asdict(self.config.effects),
            "school_years": [school_year_label(y) for y in self.config.school_years],
            "local_authorities": len(tables["local_authorities"]),
            "schools": len(tables["schools"]),
            "treatment_schools": int((tables["allocations"]["arm"] == "treatment").sum()),
            "withdrawn_schools": int(tables["allocations"]["withdrawn_on"].notna().sum()),
            "contacts": len(contacts),
            "contacts_from_schools": int(
                (contacts["cont_contact_source_code"] == SourceCode.SCHOOLS).sum()
            ),
            "referrals": len(tables["referrals"]),
            "sessions_held": int((tables["sessions"]["status"] == SessionStatus.HELD).sum()),
            "survey_responses": len(tables["survey_responses"]),
            "la_roles": self.la_roles,
        }


def synthesise(config: WorldConfig, allocate: Allocate) -> World:
    """Build the world: population, randomisation (by `allocate`), delivery, front door, surveys."""
    rng = np.random.default_rng(config.seed)
    population = build_population(config, rng)
    schools = population.schools
    drawn = allocate(schools, rng)
    allocation = drawn.rename(columns={"unit": "urn"})
    la_of = schools.set_index("urn")["la_code"]
    withdrawn = allocation["urn"].map(la_of).eq(population.roles.withdrawn)
    allocation["withdrawn_on"] = pd.Series(pd.NaT, index=allocation.index, dtype="datetime64[ns]")
    allocation.loc[withdrawn, "withdrawn_on"] = pd.Timestamp(WITHDRAWAL_DATE)
    ssw_of_school = _ssw_of_school(population)
    sessions = build_sessions(schools, allocation, ssw_of_school, config, rng)
    held = sessions[sessions["status"] == SessionStatus.HELD].groupby("urn").size()
    contacts, referrals = build_contacts_and_referrals(
        schools, population.latent, allocation, sessions, config, rng
    )
    contacts, referrals = _apply_gaps(contacts, referrals, population.data_gaps)
    tables = {
        "local_authorities": population.local_authorities,
        "data_gaps": population.data_gaps,
        "schools": schools,
        "contacts": contacts,
        "referrals": referrals,
        "allocations": allocation,
        "ssws": population.ssws,
        "sessions": sessions,
        "ad_hoc_support": build_ad_hoc_support(sessions, rng),
        "delivery_ratings": build_ratings(allocation, sessions, ssw_of_school, rng),
        "survey_responses": build_survey_responses(schools, allocation, held, config, rng),
        "costs": build_costs(
            population.local_authorities, population.ssws, allocation, schools, config, rng
        ),
    }
    roles = population.roles
    return World(
        config=config,
        tables=tables,
        withdrawn_la=roles.withdrawn,
        la_roles={
            "withdrawn": [roles.withdrawn],
            "no_baseline": list(roles.no_baseline),
            "no_all_source_contacts": list(roles.no_all_source),
            "no_referral_outcomes": list(roles.no_referral_nfa),
        },
    )


def write_world(world: World, directory: Path) -> list[Path]:
    """Write every table as a contract file, and world.json (settings and summary)."""
    paths = [write_table(frame, TABLES[name], directory) for name, frame in world.tables.items()]
    summary = directory / "world.json"
    summary.write_text(
        json.dumps(world.summary(), indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return [*paths, summary]


def _ssw_of_school(population: Population) -> pd.Series:
    """Each school's SSW: the LA's SSW, alternating between two where an LA has two."""
    ssws = population.ssws.groupby("la_code")["ssw_id"].apply(sorted)
    schools = population.schools
    order = schools.groupby("la_code").cumcount()
    assigned = [
        ssws[la][k % len(ssws[la])] for la, k in zip(schools["la_code"], order, strict=True)
    ]
    return pd.Series(assigned, index=schools["urn"].to_numpy())


def _apply_gaps(
    contacts: pd.DataFrame, referrals: pd.DataFrame, gaps: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Remove or blank what each LA could not provide, as its export would."""
    year_of = _school_year(contacts["cont_contact_date"])
    drop = pd.Series(False, index=contacts.index)
    for la_code, year, gap in gaps[["la_code", "school_year", "gap"]].itertuples(index=False):
        in_scope = (contacts["cont_la_code"] == la_code) & (year_of == year)
        if gap == DataGap.CONTACTS:
            drop |= in_scope
        elif gap == DataGap.ALL_SOURCE_CONTACTS:
            drop |= in_scope & (contacts["cont_contact_source_code"] != SourceCode.SCHOOLS)
    kept = contacts[~drop].reset_index(drop=True)
    referrals = referrals[referrals["cine_contact_id"].isin(kept["cont_contact_id"])].reset_index(
        drop=True
    )
    contact_date = kept.set_index("cont_contact_id")["cont_contact_date"]
    referral_year = _school_year(referrals["cine_contact_id"].map(contact_date))  # contact's year
    blanked = gaps[gaps["gap"] == DataGap.REFERRAL_OUTCOMES]
    for la_code, year in blanked[["la_code", "school_year"]].itertuples(index=False):
        rows = (referrals["cine_la_code"] == la_code) & (referral_year == year)
        referrals.loc[rows, ["cine_referral_outcome", "cine_close_date"]] = None
    return kept, referrals


def _school_year(dates: pd.Series) -> pd.Series:
    start = dates.dt.year - (dates.dt.month < 9)
    return start.astype(int).map(school_year_label)
