"""Audit anchors: the chain's head (sequence and hash) published outside the database, one JSON
line per anchor appended to `settings.AUDIT_ANCHOR_FILE`, so that events up to an anchor cannot
be changed, rehashed or removed unnoticed (`audit_verify` checks the latest by default)."""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings

MSG_ANCHOR_MISSING = (
    "audit anchor file {path} is missing or holds no anchor: publish one with `threshold web "
    "audit-anchor`, or give --anchor SEQUENCE:HASH"
)
MSG_ANCHOR_UNREADABLE = (
    "audit anchor file {path} cannot be read ({error}): fix it or its permissions, or give "
    "--anchor SEQUENCE:HASH"
)
MSG_ANCHOR_MALFORMED = (
    "audit anchor file {path}, line {line}: not an anchor; each line must be "
    '{{"sequence": N, "hash": "64 hex digits", "published_at": "…"}}'
)
HASH_PATTERN = re.compile(r"^[0-9a-f]{64}$")


class AnchorError(Exception):
    """An anchor cannot be read or published; the message says why and what to do."""


@dataclass(frozen=True)
class Anchor:
    """The chain's head as published: its sequence and hash, and when it was published."""

    sequence: int
    hash: str
    published_at: datetime

    def to_json(self) -> str:
        return json.dumps(
            {
                "sequence": self.sequence,
                "hash": self.hash,
                "published_at": self.published_at.isoformat(timespec="seconds"),
            },
            sort_keys=True,
        )


def _parse(text: str, path: Path, line: int) -> Anchor:
    try:
        fields = json.loads(text)
        anchor = Anchor(
            int(fields["sequence"]),
            str(fields["hash"]),
            datetime.fromisoformat(fields["published_at"]),
        )
    except (ValueError, TypeError, KeyError) as error:
        raise AnchorError(MSG_ANCHOR_MALFORMED.format(path=path, line=line)) from error
    if anchor.sequence < 1 or not HASH_PATTERN.match(anchor.hash):
        raise AnchorError(MSG_ANCHOR_MALFORMED.format(path=path, line=line))
    return anchor


def latest_anchor(path: Path) -> Anchor | None:
    """The last anchor in the file at `path`, None if there is none (no file, or an empty one);
    AnchorError if the file cannot be read or its last line is not an anchor."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise AnchorError(MSG_ANCHOR_UNREADABLE.format(path=path, error=error)) from error
    numbered = [(number, text) for number, text in enumerate(lines, start=1) if text.strip()]
    if not numbered:
        return None
    number, text = numbered[-1]
    return _parse(text, path, number)


def append_anchor(path: Path, anchor: Anchor) -> None:
    """Append `anchor` as one line to the file at `path` (created, with its folder, if new)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as file:
        file.write(anchor.to_json() + "\n")
        file.flush()
        os.fsync(file.fileno())


def anchor_due() -> bool:
    """Cheaply: is an anchor file configured and its latest anchor older than
    `settings.AUDIT_ANCHOR_MAX_AGE` (or not there at all)?"""
    path = settings.AUDIT_ANCHOR_FILE
    if path is None:
        return False
    try:
        age = time.time() - Path(path).stat().st_mtime
    except OSError:
        return True
    return age > settings.AUDIT_ANCHOR_MAX_AGE.total_seconds()
