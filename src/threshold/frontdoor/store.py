"""The front-door store: a directory of contract tables that imports add to.

`contacts.csv` and `referrals.csv` are data-contract tables; `quarantine.csv` holds every
record an import could not load, with the reason; `link-queue.csv` the school names waiting for
a person's decision; `imports.jsonl` one line per import with the checksums of the files it
left. Files are written to temporary names and moved into place only when all are ready, and
a store whose files do not match the last import's checksums is refused (it was edited by
hand, or an import was interrupted), so an import is all or nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from threshold.model import TABLES, InputError, Table, check_frame, read_table, write_table

MSG_TAMPERED = (
    "{path}: the store's {file} does not match what the last import wrote (edited by hand, or "
    "an import was interrupted); restore it or start a new store"
)
MSG_KEY = "{path}: the pseudonymisation key must be 64 hexadecimal characters"

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
_TABLES = {name: TABLES[name] for name in ("contacts", "referrals")}
_FILES = ("contacts.csv", "referrals.csv", "quarantine.csv", "link-queue.csv")


@dataclass(frozen=True)
class Merged:
    """How a batch of records changed a table."""

    new: int
    updated: int
    unchanged: int


class Store:
    """A front-door store directory (created on first use)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._new_key: bytes | None = None
        self._check_integrity()

    def table(self, name: str) -> pd.DataFrame:
        """The typed records of `contacts` or `referrals` (empty if none were imported)."""
        spec = _TABLES[name]
        if not (self.directory / spec.filename).is_file():
            return _empty(spec)
        return read_table(self.directory, spec)

    def quarantine(self) -> pd.DataFrame:
        """Every record no import could load, with the reason (one row per problem)."""
        path = self.directory / "quarantine.csv"
        if not path.is_file():
            return pd.DataFrame(columns=list(QUARANTINE_COLUMNS), dtype=object)
        return pd.read_csv(path, dtype=str, keep_default_na=False)

    def link_queue(self) -> pd.DataFrame | None:
        """School names waiting for a decision, as left by the last import (or None)."""
        path = self.directory / "link-queue.csv"
        return pd.read_csv(path, dtype=str, keep_default_na=False) if path.is_file() else None

    def key(self) -> bytes:
        """The secret that pseudonymises child identifiers (a new store's is kept by commit)."""
        path = self.directory / KEY_NAME
        if not path.is_file():
            self._new_key = self._new_key or secrets.token_bytes(32)
            return self._new_key
        try:
            value = bytes.fromhex(path.read_text().strip())
        except ValueError:
            value = b""
        if len(value) != 32:
            raise InputError(MSG_KEY.format(path=path))
        return value

    def commit(
        self,
        tables: dict[str, pd.DataFrame],
        quarantine: pd.DataFrame,
        link_queue: pd.DataFrame | None,
        entry: dict[str, object],
    ) -> None:
        """Write the new state of the store and log the import, all files or none."""
        self.directory.mkdir(parents=True, exist_ok=True)
        if self._new_key is not None:
            descriptor = os.open(
                self.directory / KEY_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600
            )
            with os.fdopen(descriptor, "w") as handle:
                handle.write(self._new_key.hex())
            self._new_key = None
        staging = self.directory / f".staging-{secrets.token_hex(4)}"
        staging.mkdir()
        try:
            for name, frame in tables.items():
                write_table(frame, _TABLES[name], staging)
            quarantine.loc[:, list(QUARANTINE_COLUMNS)].to_csv(
                staging / "quarantine.csv", index=False, lineterminator="\n"
            )
            if link_queue is not None:
                link_queue.to_csv(staging / "link-queue.csv", index=False, lineterminator="\n")
            final = {
                name: staging / name if (staging / name).is_file() else self.directory / name
                for name in _FILES
            }
            entry = {
                **entry,
                "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "files": {name: _digest(path) for name, path in final.items() if path.is_file()},
            }
            for name in _FILES:
                if (staging / name).is_file():
                    os.replace(staging / name, self.directory / name)
            with (self.directory / LOG_NAME).open("a", encoding="utf-8") as log:
                log.write(json.dumps(entry, sort_keys=True) + "\n")
        finally:
            for leftover in staging.iterdir():
                leftover.unlink()
            staging.rmdir()

    def _check_integrity(self) -> None:
        log = self.directory / LOG_NAME
        if not log.is_file():
            return
        lines = [line for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
        if not lines:
            return
        expected = json.loads(lines[-1]).get("files", {})
        for name, digest in expected.items():
            path = self.directory / name
            if not path.is_file() or _digest(path) != digest:
                raise InputError(MSG_TAMPERED.format(path=self.directory, file=name))


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
    same = pd.Series(True, index=shared)
    for column in new.columns:
        a, b = old.loc[shared, column], new.loc[shared, column]
        same &= (a == b).fillna(False) | (a.isna() & b.isna())
    unchanged = int(same.sum())
    updated = len(shared) - unchanged
    combined = pd.concat([old.loc[~old.index.isin(new.index)], new])
    result = combined.reset_index()[columns]
    return result, Merged(len(new) - len(shared), updated, unchanged)


def _empty(table: Table) -> pd.DataFrame:
    return check_frame(pd.DataFrame(columns=list(table.columns)), table, file="").frame


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
