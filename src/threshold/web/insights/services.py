"""Importing an LA's front-door export: through `threshold.frontdoor.import_export` (the CLI's
code path) into the LA's store, then the store's contacts and referrals into the database.

The database mirrors the store: after an import, the LA's contacts and referrals in the
database are exactly the store's (new ones created, changed ones updated, gone ones deleted).
The import runs on a copy of the store, which replaces the store only after the database
transaction has committed, so a failure anywhere leaves both as they were.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from django.conf import settings
from django.db import connection, transaction

from threshold.frontdoor import ImportResult, Profile, Store, import_export
from threshold.model import InputError
from threshold.web.audit.models import AuditAction
from threshold.web.audit.services import Actor, record_event
from threshold.web.insights.models import Contact, FrontDoorImport, Referral
from threshold.web.organisations.models import LocalAuthority, School

STORE_VARIABLE = "THRESHOLD_FRONTDOOR_STORE"
STORE_IGNORE = "# Child-level front-door data: never commit it.\n*\n"


class FrontDoorError(Exception):
    """An import the user can correct (the message names the file and the fix)."""


@dataclass(frozen=True)
class Synced:
    """How loading the store changed one table in the database."""

    created: int
    updated: int
    deleted: int
    unchanged: int


def store_root() -> Path:
    """Where the LAs' front-door stores live: settings.FRONTDOOR_STORE_ROOT, else the
    THRESHOLD_FRONTDOOR_STORE environment variable, else beside a SQLite database file
    (`threshold.sqlite3` → `threshold.frontdoor/`, so that the two stay together), else
    `var/frontdoor` in the repository."""
    configured = getattr(settings, "FRONTDOOR_STORE_ROOT", None) or os.environ.get(STORE_VARIABLE)
    if configured:
        return Path(configured)
    database = connection.settings_dict
    name = str(database.get("NAME") or "")
    if connection.vendor == "sqlite" and name and not connection.is_in_memory_db():
        return Path(name).with_suffix(".frontdoor")
    return Path(settings.REPO_DIR) / "var" / "frontdoor"


def authority_store(authority: LocalAuthority) -> Path:
    """The LA's store directory (one store per LA)."""
    return store_root() / authority.la_code


def frontdoor_import(
    *,
    authority: LocalAuthority,
    path: Path,
    format: str,
    by: Actor,
    profile: Profile | None = None,
) -> FrontDoorImport:
    """Import the export at `path` into the LA's store and the database, all or nothing.

    Every school in the database is the register (linkage stays within the LA). Raises
    FrontDoorError when the file cannot be read at all.
    """
    root = store_root()
    root.mkdir(parents=True, exist_ok=True)
    if not (root / ".gitignore").exists():
        (root / ".gitignore").write_text(STORE_IGNORE, encoding="utf-8")
    store = authority_store(authority)
    with (root / f".{authority.la_code}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one import at a time per LA: released on close
        working = root / f".{authority.la_code}-{uuid.uuid4().hex[:8]}"
        if store.is_dir():
            shutil.copytree(store, working)
        try:
            try:
                result = import_export(
                    path,
                    format=format,
                    la_code=authority.la_code,
                    store=working,
                    profile=profile,
                    register=_register(),
                )
            except InputError as error:
                raise FrontDoorError(str(error)) from error
            record = _load(
                authority=authority,
                store=Store(working),
                result=result,
                sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                file_name=path.name,
                by=by,
            )
            _replace(store, working)
        finally:
            if working.exists():
                shutil.rmtree(working)
    return record


def _register() -> pd.DataFrame:
    """The schools in the database as a register (urn, name, la_code)."""
    rows = School.objects.values_list("urn", "name", "authority__la_code")
    return pd.DataFrame(list(rows), columns=["urn", "name", "la_code"]).astype(
        {"urn": "int64", "name": object, "la_code": object}
    )


def _replace(store: Path, working: Path) -> None:
    """Put the imported copy in the store's place (the old store is removed afterwards)."""
    old = store.with_name(f".{store.name}-old-{uuid.uuid4().hex[:8]}")
    if store.exists():
        store.rename(old)
    working.rename(store)
    if old.exists():
        shutil.rmtree(old)


@transaction.atomic
def _load(
    *,
    authority: LocalAuthority,
    store: Store,
    result: ImportResult,
    sha256: str,
    file_name: str,
    by: Actor,
) -> FrontDoorImport:
    """Make the LA's contacts and referrals in the database the store's; record and audit it."""
    schools = dict(School.objects.values_list("urn", "pk"))
    contacts = _sync(
        Contact, "contact_id", authority, _contact_rows(store.table("contacts"), schools)
    )
    referrals = _sync(
        Referral, "referral_id", authority, _referral_rows(store.table("referrals"), schools)
    )
    parts = result.to_dict()["parts"]
    records = sum(part.records for part in result.parts)
    record = FrontDoorImport.objects.create(
        authority=authority,
        file_name=file_name,
        file_sha256=sha256,
        format=result.format,
        imported_by=by if isinstance(by, str) else by.get_username(),
        records=records,
        loaded=sum(part.new + part.updated + part.unchanged for part in result.parts),
        quarantined=result.quarantined,
        summary={
            "parts": parts,
            "contacts": vars(contacts),
            "referrals": vars(referrals),
            "to_review": sum(part.linked.get("review", 0) for part in result.parts),
        },
    )
    record_event(
        by=by,
        action=AuditAction.IMPORT,
        object_type="insights.frontdoorimport",
        object_id=str(record.pk),
        authority_code=authority.la_code,
        detail={
            "file": file_name,
            "format": result.format,
            "records": records,
            "quarantined": result.quarantined,
            "contacts": vars(contacts),
            "referrals": vars(referrals),
        },
    )
    return record


def _school(value: object, schools: dict[int, int]) -> int | None:
    return None if pd.isna(value) else schools[int(value)]


def _text(value: object) -> str:
    return "" if pd.isna(value) else str(value)


def _date(value: object) -> object:
    return None if pd.isna(value) else pd.Timestamp(value).date()


def _contact_rows(frame: pd.DataFrame, schools: dict[int, int]) -> dict[str, dict[str, object]]:
    return {
        row.cont_contact_id: {
            "person_id": row.cont_person_id,
            "contact_date": _date(row.cont_contact_date),
            "source_code": str(row.cont_contact_source_code),
            "source_school_id": _school(row.cont_source_school_urn, schools),
            "source_school_name": _text(row.cont_source_school_name),
            "child_school_id": _school(row.cont_child_school_urn, schools),
            "outcome": _text(row.cont_contact_outcome),
        }
        for row in frame.itertuples(index=False)
    }


def _referral_rows(frame: pd.DataFrame, schools: dict[int, int]) -> dict[str, dict[str, object]]:
    return {
        row.cine_referral_id: {
            "contact_id": _text(row.cine_contact_id),
            "person_id": row.cine_person_id,
            "referral_date": _date(row.cine_referral_date),
            "source_code": str(row.cine_referral_source_code),
            "source_school_id": _school(row.cine_source_school_urn, schools),
            "child_school_id": _school(row.cine_child_school_urn, schools),
            "outcome": _text(row.cine_referral_outcome),
            "close_date": _date(row.cine_close_date),
        }
        for row in frame.itertuples(index=False)
    }


def _sync(
    model: type[Contact | Referral],
    key: str,
    authority: LocalAuthority,
    wanted: dict[str, dict[str, object]],
) -> Synced:
    """Create, update and delete the LA's rows of `model` so that they are exactly `wanted`."""
    fields = list(next(iter(wanted.values()), {}))
    held = {getattr(row, key): row for row in model.objects.filter(authority=authority)}
    created = [
        model(**{key: id_, "authority": authority}, **values)
        for id_, values in wanted.items()
        if id_ not in held
    ]
    changed = []
    for id_, values in wanted.items():
        row = held.get(id_)
        if row is not None and any(getattr(row, f) != v for f, v in values.items()):
            for field, value in values.items():
                setattr(row, field, value)
            changed.append(row)
    gone = [row.pk for id_, row in held.items() if id_ not in wanted]
    model.objects.filter(pk__in=gone).delete()
    model.objects.bulk_create(created, batch_size=1000)
    if changed:
        model.objects.bulk_update(changed, fields, batch_size=1000)
    return Synced(
        created=len(created),
        updated=len(changed),
        deleted=len(gone),
        unchanged=len(wanted) - len(created) - len(changed),
    )
