"""Writes of local authorities and schools: contract-table imports, GIAS extracts (previewed by
`selectors.gias_plan`, applied here) and each LA's settings."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pandas as pd
from django.db import transaction
from django.utils import timezone

from threshold.web.audit.models import AuditAction
from threshold.web.audit.services import Actor, record_event, target_of
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.organisations.selectors import GiasPlan, gias_plan

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


@dataclass(frozen=True)
class GiasCounts:
    """What applying a GIAS extract did."""

    authorities_created: int
    authorities_renamed: int
    schools_added: int
    schools_changed: int
    schools_closed: int
    successors: int


@transaction.atomic
def organisations_gias_apply(
    *,
    register: pd.DataFrame,
    census: pd.DataFrame | None,
    links: pd.DataFrame | None,
    la_codes: list[str],
    source: dict[str, str],
    by: Actor,
) -> GiasCounts:
    """Apply a GIAS extract to the LAs `la_codes`: the plan `gias_plan` previews, worked out
    again here from the files, all of it or nothing. One `import` event per LA in which anything
    changed, with its counts and `source` (the files' names and SHA-256); applying the same
    files again changes nothing."""
    plan = gias_plan(
        register=register, census=census, links=links, la_codes=la_codes, today=timezone.localdate()
    )
    authorities = {la.la_code: la for la in LocalAuthority.objects.filter(la_code__in=la_codes)}
    for authority in plan.authorities:
        if authority.created:
            authorities[authority.la_code] = LocalAuthority.objects.create(
                la_code=authority.la_code, name=authority.name
            )
        elif authority.renamed_from is not None:
            la = authorities[authority.la_code]
            la.name = authority.name
            la.save(update_fields=["name"])
    School.objects.bulk_create(
        School(urn=school.urn, **(school.values | {"authority": authorities[school.la_code]}))
        for school in plan.additions
    )
    for school in (*plan.changes, *plan.closures):
        instance = School.objects.get(urn=school.urn)
        values = dict(school.values)
        if "authority" in values:
            values["authority"] = authorities[str(values["authority"])]
        for name, value in values.items():
            setattr(instance, name, value)
        instance.save(update_fields=list(values))
    _record_gias_events(plan, source, by)
    return GiasCounts(
        authorities_created=sum(a.created for a in plan.authorities),
        authorities_renamed=sum(a.renamed_from is not None for a in plan.authorities),
        schools_added=len(plan.additions),
        schools_changed=len(plan.changes),
        schools_closed=len(plan.closures),
        successors=len(plan.successors),
    )


def _record_gias_events(plan: GiasPlan, source: dict[str, str], by: Actor) -> None:
    for row in plan.summary:
        authority = row.pop("authority")
        detail = {f"schools_{name}": n for name, n in row.items() if n}
        if authority.created:
            detail["authority"] = "created"
        elif authority.renamed_from is not None:
            detail["authority"] = f"renamed from {authority.renamed_from!r}"
        if detail:
            record_event(
                by=by,
                action=AuditAction.IMPORT,
                object_type="organisations.localauthority",
                object_id=authority.la_code,
                authority_code=authority.la_code,
                detail=detail | {"source": source},
            )


SETTINGS_FIELDS = (
    "display_name",
    "frontdoor_phone",
    "frontdoor_out_of_hours_phone",
    "frontdoor_hours",
    "audit_contact_email",
    "help_name",
    "help_email",
    "help_phone",
)
"""The fields of an LA's settings page."""


@transaction.atomic
def authority_settings_update(
    *, authority: LocalAuthority, by: Actor, **values: str
) -> LocalAuthority:
    """Change an LA's settings; an `update` event records each changed field, before and
    after (contacts the LA publishes to its own users, not personal data of a child)."""
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"not a setting of a local authority: {sorted(unknown)}")
    changed = {
        name: {"before": getattr(authority, name), "after": value.strip()}
        for name, value in values.items()
        if getattr(authority, name) != value.strip()
    }
    for name, change in changed.items():
        setattr(authority, name, change["after"])
    if changed:
        authority.save(update_fields=list(changed))
        record_event(
            by=by,
            action=AuditAction.UPDATE,
            **target_of(authority),
            authority_code=authority.la_code,
            detail=changed,
        )
    return authority
