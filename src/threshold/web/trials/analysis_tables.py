"""A trial's data-contract tables from the service's records, for its analysis runs.

The units are the trial's schools (`TrialSchool`); the allocation is the enrolments in the
trial's programmes of those schools (each in the programme of its own LA). Delivery (sessions,
SSWs) comes from `threshold.web.programme.exports`, survey responses from
`threshold.web.surveys.exports`, both restricted to the trial's schools and programmes.
Contacts and referrals are not here: they come from each LA's front-door store, at the version
the database records (`trial_stores`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from django.db.models import F, QuerySet

from threshold.frontdoor import Store
from threshold.web.insights.models import FrontDoorImport
from threshold.web.insights.services import authority_state
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.programme.exports import contract_frame, delivery_tables, schools_frame
from threshold.web.programme.models import Enrolment
from threshold.web.surveys.exports import survey_responses_table
from threshold.web.trials.models import Trial
from threshold.web.trials.selectors import trial_authorities

TABLES_READ = (
    "local_authorities",
    "schools",
    "allocations",
    "ssws",
    "sessions",
    "survey_responses",
    "data_gaps",
)
"""The tables `trial_tables` returns (data_gaps is empty: the service does not record them)."""


@dataclass(frozen=True)
class StoreCut:
    """One LA's front-door store as an analysis reads it: opened at the version the database
    records, with when that version was imported (None before any import)."""

    la_code: str
    store: Store | None
    version: str
    imported_at: str | None


def trial_enrolments(trial: Trial) -> QuerySet[Enrolment]:
    """The allocation: the enrolments of the trial's schools in the trial's programmes, each
    in the programme of the school's own LA."""
    return Enrolment.objects.filter(
        programme__in=trial.programmes.all(),
        school__trial_units__trial=trial,
        programme__authority=F("school__authority"),
    )


def trial_tables(trial: Trial) -> dict[str, pd.DataFrame]:
    """The contract tables of `trial` from the service's records (see the module's words)."""
    enrolments = trial_enrolments(trial)
    tables = delivery_tables(enrolments)
    units = School.objects.filter(trial_units__trial=trial)
    tables["schools"] = schools_frame(units)
    authorities = LocalAuthority.objects.filter(schools__trial_units__trial=trial).distinct()
    tables["local_authorities"] = contract_frame(
        "local_authorities",
        [
            {"la_code": la.la_code, "la_name": la.name, "region": la.region or None}
            for la in authorities.order_by("la_code")
        ],
    )
    responses = survey_responses_table(programmes=trial.programmes.all())
    urns = set(units.values_list("urn", flat=True))
    tables["survey_responses"] = responses[responses["urn"].isin(urns)].reset_index(drop=True)
    tables["data_gaps"] = contract_frame("data_gaps", [])
    return {name: tables[name] for name in TABLES_READ}


def trial_stores(trial: Trial) -> list[StoreCut]:
    """Each of the trial's LAs' front-door stores, opened at the version the database records."""
    cuts = []
    for authority in sorted(trial_authorities(trial), key=lambda la: la.la_code):
        store = authority_state(authority)
        latest = (
            FrontDoorImport.objects.filter(authority=authority)
            .exclude(store_version="")
            .order_by("-imported_at", "-pk")
            .first()
        )
        cuts.append(
            StoreCut(
                la_code=authority.la_code,
                store=store,
                version=store.version if store is not None else "",
                imported_at=latest.imported_at.isoformat() if latest is not None else None,
            )
        )
    return cuts
