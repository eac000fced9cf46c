"""The hash chain: how an event's hash is computed, and how the chain is verified."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC

from threshold.web.audit.models import GENESIS_HASH, AuditEvent

HASHED_FIELDS = (
    "sequence",
    "occurred_at",
    "actor_id",
    "actor",
    "action",
    "object_type",
    "object_id",
    "authority_code",
    "school_urn",
    "detail",
)
MSG_BAD_HASH = "event #{sequence}: its hash does not match its contents (the event was changed)"
MSG_BAD_LINK = (
    "event #{sequence}: its previous_hash does not match event #{before}'s hash "
    "(an event before it was changed, removed or inserted)"
)
MSG_GAP = "event #{sequence}: expected #{expected} next (events are missing)"
MSG_NO_ANCHOR = (
    "the chain does not hold the anchor #{sequence} {hash} (events up to it were changed and "
    "rehashed, or removed)"
)


def canonical_json(fields: Mapping[str, object]) -> str:
    """The fields as JSON with sorted keys and no spaces: the same bytes on every database."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_fields(event: AuditEvent) -> dict[str, object]:
    """The hashed fields of `event`; its time in UTC, ISO 8601 with microseconds."""
    fields = {name: getattr(event, name) for name in HASHED_FIELDS}
    fields["occurred_at"] = event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds")
    return fields


def event_hash(previous_hash: str, fields: Mapping[str, object]) -> str:
    """sha256 (hex) of the previous event's hash followed by the canonical JSON of `fields`."""
    return hashlib.sha256((previous_hash + canonical_json(fields)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Verification:
    """The outcome of checking the chain: how many events, the head, and the first break."""

    events: int
    head_sequence: int
    head_hash: str
    problem: str | None

    @property
    def intact(self) -> bool:
        return self.problem is None


def verify_chain(
    events: Iterable[AuditEvent],
    *,
    anchor: tuple[int, str] | None = None,
    start: tuple[int, str] = (0, GENESIS_HASH),
) -> Verification:
    """Walk `events` in sequence order; stop at the first that breaks the chain.

    `anchor` is a (sequence, hash) recorded earlier outside the database (a published anchor,
    or the head that a previous verification printed): the chain must still hold it, so
    removing or rehashing events up to it is detected too. `start` is the (sequence, hash) of
    a trusted event that `events` follow (by default, the genesis before event 1).
    """
    (last, previous_hash), count, anchor_seen = start, 0, anchor is None
    expected = last + 1
    for event in events:
        count += 1
        if event.sequence != expected:
            return Verification(
                count,
                expected - 1,
                previous_hash,
                MSG_GAP.format(sequence=event.sequence, expected=expected),
            )
        if event.previous_hash != previous_hash:
            return Verification(
                count,
                expected - 1,
                previous_hash,
                MSG_BAD_LINK.format(sequence=event.sequence, before=event.sequence - 1),
            )
        if event_hash(event.previous_hash, event_fields(event)) != event.hash:
            return Verification(
                count, expected - 1, previous_hash, MSG_BAD_HASH.format(sequence=event.sequence)
            )
        if anchor is not None and event.sequence == anchor[0]:
            anchor_seen = event.hash == anchor[1]
        previous_hash, expected = event.hash, expected + 1
    problem = None if anchor_seen else MSG_NO_ANCHOR.format(sequence=anchor[0], hash=anchor[1])
    return Verification(count, expected - 1, previous_hash, problem)
