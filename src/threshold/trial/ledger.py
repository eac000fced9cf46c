"""The trial ledger: an append-only, hash-chained record of a trial's irreversible acts
(protocol locks, randomisations), kept as `trial-ledger.jsonl` beside the files it describes.

One JSON object a line. Each carries `kind`, `created` and the SHA-256 of the whole ledger text
before it (`previous_sha256`), so an edited or deleted line breaks the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

LEDGER_NAME = "trial-ledger.jsonl"
PROTOCOL_LOCK = "protocol_lock"
RANDOMISATION = "randomisation"

MSG_CHAIN_BROKEN = (
    "{ledger} line {line} has been edited or a line before it removed (hash chain broken)"
)


def ledger_path(directory: Path) -> Path:
    return directory / LEDGER_NAME


def read_entries(directory: Path, kind: str | None = None) -> list[dict[str, object]]:
    """The ledger's entries, oldest first (of one kind, if given)."""
    entries = [json.loads(line) for line in _text(directory).splitlines() if line.strip()]
    return [e for e in entries if kind is None or e["kind"] == kind]


def append_entry(
    directory: Path, kind: str, record: dict[str, object], *, now: dt.datetime | None = None
) -> dict[str, object]:
    """Append a record to the ledger in `directory`, chained to what is there; return it."""
    text = _text(directory)
    entry = {
        **record,
        "kind": kind,
        "created": (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        "previous_sha256": sha256(text.encode()) if text else "",
    }
    directory.mkdir(parents=True, exist_ok=True)
    with ledger_path(directory).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n")
    return entry


@dataclass(frozen=True)
class LedgerHead:
    """How many entries a ledger holds and the SHA-256 of its whole text (what the next entry
    chains to). Anyone who noted a head can tell later whether the ledger was rewritten."""

    entries: int
    sha256: str

    def __str__(self) -> str:
        return f"entry {self.entries}, SHA-256 {self.sha256}"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def head(directory: Path) -> LedgerHead:
    """The head of the ledger in `directory`."""
    text = _text(directory)
    return LedgerHead(len(text.splitlines()), sha256(text.encode()))


def chain_failures(directory: Path) -> list[str]:
    """A message for every line whose recorded predecessor hash does not match."""
    lines = _text(directory).splitlines(keepends=True)
    failures = []
    for number, line in enumerate(lines, start=1):
        expected = sha256("".join(lines[: number - 1]).encode()) if number > 1 else ""
        if json.loads(line).get("previous_sha256") != expected:
            failures.append(MSG_CHAIN_BROKEN.format(ledger=ledger_path(directory), line=number))
    return failures


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def relative(path: Path, base: Path) -> str:
    """`path` relative to `base`, so a ledger and the files it names can move together."""
    return os.path.relpath(path.resolve(), base.resolve())


def _text(directory: Path) -> str:
    path = ledger_path(directory)
    return path.read_text(encoding="utf-8") if path.exists() else ""
