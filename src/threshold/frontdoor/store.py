"""The front-door store: a directory of contract tables that imports add to (ADR 0006).

    STORE/.pseudonym-key    the secret that pseudonymises child ids: made once, never replaced
    STORE/.lock             held by whoever imports (the CLI or the web), one at a time
    STORE/versions/000007/  one directory per import, never changed once written
    STORE/current           -> versions/000007: the store's state, replaced by one rename
    STORE/contacts.csv …    -> current/contacts.csv: fixed links, so the tables read as files

A version holds `contacts.csv` and `referrals.csv` (data-contract tables), `quarantine.csv`
(every record no import could load, with the reason), `link-queue.csv` (school names waiting
for a person's decision, once there are any) and `imports.jsonl` (one line per import with the
checksums of the files it left). An import writes a complete new version beside the others and
then points `current` at it, so a crash at any moment leaves the old state or the new. Leftovers
of an interrupted import are removed by the next one, under the lock. A version whose files do
not match its log's checksums is refused (edited by hand).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from threshold.model import (
    TABLES,
    InputError,
    Table,
    check_frame,
    neutralise_formulas,
    read_table,
    restore_formulas,
    write_table,
)

MSG_TAMPERED = (
    "{path}: the store's {file} does not match what the last import wrote (edited by hand); "
    "restore it from a backup or start a new store"
)
MSG_KEY = "{path}: the pseudonymisation key must be 64 hexadecimal characters"
MSG_KEY_MISSING = (
    "{path}: the store has imports but its pseudonymisation key {key} is missing; restore it "
    "from a backup (a new key would give every child a new pseudonymous id)"
)
MSG_LOCKED = (
    "{path}: another import into this store is running ({holder}); try again when it has finished"
)
MSG_NO_VERSION = "{path}: the store has no version {version}"

QUARANTINE_COLUMNS = (
    "la_code",
    "format",
    "file",
    "locator",
    "field",
    "reason",
    "record",
    "record_key",
    "first_seen",
)
LOG_NAME = "imports.jsonl"
KEY_NAME = ".pseudonym-key"
LOCK_NAME = ".lock"
CURRENT = "current"
VERSIONS = "versions"
FILES = ("contacts.csv", "referrals.csv", "quarantine.csv", "link-queue.csv", LOG_NAME)
"""The files of a version, each also reachable as STORE/<name>."""

_TABLES = {name: TABLES[name] for name in ("contacts", "referrals")}
_VERSION = re.compile(r"\d{6}")
_SCRATCH = (".staging-", ".current-")


@dataclass(frozen=True)
class Merged:
    """How a batch of records changed a table."""

    new: int
    updated: int
    unchanged: int


class Store:
    """The state of a front-door store as one version left it (the current one unless named).

    A directory that is not yet a store reads as empty; a store written before versions
    existed (its files directly in the directory) reads as it is.
    """

    def __init__(self, directory: Path, version: str | None = None) -> None:
        self.directory = directory
        self.version = version or current_version(directory)
        self.location = directory / VERSIONS / self.version if self.version else directory
        if version and not self.location.is_dir():
            raise InputError(MSG_NO_VERSION.format(path=directory, version=version))
        _check_integrity(self.location)

    def table(self, name: str) -> pd.DataFrame:
        """The typed records of `contacts` or `referrals` (empty if none were imported)."""
        spec = _TABLES[name]
        if not (self.location / spec.filename).is_file():
            return _empty(spec)
        return read_table(self.location, spec)

    def quarantine(self) -> pd.DataFrame:
        """Every record no import could load, with the reason (one row per problem)."""
        path = self.location / "quarantine.csv"
        if not path.is_file():
            return pd.DataFrame(columns=list(QUARANTINE_COLUMNS), dtype=object)
        return restore_formulas(pd.read_csv(path, dtype=str, keep_default_na=False))

    def link_queue(self) -> pd.DataFrame | None:
        """School names waiting for a decision, as left by the last import (or None)."""
        path = self.location / "link-queue.csv"
        if not path.is_file():
            return None
        return restore_formulas(pd.read_csv(path, dtype=str, keep_default_na=False))


class LockedStore(Store):
    """A store while this process holds its lock: it may be keyed, tidied, and given a new
    version (`stage`) that becomes its state (`publish`)."""

    _new_key: bytes | None = None

    def has_key(self) -> bool:
        return (self.directory / KEY_NAME).is_file()

    def key(self) -> bytes:
        """The secret that pseudonymises child ids: a new store's is made here and kept when
        its first version is staged. A store that has had imports never gets a new key."""
        path = self.directory / KEY_NAME
        if not path.is_file():
            if self.version or _versions(self.directory) or (self.location / LOG_NAME).is_file():
                raise InputError(MSG_KEY_MISSING.format(path=self.directory, key=KEY_NAME))
            self._new_key = self._new_key or secrets.token_bytes(32)
            return self._new_key
        try:
            value = bytes.fromhex(path.read_text().strip())
        except ValueError:
            value = b""
        if len(value) != 32:
            raise InputError(MSG_KEY.format(path=path))
        return value

    def tidy(self, keep: frozenset[str] = frozenset()) -> None:
        """Remove what interrupted imports left, and versions no one reads any more: all but
        the current one, the one before it, and `keep`."""
        for leftover in self.directory.iterdir():
            if leftover.name.startswith(_SCRATCH):
                _remove(leftover)
        versions = self.directory / VERSIONS
        if not versions.is_dir():
            return
        numbered = sorted(v for v in _versions(self.directory) if v <= (self.version or ""))
        wanted = {*numbered[-2:], *keep}
        for entry in versions.iterdir():
            if entry.name not in wanted:
                _remove(entry)
        _sync_directory(versions)

    def stage(
        self,
        tables: dict[str, pd.DataFrame],
        quarantine: pd.DataFrame,
        link_queue: pd.DataFrame | None,
        entry: dict[str, object],
    ) -> str:
        """Write the store's next state as a new version (not yet current) and return its
        name. Tables not given, and the link queue when None, stay as they are."""
        if self._new_key is not None:  # kept before any version can need it
            _write_new(self.directory / KEY_NAME, self._new_key.hex().encode(), mode=0o600)
            _sync_directory(self.directory)
            self._new_key = None
        versions = self.directory / VERSIONS
        versions.mkdir(exist_ok=True)
        name = f"{int(max(_versions(self.directory), default='0')) + 1:06d}"
        staging = versions / f".staging-{secrets.token_hex(4)}"
        staging.mkdir()
        for table, frame in tables.items():
            write_table(frame, _TABLES[table], staging)
        neutralise_formulas(quarantine.loc[:, list(QUARANTINE_COLUMNS)]).to_csv(
            staging / "quarantine.csv", index=False, lineterminator="\r\n"
        )
        if link_queue is not None:
            neutralise_formulas(link_queue).to_csv(
                staging / "link-queue.csv", index=False, lineterminator="\r\n"
            )
        for file in FILES[:-1]:
            if not (staging / file).exists() and (self.location / file).is_file():
                shutil.copyfile(self.location / file, staging / file)
        log = self.location / LOG_NAME
        earlier = log.read_bytes() if log.is_file() else b""
        entry = {
            **entry,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "files": {f: _digest(staging / f) for f in FILES[:-1] if (staging / f).is_file()},
        }
        line = json.dumps(entry, sort_keys=True).encode() + b"\n"
        (staging / LOG_NAME).write_bytes(earlier + line)
        for file in staging.iterdir():
            _sync_file(file)
        _sync_directory(staging)
        os.rename(staging, versions / name)
        _sync_directory(versions)
        return name

    def publish(self, version: str) -> None:
        """Make `version` the store's state: one atomic rename of the `current` link."""
        location = self.directory / VERSIONS / version
        if not location.is_dir():
            raise InputError(MSG_NO_VERSION.format(path=self.directory, version=version))
        for file in FILES:  # a new file's link dangles until `current` points at it
            path = self.directory / file
            if not path.is_symlink() and (location / file).is_file():
                _relink(path, f"{CURRENT}/{file}")
        _relink(self.directory / CURRENT, f"{VERSIONS}/{version}")
        self.version, self.location = version, self.directory / VERSIONS / version


@contextlib.contextmanager
def lock_store(directory: Path, *, wait: float = 0.0) -> Iterator[LockedStore]:
    """Hold the store's lock (waiting up to `wait` seconds for another import to finish) and
    give the store as it is; a store written before versions existed becomes version 1."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / LOCK_NAME).open("a+", encoding="utf-8") as lock:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    lock.seek(0)
                    holder = lock.read().strip() or "another process"
                    raise InputError(MSG_LOCKED.format(path=directory, holder=holder)) from None
                time.sleep(0.05)
        lock.seek(0)
        lock.truncate()
        lock.write(f"process {os.getpid()}, since {dt.datetime.now():%Y-%m-%d %H:%M:%S}")
        lock.flush()
        _adopt_flat_files(directory)
        yield LockedStore(directory)


def current_version(directory: Path) -> str | None:
    """The version `current` points at (None for a new or pre-version store)."""
    link = directory / CURRENT
    return Path(os.readlink(link)).name if link.is_symlink() else None


def key_fingerprint(key: bytes) -> str:
    """A short public name for a key: equal fingerprints, equal keys (never the key itself)."""
    return hmac.new(key, b"threshold pseudonymisation key", hashlib.sha256).hexdigest()[:16]


def merge(
    existing: pd.DataFrame, incoming: pd.DataFrame, table: Table
) -> tuple[pd.DataFrame, Merged]:
    """`existing` with `incoming` records added or, where the key is already there with other
    values, replaced (a later extract corrects an earlier one); identical records change
    nothing."""
    key = list(table.key)
    columns = list(table.columns)
    if existing.empty:
        return incoming[columns].reset_index(drop=True), Merged(len(incoming), 0, 0)
    old = existing.set_index(key)[[c for c in columns if c not in key]]
    new = incoming.set_index(key)[[c for c in columns if c not in key]]
    shared = new.index.intersection(old.index)
    if old.index.is_unique and new.index.is_unique:  # as .loc, by position: faster
        before = old.take(old.index.get_indexer(shared))
        after = new.take(new.index.get_indexer(shared))
    else:
        before, after = old.loc[shared], new.loc[shared]
    same = pd.Series(True, index=shared)
    for column in new.columns:
        a, b = before[column], after[column]
        same &= (a == b).fillna(False) | (a.isna() & b.isna())
    unchanged = int(same.sum())
    updated = len(shared) - unchanged
    combined = pd.concat([old.loc[~old.index.isin(new.index)], new])
    result = combined.reset_index()[columns]
    return result, Merged(len(new) - len(shared), updated, unchanged)


def _adopt_flat_files(directory: Path) -> None:
    """Turn a store whose files lie directly in the directory into version 1 (each step can be
    interrupted and repeated: the files' content never changes)."""
    flat = [f for f in FILES if (directory / f).is_file() and not (directory / f).is_symlink()]
    if not flat:
        return
    if current_version(directory) is None:
        _check_integrity(directory)
        versions = directory / VERSIONS
        versions.mkdir(exist_ok=True)
        staging = versions / f".staging-{secrets.token_hex(4)}"
        staging.mkdir()
        for file in flat:
            shutil.copyfile(directory / file, staging / file)
            _sync_file(staging / file)
        _sync_directory(staging)
        name = f"{int(max(_versions(directory), default='0')) + 1:06d}"
        os.rename(staging, versions / name)
        _sync_directory(versions)
        _relink(directory / CURRENT, f"{VERSIONS}/{name}")
    for file in flat:
        _relink(directory / file, f"{CURRENT}/{file}")


def _check_integrity(location: Path) -> None:
    log = location / LOG_NAME
    if not log.is_file():
        return
    lines = [line for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines:
        return
    expected = json.loads(lines[-1]).get("files", {})
    for name, digest in expected.items():
        path = location / name
        if not path.is_file() or _digest(path) != digest:
            raise InputError(MSG_TAMPERED.format(path=location, file=name))


def _versions(directory: Path) -> list[str]:
    versions = directory / VERSIONS
    if not versions.is_dir():
        return []
    return [entry.name for entry in versions.iterdir() if _VERSION.fullmatch(entry.name)]


def _relink(path: Path, target: str) -> None:
    """Point the symbolic link `path` at `target` in one atomic step."""
    temporary = path.with_name(f".current-{secrets.token_hex(4)}")
    os.symlink(target, temporary)
    os.replace(temporary, path)
    _sync_directory(path.parent)


def _write_new(path: Path, data: bytes, *, mode: int) -> None:
    """Create `path` holding `data`, whole or not at all (never replacing a file)."""
    temporary = path.with_name(f".staging-{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.link(temporary, path)
    os.unlink(temporary)


def _sync_file(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _sync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _empty(table: Table) -> pd.DataFrame:
    return check_frame(pd.DataFrame(columns=list(table.columns)), table, file="").frame


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
