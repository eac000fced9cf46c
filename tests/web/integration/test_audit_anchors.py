"""Audit anchors: the chain's head published outside the database (a file, e-mail), checked
before each publication and by `audit_verify` by default, so rehashed events are caught."""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection

from threshold.web.audit.anchors import MSG_ANCHOR_MALFORMED, MSG_ANCHOR_MISSING, AnchorError
from threshold.web.audit.chain import MSG_NO_ANCHOR, event_fields, event_hash
from threshold.web.audit.management.commands.audit_anchor import MSG_EMPTY_CHAIN
from threshold.web.audit.management.commands.audit_verify import MSG_TAMPERED
from threshold.web.audit.models import AuditAction, AuditEvent
from threshold.web.audit.services import (
    ANCHOR_DUE_ACTOR,
    MSG_ANCHOR_NOWHERE,
    MSG_ANCHOR_REFUSED,
    anchor_publish,
    audit_read,
)
from threshold.web.organisations.models import LocalAuthority

pytestmark = pytest.mark.django_db


@pytest.fixture
def anchor_file(settings: object, tmp_path: Path) -> Path:
    """The anchor file, configured and not yet written."""
    settings.AUDIT_ANCHOR_FILE = tmp_path / "anchors" / "threshold.audit-anchors.jsonl"
    return settings.AUDIT_ANCHOR_FILE


def read(count: int) -> None:
    for number in range(count):
        audit_read(by="ssw", object_type="programme.session", object_id=str(number))


def anchors(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def forge(sequence: int, actor: str) -> None:
    """What someone with write access to the database could do: change event `sequence` and
    recompute every later hash, so the chain is consistent again (past the append-only guard)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
        events = list(AuditEvent.objects.filter(sequence__gte=sequence).order_by("sequence"))
        previous = events[0].previous_hash
        for event in events:
            if event.sequence == sequence:
                event.actor = actor
            event.previous_hash = previous
            event.hash = previous = event_hash(previous, event_fields(event))
            cursor.execute(
                "UPDATE audit_auditevent SET actor = %s, previous_hash = %s, hash = %s "
                "WHERE sequence = %s",
                [event.actor, f"{event.sequence:y>64}", f"{event.sequence:z>64}", event.sequence],
            )
        for event in events:  # in two passes: previous_hash and hash are unique
            cursor.execute(
                "UPDATE audit_auditevent SET previous_hash = %s, hash = %s WHERE sequence = %s",
                [event.previous_hash, event.hash, event.sequence],
            )


def run(command: str) -> str:
    """What management `command` prints."""
    output = io.StringIO()
    call_command(command, stdout=output)
    return output.getvalue()


def verify() -> str:
    return run("audit_verify")


def test_audit_anchor_appends_the_checked_head_and_audits_it(anchor_file: Path) -> None:
    read(3)
    run("audit_anchor")
    [line] = anchors(anchor_file)
    third = AuditEvent.objects.get(sequence=3)
    assert (line["sequence"], line["hash"]) == (3, third.hash)
    assert line["published_at"].endswith("+00:00")
    event = AuditEvent.objects.get(sequence=4)
    assert (event.action, event.actor, event.object_id, event.detail["hash"]) == (
        AuditAction.ANCHOR,
        "command:audit_anchor",
        "3",
        third.hash,
    )
    run("audit_anchor")
    assert [line["sequence"] for line in anchors(anchor_file)] == [3, 4]


def test_an_empty_chain_has_nothing_to_anchor(anchor_file: Path) -> None:
    assert run("audit_anchor").strip() == MSG_EMPTY_CHAIN
    assert not anchor_file.exists()


def test_anchors_need_somewhere_to_go(settings: object) -> None:
    settings.AUDIT_ANCHOR_FILE, settings.AUDIT_ANCHOR_EMAILS = None, []
    read(1)
    with pytest.raises(CommandError) as raised:
        call_command("audit_anchor")
    assert str(raised.value) == MSG_ANCHOR_NOWHERE


def test_an_anchor_is_e_mailed_to_the_audit_contacts(settings: object) -> None:
    settings.AUDIT_ANCHOR_FILE, settings.AUDIT_ANCHOR_EMAILS = None, ["audit@la.example"]
    LocalAuthority.objects.create(
        la_code="990", name="Northmoor", audit_contact_email="ig@n.example"
    )
    LocalAuthority.objects.create(
        la_code="991", name="Eastvale", audit_contact_email="audit@la.example"
    )
    LocalAuthority.objects.create(la_code="992", name="Westholm")
    read(2)
    anchor = anchor_publish(by="test")
    [message] = mail.outbox
    assert message.to == ["audit@la.example", "ig@n.example"]
    assert message.subject == "Threshold audit anchor #2"
    assert f"audit-verify --anchor 2:{anchor.hash}" in message.body


def test_a_rehashed_change_passes_without_an_anchor_and_fails_the_default_verify(
    settings: object, anchor_file: Path
) -> None:
    read(5)
    anchor_publish(by="test")
    read(2)
    forge(2, actor="mallory")
    settings.AUDIT_ANCHOR_FILE = None
    assert verify().startswith("audit chain intact: 8 events")  # self-consistent again
    settings.AUDIT_ANCHOR_FILE = anchor_file
    with pytest.raises(CommandError) as raised:
        verify()
    head = AuditEvent.objects.get(sequence=5)
    assert head.actor == "ssw"
    anchored = anchors(anchor_file)[-1]
    problem = MSG_NO_ANCHOR.format(sequence=5, hash=anchored["hash"])
    assert str(raised.value) == MSG_TAMPERED.format(events=8, problem=problem)


def test_the_default_verify_names_the_anchor_it_checked(anchor_file: Path) -> None:
    read(2)
    anchor = anchor_publish(by="test")
    assert f"it holds the anchor #2 {anchor.hash} (published " in verify()


def test_a_rehashed_chain_is_not_anchored(anchor_file: Path) -> None:
    read(3)
    first = anchor_publish(by="test")
    forge(2, actor="mallory")
    with pytest.raises(AnchorError) as raised:
        anchor_publish(by="test")
    problem = MSG_NO_ANCHOR.format(sequence=3, hash=first.hash)
    assert str(raised.value) == MSG_ANCHOR_REFUSED.format(problem=problem)
    assert len(anchors(anchor_file)) == 1


def test_a_missing_anchor_file_is_reported(anchor_file: Path) -> None:
    read(1)
    with pytest.raises(CommandError) as raised:
        verify()
    assert str(raised.value) == MSG_ANCHOR_MISSING.format(path=anchor_file)


@pytest.mark.parametrize(
    "damage",
    [
        lambda path: path.mkdir(parents=True),
        lambda path: path.write_bytes(b"\xff\xfe not text"),
    ],
    ids=["a folder", "not text"],
)
def test_an_unreadable_anchor_file_is_reported(
    damage: Callable[[Path], None], anchor_file: Path
) -> None:
    read(1)
    anchor_file.parent.mkdir(parents=True, exist_ok=True)
    damage(anchor_file)
    with pytest.raises(CommandError, match=f"audit anchor file {anchor_file} cannot be read"):
        verify()


def test_a_malformed_last_anchor_is_reported_with_its_line(anchor_file: Path) -> None:
    read(1)
    anchor_publish(by="test")
    with anchor_file.open("a") as file:
        file.write('{"sequence": 1, "hash": "not a hash", "published_at": "2026-01-01"}\n')
    with pytest.raises(CommandError) as raised:
        verify()
    assert str(raised.value) == MSG_ANCHOR_MALFORMED.format(path=anchor_file, line=2)


def test_recording_an_event_publishes_an_anchor_when_the_latest_is_a_day_old(
    anchor_file: Path, django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        read(1)
    assert [line["sequence"] for line in anchors(anchor_file)] == [1]
    assert AuditEvent.objects.get(sequence=2).actor == ANCHOR_DUE_ACTOR
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        read(1)
    assert not callbacks  # the latest anchor is fresh: nothing more to do
    a_day_ago = time.time() - 24 * 3600 - 60
    os.utime(anchor_file, (a_day_ago, a_day_ago))
    with django_capture_on_commit_callbacks(execute=True):
        read(1)
    assert [line["sequence"] for line in anchors(anchor_file)] == [1, 4]
