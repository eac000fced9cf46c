"""Writes of local authorities and schools."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pandas as pd
from django.db import transaction

from threshold.web.audit.models import AuditAction
from threshold.web.audit.services import Actor, record_event
from threshold.web.organisations.models import LocalAuthority, School

MSG_MISSING_COLUMNS = "{table}: the table lacks the contract columns {columns}"
MSG_UNKNOWN_AUTHORITY = (
    "schools row {row}: la_code {la_code!r} (school {urn}) is not in local_authorities; "
    "add the local authority or correct the code"
)
AUTHORITY_COLUMNS = ("la_code", "la_name")
SCHOOL_COLUMNS = ("urn", "name", "la_code", "phase")


@dataclass(frozen=True)
class ImportCounts:
    """How many rows an import created, updated and left unchanged."""

    authorities_created: int
    authorities_updated: int
    authorities_unchanged: int
    schools_created: int
    schools_updated: int
    schools_unchanged: int


def _require_columns(frame: pd.DataFrame, table: str, columns: tuple[str, ...]) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(MSG_MISSING_COLUMNS.format(table=table, columns=missing))


def _text(value: object) -> str:
    return "" if pd.isna(value) else str(value)


def _figures(row: object) -> dict[str, object]:
    """A school's pupils on roll and % FSM, where the table has those columns (blank: None)."""
    figures: dict[str, object] = {}
    for name, kind in (("pupils_on_roll", int), ("pct_fsm", float)):
        if hasattr(row, name):
            value = getattr(row, name)
            figures[name] = None if pd.isna(value) else kind(value)
    return figures


@transaction.atomic
def organisations_import(
    *, local_authorities: pd.DataFrame, schools: pd.DataFrame, by: Actor
) -> ImportCounts:
    """Create or update LAs and schools from contract tables; all rows or none, idempotent.

    One audit event per local authority in which something changed records what changed.
    """
    _require_columns(local_authorities, "local_authorities", AUTHORITY_COLUMNS)
    _require_columns(schools, "schools", SCHOOL_COLUMNS)
    counts = Counter[str]()
    changed_in: dict[str, Counter[str]] = {}
    for row in local_authorities.itertuples(index=False):
        values = {"name": str(row.la_name), "region": _text(getattr(row, "region", None))}
        outcome = _upsert(LocalAuthority, {"la_code": str(row.la_code)}, values)
        counts[f"authorities_{outcome}"] += 1
        changed_in.setdefault(str(row.la_code), Counter())[f"authority_{outcome}"] += 1
    authorities = {la.la_code: la for la in LocalAuthority.objects.all()}
    for number, row in enumerate(schools.itertuples(index=False), start=1):
        la_code = str(row.la_code)
        if la_code not in authorities:
            raise ValueError(MSG_UNKNOWN_AUTHORITY.format(row=number, la_code=la_code, urn=row.urn))
        values = {
            "name": str(row.name),
            "authority": authorities[la_code],
            "phase": str(row.phase),
            **_figures(row),
        }
        outcome = _upsert(School, {"urn": int(row.urn)}, values)
        counts[f"schools_{outcome}"] += 1
        changed_in.setdefault(la_code, Counter())[f"schools_{outcome}"] += 1
    for la_code, tally in sorted(changed_in.items()):
        detail = {key: n for key, n in sorted(tally.items()) if not key.endswith("unchanged")}
        if detail:
            record_event(
                by=by,
                action=AuditAction.IMPORT,
                object_type="organisations.localauthority",
                object_id=la_code,
                authority_code=la_code,
                detail=detail,
            )
    return ImportCounts(**{field: counts[field] for field in ImportCounts.__dataclass_fields__})


def _upsert(
    model: type[LocalAuthority | School], key: dict[str, object], values: dict[str, object]
) -> str:
    """Create or update one row; say which ("created", "updated" or "unchanged")."""
    instance = model.objects.filter(**key).first()
    if instance is None:
        model.objects.create(**key, **values)
        return "created"
    differs = {name: value for name, value in values.items() if getattr(instance, name) != value}
    for name, value in differs.items():
        setattr(instance, name, value)
    if differs:
        instance.save(update_fields=list(differs))
        return "updated"
    return "unchanged"
