"""The hash chain, on events held in memory: tampering of each kind is found and named."""

from __future__ import annotations

import datetime as dt

import pytest

from threshold.web.audit.chain import (
    MSG_BAD_HASH,
    MSG_BAD_LINK,
    MSG_GAP,
    MSG_NO_ANCHOR,
    canonical_json,
    event_fields,
    event_hash,
    verify_chain,
)
from threshold.web.audit.models import GENESIS_HASH, AuditEvent

START = dt.datetime(2025, 9, 1, 9, 0, tzinfo=dt.UTC)


def chain(n: int) -> list[AuditEvent]:
    """`n` correctly chained events."""
    events, previous = [], GENESIS_HASH
    for sequence in range(1, n + 1):
        event = AuditEvent(
            sequence=sequence,
            occurred_at=START + dt.timedelta(minutes=sequence),
            actor="ssw",
            actor_id=7,
            action="read",
            object_type="programme.session",
            object_id=str(sequence),
            authority_code="990",
            detail={"b": 1, "a": [1, 2]},
            previous_hash=previous,
        )
        event.hash = previous = event_hash(previous, event_fields(event))
        events.append(event)
    return events


def test_canonical_json_sorts_keys_without_spaces() -> None:
    assert canonical_json({"b": 1, "a": {"d": None, "c": "é"}}) == '{"a":{"c":"é","d":null},"b":1}'


def test_the_time_is_hashed_in_utc_whatever_its_zone() -> None:
    event = chain(1)[0]
    utc = event_fields(event)["occurred_at"]
    event.occurred_at = event.occurred_at.astimezone(dt.timezone(dt.timedelta(hours=1)))
    assert event_fields(event)["occurred_at"] == utc == "2025-09-01T09:01:00.000000+00:00"


def test_an_intact_chain_verifies_and_reports_its_head() -> None:
    events = chain(5)
    result = verify_chain(events)
    assert result.intact
    assert (result.events, result.head_sequence, result.head_hash) == (5, 5, events[-1].hash)


def test_a_changed_event_is_named() -> None:
    events = chain(5)
    events[2].object_id = "999"
    assert verify_chain(events).problem == MSG_BAD_HASH.format(sequence=3)


def test_a_rehashed_change_breaks_the_next_link() -> None:
    events = chain(5)
    events[2].object_id = "999"
    events[2].hash = event_hash(events[2].previous_hash, event_fields(events[2]))
    assert verify_chain(events).problem == MSG_BAD_LINK.format(sequence=4, before=3)


def test_a_removed_event_is_a_gap() -> None:
    events = chain(5)
    del events[1]
    assert verify_chain(events).problem == MSG_GAP.format(sequence=3, expected=2)


@pytest.mark.parametrize("kept", [3, 0])
def test_removing_the_newest_events_is_found_by_the_anchor(kept: int) -> None:
    events = chain(5)
    anchor = (5, events[-1].hash)
    assert verify_chain(events, anchor=anchor).intact
    assert verify_chain(events[:kept], anchor=anchor).problem == MSG_NO_ANCHOR.format(
        sequence=5, hash=events[-1].hash
    )


def test_a_walk_can_start_after_a_trusted_event() -> None:
    events = chain(5)
    start = (2, events[1].hash)
    assert verify_chain(events[2:], start=start).intact
    events[3].previous_hash = events[2].previous_hash
    assert verify_chain(events[2:], start=start).problem == MSG_BAD_LINK.format(
        sequence=4, before=3
    )
    assert verify_chain(events[3:], start=start).problem == MSG_GAP.format(sequence=4, expected=3)
