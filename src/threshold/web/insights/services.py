"""Importing an LA's front-door export: through `threshold.frontdoor` (the CLI's code path)
into the LA's store, then the store's contacts and referrals into the database.

The database mirrors the store: after an import, the LA's contacts and referrals in the
database are exactly the store's (new ones created, changed ones updated, gone ones deleted).
Under the store's lock, the import is staged as a new version of the store, the database
transaction loads it and records its name, and only then does the store point at it. The
database's commit decides: a crash before it leaves both as they were; a crash after it is
completed by the next import, which points the store at the version the database holds.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import connection, transaction
from django.urls import reverse
from django_tasks import task

from threshold.frontdoor import (
    LIMITS,
    ImportResult,
    Limits,
    LockedStore,
    Profile,
    Store,
    key_fingerprint,
    load_profile,
    lock_store,
    stage_import,
)
from threshold.model import InputError
from threshold.web.accounts.models import User
from threshold.web.audit.models import AuditAction
from threshold.web.audit.services import Actor, record_event
from threshold.web.core.files import data_root
from threshold.web.insights.models import Contact, FrontDoorImport, ImportJob, Referral
from threshold.web.jobs.retries import retrying
from threshold.web.organisations.models import LocalAuthority, School

STORE_VARIABLE = "THRESHOLD_FRONTDOOR_STORE"
STORE_IGNORE = "# Child-level front-door data: never commit it.\n*\n"
LOCK_WAIT = 30.0
"""Seconds an import waits for another import of the same LA to finish."""

MSG_KEY_LOST = (
    "LA {la}: the front-door store {path} has lost the pseudonymisation key its earlier imports "
    "used; restore the store from a backup{hint} (a new key would give every child a new id)"
)
MSG_KEY_CHANGED = (
    "LA {la}: the front-door store {path} has a pseudonymisation key other than the one its "
    "earlier imports used; restore the store's .pseudonym-key from a backup"
)
MSG_MOVED_AWAY = ": {path} holds the store as an interrupted import left it"
UPLOADS = ".uploads"
"""The folder under the store root where uploaded files wait for their import job."""
MSG_IMPORT_FAILED = "Nothing was imported: {reason}"
MSG_JOB_FAULT = (
    "Nothing was imported: the import stopped because of a fault in the service, not in the "
    "file. The service's administrators can see what went wrong; try again later."
)
MAIL_FINISHED_SUBJECT = "Front-door import finished: {file}"
MAIL_FINISHED = (
    "Your import of {file} for {la} has finished: {records} records read, {loaded} loaded, "
    "{quarantined} quarantined.\n\nSee the result: {link}\n"
)
MAIL_FAILED_SUBJECT = "Front-door import failed: {file}"
MAIL_FAILED = "Your import of {file} for {la} did not finish.\n\n{error}\n\nSee it: {link}\n"


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
    (`threshold.sqlite3` → `threshold.frontdoor/`), else `var/frontdoor` in the repository."""
    return data_root(
        setting="FRONTDOOR_STORE_ROOT",
        variable=STORE_VARIABLE,
        suffix=".frontdoor",
        default="var/frontdoor",
    )


def authority_store(authority: LocalAuthority) -> Path:
    """The LA's store directory (one store per LA)."""
    return store_root() / authority.la_code


def authority_state(authority: LocalAuthority) -> Store | None:
    """The LA's store as the database holds it: the version its latest import left (None
    before any import)."""
    directory = authority_store(authority)
    if not directory.is_dir():
        return None
    latest = _latest(authority)
    held = latest.store_version if latest is not None else ""
    if held and (directory / "versions" / held).is_dir():
        return Store(directory, held)
    return Store(directory)


def import_limits() -> Limits:
    """The limits of the service's imports: the core's, with a time limit
    (settings.FRONTDOOR_IMPORT_SECONDS) so that no file holds an LA's store for long."""
    return replace(LIMITS, seconds=settings.FRONTDOOR_IMPORT_SECONDS)


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
    FrontDoorError when the file cannot be read at all, another import of the LA is running,
    or the store has lost its key.
    """
    root = store_root()
    root.mkdir(parents=True, exist_ok=True)
    if not (root / ".gitignore").exists():
        (root / ".gitignore").write_text(STORE_IGNORE, encoding="utf-8")
    directory = authority_store(authority)
    try:
        with lock_store(directory, wait=LOCK_WAIT) as store:
            _recover(authority, store)
            fingerprint = _checked_key(authority, store)
            _remove_old_copies(authority)
            staged = stage_import(
                path,
                target=store,
                format=format,
                la_code=authority.la_code,
                profile=profile,
                register=_register(),
                limits=import_limits(),
            )
            record = _load(
                authority=authority,
                store=Store(directory, staged.version),
                result=staged.result,
                sha256=staged.sha256,
                file_name=path.name,
                version=staged.version,
                fingerprint=fingerprint,
                by=by,
            )
            store.publish(staged.version)
            store.tidy()
    except InputError as error:
        raise FrontDoorError(str(error)) from error
    return record


def job_folder(job: ImportJob) -> Path:
    """Where an uploaded export (in `export/`, its profile in `profile/`) waits for its import
    job: owner-only, under the store root."""
    return store_root() / UPLOADS / f"job-{job.pk}"


def _save(upload: UploadedFile, path: Path) -> None:
    """Write `upload` to `path`, readable by the service's user only."""
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as target:
        for chunk in upload.chunks():
            target.write(chunk)


def _upload_name(upload: UploadedFile) -> str:
    return Path(upload.name or "export").name or "export"


@transaction.atomic
def import_job_create(
    *,
    authority: LocalAuthority,
    upload: UploadedFile,
    format: str,
    profile: UploadedFile | None,
    site_url: str,
    by: User,
) -> ImportJob:
    """Keep the uploaded export (and profile) on the server and enqueue its import; audited."""
    job = ImportJob.objects.create(
        authority=authority,
        requested_by=by,
        file_name=_upload_name(upload),
        format=format,
        profile_name=_upload_name(profile) if profile is not None else "",
        site_url=site_url,
    )
    folder = job_folder(job)
    folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.mkdir(mode=0o700)
    for part, kept in (("export", upload), ("profile", profile)):
        if kept is not None:
            (folder / part).mkdir(mode=0o700)
            _save(kept, folder / part / _upload_name(kept))
    job.task_id = str(import_job_run.enqueue(job.pk).id)
    job.save(update_fields=["task_id"])
    record_event(
        by=by,
        action=AuditAction.CREATE,
        object_type="insights.importjob",
        object_id=str(job.pk),
        authority_code=authority.la_code,
        detail={"file": job.file_name, "format": format, "profile": job.profile_name},
    )
    return job


@task()
def import_job_run(job_id: int) -> int:
    """The background job: import the uploaded export through `frontdoor_import`, then remove
    the kept files and tell the uploader. A failed import fails the job (its error kept in
    plain words for the progress page, its traceback for administrators)."""
    job = ImportJob.objects.select_related("authority", "requested_by").get(pk=job_id)
    folder = job_folder(job)
    try:
        profile = load_profile(folder / "profile" / job.profile_name) if job.profile_name else None
        record = frontdoor_import(
            authority=job.authority,
            path=folder / "export" / job.file_name,
            format=job.format,
            profile=profile,
            by=job.requested_by,
        )
    except (FrontDoorError, InputError) as error:
        reason = MSG_IMPORT_FAILED.format(reason=error)
        import_job_finish(job=job, error=reason, by=job.requested_by)
        raise
    except Exception:
        import_job_finish(job=job, error=MSG_JOB_FAULT, by=job.requested_by)
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    import_job_finish(job=job, record=record, by=job.requested_by)
    return record.pk


def import_job_finish(
    *, job: ImportJob, by: User, record: FrontDoorImport | None = None, error: str = ""
) -> None:
    """Record how the import job ended (the import made, or the error), audit it, and e-mail
    the uploader."""
    with transaction.atomic():
        job.record, job.error = record, error
        job.save(update_fields=["record", "error"])
        record_event(
            by=by,
            action=AuditAction.UPDATE,
            object_type="insights.importjob",
            object_id=str(job.pk),
            authority_code=job.authority.la_code,
            detail={"import": record.pk if record is not None else None, "error": error},
        )
    if job.requested_by.email:
        transaction.on_commit(lambda: import_job_mail_send.enqueue(job.pk))


@task()
@retrying
def import_job_mail_send(job_id: int) -> None:
    """E-mail the uploader how the import job ended: a job of its own, so that a mail server
    that is down is tried again later without running the import again."""
    job = ImportJob.objects.select_related("authority", "requested_by", "record").get(pk=job_id)
    link = job.site_url.rstrip("/") + reverse("insights:import_progress", kwargs={"pk": job.pk})
    names = {"file": job.file_name, "la": job.authority.name, "link": link}
    record = job.record
    if record is not None:
        subject = MAIL_FINISHED_SUBJECT.format(**names)
        counts = {"records": record.records, "loaded": record.loaded}
        body = MAIL_FINISHED.format(**names, **counts, quarantined=record.quarantined)
    else:
        subject = MAIL_FAILED_SUBJECT.format(**names)
        body = MAIL_FAILED.format(**names, error=job.error)
    send_mail(subject, body, None, [job.requested_by.email])


def _latest(authority: LocalAuthority) -> FrontDoorImport | None:
    return (
        FrontDoorImport.objects.filter(authority=authority)
        .exclude(store_version="")
        .order_by("-imported_at", "-pk")
        .first()
    )


def _recover(authority: LocalAuthority, store: LockedStore) -> None:
    """Finish what an interrupted import left: point the store at the version the database
    committed, and remove versions no one reads."""
    latest = _latest(authority)
    held = latest.store_version if latest is not None else ""
    if held and held > (store.version or "") and (store.directory / "versions" / held).is_dir():
        store.publish(held)
    store.tidy(keep=frozenset({held} - {""}))


def _remove_old_copies(authority: LocalAuthority) -> None:
    """Remove the working copies (each with a copy of the key) and the lock that imports made
    beside the store before it had versions; run once the store's own key is checked."""
    copies = re.compile(rf"\.{authority.la_code}-(old-)?[0-9a-f]{{8}}|\.{authority.la_code}\.lock")
    for leftover in store_root().glob(f".{authority.la_code}[-.]*"):
        if copies.fullmatch(leftover.name):
            if leftover.is_dir():
                shutil.rmtree(leftover)
            else:
                leftover.unlink()


def _checked_key(authority: LocalAuthority, store: LockedStore) -> str:
    """The fingerprint of the store's key, refusing a store whose key was lost or replaced
    after the LA's earlier imports (a new key would change every pseudonymous id)."""
    earlier = (
        FrontDoorImport.objects.filter(authority=authority)
        .exclude(key_fingerprint="")
        .values_list("key_fingerprint", flat=True)
        .first()
    )
    if earlier and not store.has_key():
        moved = sorted(store.directory.parent.glob(f".{authority.la_code}-old-*"))
        hint = MSG_MOVED_AWAY.format(path=moved[-1]) if moved else ""
        raise FrontDoorError(
            MSG_KEY_LOST.format(la=authority.la_code, path=store.directory, hint=hint)
        )
    fingerprint = key_fingerprint(store.key())
    if earlier and fingerprint != earlier:
        raise FrontDoorError(MSG_KEY_CHANGED.format(la=authority.la_code, path=store.directory))
    return fingerprint


def _register() -> pd.DataFrame:
    """The schools in the database as a register (urn, name, la_code)."""
    rows = School.objects.values_list("urn", "name", "authority__la_code")
    return pd.DataFrame(list(rows), columns=["urn", "name", "la_code"]).astype(
        {"urn": "int64", "name": object, "la_code": object}
    )


@transaction.atomic
def _load(
    *,
    authority: LocalAuthority,
    store: Store,
    result: ImportResult,
    sha256: str,
    file_name: str,
    version: str,
    fingerprint: str,
    by: Actor,
) -> FrontDoorImport:
    """Make the LA's contacts and referrals in the database the store's; record and audit it."""
    schools = pd.Series(dict(School.objects.values_list("urn", "pk")), dtype="int64")
    with _page_cache():
        contacts = _sync(
            Contact, "contact_id", authority, _contact_frame(store.table("contacts"), schools)
        )
        referrals = _sync(
            Referral, "referral_id", authority, _referral_frame(store.table("referrals"), schools)
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
        store_version=version,
        key_fingerprint=fingerprint,
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


def _school_ids(
    frame: pd.DataFrame, columns: tuple[str, str], schools: pd.Series
) -> list[pd.Series]:
    """The database ids of the schools whose URNs are in `columns` (<NA> where there is none);
    KeyError for the first URN (row by row) that is not in the database."""
    unknown = np.column_stack([(frame[c].notna() & ~frame[c].isin(schools.index)) for c in columns])
    if unknown.any():
        first = int(np.flatnonzero(unknown)[0])
        raise KeyError(int(frame[columns[first % 2]].iloc[first // 2]))
    return [frame[column].map(schools).astype("Int64") for column in columns]


def _texts(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), "")


def _dates(series: pd.Series) -> pd.Series:
    return series.dt.date.astype(object).where(series.notna(), None)


def _contact_frame(frame: pd.DataFrame, schools: pd.Series) -> pd.DataFrame:
    """The store's contacts as the columns of Contact."""
    source, child = _school_ids(frame, ("cont_source_school_urn", "cont_child_school_urn"), schools)
    return pd.DataFrame(
        {
            "contact_id": frame["cont_contact_id"],
            "person_id": frame["cont_person_id"],
            "contact_date": _dates(frame["cont_contact_date"]),
            "source_code": frame["cont_contact_source_code"].map(str),
            "source_school_id": source,
            "source_school_name": _texts(frame["cont_source_school_name"]),
            "child_school_id": child,
            "outcome": _texts(frame["cont_contact_outcome"]),
        }
    )


def _referral_frame(frame: pd.DataFrame, schools: pd.Series) -> pd.DataFrame:
    """The store's referrals as the columns of Referral."""
    source, child = _school_ids(frame, ("cine_source_school_urn", "cine_child_school_urn"), schools)
    return pd.DataFrame(
        {
            "referral_id": frame["cine_referral_id"],
            "contact_id": _texts(frame["cine_contact_id"]),
            "person_id": frame["cine_person_id"],
            "referral_date": _dates(frame["cine_referral_date"]),
            "source_code": frame["cine_referral_source_code"].map(str),
            "source_school_id": source,
            "child_school_id": child,
            "outcome": _texts(frame["cine_referral_outcome"]),
            "close_date": _dates(frame["cine_close_date"]),
        }
    )


HELD = "_held"
"""The suffix of the database's values beside the store's while they are compared."""
SQLITE_CACHE_KIB = 262_144
"""The page cache (KiB) of the connection that loads the store into a SQLite database."""
SYNC_BATCH = 500
"""Rows read, written or deleted a statement at a time (a delete names its rows' ids, under
SQLite's 999 parameters a statement)."""


@contextmanager
def _page_cache() -> Iterator[None]:
    """On SQLite, a page cache of SQLITE_CACHE_KIB for the connection while the store is loaded
    (the default 2 MiB makes inserting many rows into the indexed tables re-read their pages)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def _sync(
    model: type[Contact | Referral],
    key: str,
    authority: LocalAuthority,
    wanted: pd.DataFrame,
) -> Synced:
    """Create, update and delete the LA's rows of `model` so that they are exactly `wanted`
    (the model's columns, one row per `key`): the rows held are read once and compared with
    the wanted ones as tables, and only the differences are written."""
    fields = [column for column in wanted.columns if column != key]
    held = _held(model, authority, wanted)
    is_held = wanted[key].isin(held[key])
    created = wanted[~is_held]
    gone = held.loc[~held[key].isin(wanted[key]), "pk"].tolist()
    both = wanted[is_held].merge(held, on=key, suffixes=("", HELD))
    differs = np.zeros(len(both), dtype=bool)
    for field in fields:
        new, old = both[field], both[field + HELD]
        differs |= ~((new == old).fillna(False) | (new.isna() & old.isna())).to_numpy(bool)
    changed = both.loc[differs, [*fields, "pk"]]
    for start in range(0, len(gone), SYNC_BATCH):
        model.objects.filter(pk__in=gone[start : start + SYNC_BATCH]).delete()
    _insert(model, created.assign(authority_id=authority.pk))
    _update(model, changed)
    return Synced(
        created=len(created),
        updated=len(changed),
        deleted=len(gone),
        unchanged=len(wanted) - len(created) - len(changed),
    )


def _held(
    model: type[Contact | Referral], authority: LocalAuthority, wanted: pd.DataFrame
) -> pd.DataFrame:
    """The LA's rows of `model` in the database: their `pk` and the columns of `wanted`, with
    its types."""
    names = list(wanted.columns)
    rows = model.objects.filter(authority=authority).values_list("pk", *names)
    held = pd.DataFrame.from_records(
        rows.iterator(chunk_size=SYNC_BATCH * 20), columns=["pk", *names]
    )
    return held.astype(wanted.dtypes.to_dict())


def _insert(model: type[Contact | Referral], frame: pd.DataFrame) -> None:
    """Insert the rows of `frame` (its columns the model's) into the model's table."""
    columns = _columns(model, frame.columns)
    marks = ", ".join(["%s"] * len(columns))
    table = connection.ops.quote_name(model._meta.db_table)
    _execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", frame)


def _update(model: type[Contact | Referral], frame: pd.DataFrame) -> None:
    """Set the model's rows named by `frame`'s last column (their primary keys) to the values
    of its other columns (the model's)."""
    *columns, pk = _columns(model, frame.columns)
    values = ", ".join(f"{column} = %s" for column in columns)
    table = connection.ops.quote_name(model._meta.db_table)
    _execute(f"UPDATE {table} SET {values} WHERE {pk} = %s", frame)


def _columns(model: type[Contact | Referral], names: Iterable[str]) -> list[str]:
    """The quoted database columns of the model's fields `names` ("pk": its primary key)."""
    meta = model._meta
    fields = [meta.pk if name == "pk" else meta.get_field(name) for name in names]
    return [connection.ops.quote_name(field.column) for field in fields]


def _execute(sql: str, frame: pd.DataFrame) -> None:
    """Run `sql` once for each row of `frame`, its values the parameters (None where missing),
    in batches."""
    with connection.cursor() as cursor:
        for start in range(0, len(frame), SYNC_BATCH * 20):
            part = frame.iloc[start : start + SYNC_BATCH * 20]
            values = [part[c].astype(object).where(part[c].notna(), None).tolist() for c in part]
            cursor.executemany(sql, list(zip(*values, strict=True)))
