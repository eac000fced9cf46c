"""Appending to the audit chain. Services and selectors elsewhere call `record_event` for
writes and `audit_read` for reads of sensitive records (supervision records, survey
responses, child-level data)."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping
from pathlib import Path

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.mail import send_mail
from django.db import connection, models, transaction
from django.utils import timezone

from threshold.web.audit.anchors import (
    Anchor,
    AnchorError,
    anchor_due,
    append_anchor,
    latest_anchor,
)
from threshold.web.audit.chain import MSG_NO_ANCHOR, event_fields, event_hash, verify_chain
from threshold.web.audit.models import GENESIS_HASH, AuditAction, AuditEvent
from threshold.web.organisations.models import LocalAuthority

Actor = AbstractBaseUser | str
"""Who acts: a user, or a string naming a system process (for example "command:seed_demo")."""

CHAIN_LOCK_KEY = 7_302_405_118
"""PostgreSQL advisory-lock key that serialises appends, so the chain never forks."""

ANCHOR_DUE_ACTOR = "service:anchor_due"
MSG_ANCHOR_NOWHERE = (
    "audit anchors have nowhere to go: set THRESHOLD_AUDIT_ANCHOR_FILE (a file outside the "
    "database) or THRESHOLD_AUDIT_CONTACT (e-mail addresses), see docs/web.md"
)
MSG_ANCHOR_REFUSED = "no anchor published, the audit chain is broken: {problem}"
MSG_ANCHOR_FAILED = "the audit anchor that was due was not published: %s"
ANCHOR_SUBJECT = "Threshold audit anchor #{sequence}"
ANCHOR_BODY = (
    "The audit chain's head at {published_at}: event #{sequence}, hash {hash}.\n\n"
    "Keep this message. To check that no event up to it has since been changed or removed, run\n"
    "    threshold web audit-verify --anchor {sequence}:{hash}\n"
)
logger = logging.getLogger(__name__)


def target_of(instance: models.Model) -> dict[str, str]:
    """`object_type` and `object_id` naming a model instance, for `record_event(**…)`."""
    return {"object_type": instance._meta.label_lower, "object_id": str(instance.pk)}


def _actor_fields(by: Actor) -> dict[str, object]:
    if isinstance(by, str):
        return {"actor_id": None, "actor": by}
    return {"actor_id": by.pk, "actor": by.get_username()}


@transaction.atomic
def record_event(
    *,
    by: Actor,
    action: AuditAction,
    object_type: str,
    object_id: str = "",
    authority_code: str = "",
    school_urn: int | None = None,
    detail: Mapping[str, object] | None = None,
) -> AuditEvent:
    """Append one event to the chain, after the current head, in the caller's transaction.

    Appends are serialised (an advisory lock on PostgreSQL; SQLite's immediate transactions
    elsewhere), and `previous_hash` is unique, so two appends can never share a predecessor.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
    head = AuditEvent.objects.order_by("-sequence").only("sequence", "hash").first()
    event = AuditEvent(
        sequence=1 if head is None else head.sequence + 1,
        occurred_at=timezone.now(),
        action=AuditAction(action).value,
        object_type=object_type,
        object_id=object_id,
        authority_code=authority_code,
        school_urn=school_urn,
        detail=dict(detail or {}),
        previous_hash=GENESIS_HASH if head is None else head.hash,
        **_actor_fields(by),
    )
    event.hash = event_hash(event.previous_hash, event_fields(event))
    event.save()
    if anchor_due():
        transaction.on_commit(_publish_due_anchor)
    return event


def audit_read(
    *,
    by: Actor,
    object_type: str,
    object_id: str = "",
    authority_code: str = "",
    school_urn: int | None = None,
    detail: Mapping[str, object] | None = None,
) -> AuditEvent:
    """Record that `by` read a sensitive record (or a list of them: say which in `detail`)."""
    return record_event(
        by=by,
        action=AuditAction.READ,
        object_type=object_type,
        object_id=object_id,
        authority_code=authority_code,
        school_urn=school_urn,
        detail=detail,
    )


def _anchor_recipients() -> list[str]:
    """THRESHOLD_AUDIT_CONTACT's addresses and each LA's audit contact, each once."""
    contacts = LocalAuthority.objects.exclude(audit_contact_email="").order_by("la_code")
    found = [*settings.AUDIT_ANCHOR_EMAILS, *contacts.values_list("audit_contact_email", flat=True)]
    return list(dict.fromkeys(found))


def anchor_publish(*, by: Actor) -> Anchor | None:
    """Publish the chain's head to the anchor file and the audit contacts (the service's and
    each LA's; each if configured),
    after checking the events since the latest anchor; None while the chain is empty. Not one
    transaction: a file written or a message sent cannot be rolled back, and the check must
    not hold the database's write lock."""
    path, recipients = settings.AUDIT_ANCHOR_FILE, _anchor_recipients()
    if path is None and not recipients:
        raise AnchorError(MSG_ANCHOR_NOWHERE)
    start = (0, GENESIS_HASH)
    previous = None if path is None else latest_anchor(Path(path))
    if previous is not None:
        if not AuditEvent.objects.filter(sequence=previous.sequence, hash=previous.hash).exists():
            problem = MSG_NO_ANCHOR.format(sequence=previous.sequence, hash=previous.hash)
            raise AnchorError(MSG_ANCHOR_REFUSED.format(problem=problem))
        start = (previous.sequence, previous.hash)
    events = AuditEvent.objects.filter(sequence__gt=start[0]).order_by("sequence")
    verification = verify_chain(events.iterator(chunk_size=2000), start=start)
    if not verification.intact:
        raise AnchorError(MSG_ANCHOR_REFUSED.format(problem=verification.problem))
    if verification.head_sequence == 0:
        return None
    anchor = Anchor(verification.head_sequence, verification.head_hash, timezone.now())
    if path is not None:
        append_anchor(Path(path), anchor)
    if recipients:
        fields = {"sequence": anchor.sequence, "hash": anchor.hash}
        send_mail(
            ANCHOR_SUBJECT.format(**fields),
            ANCHOR_BODY.format(**fields, published_at=anchor.published_at.isoformat()),
            None,
            recipients,
        )
    record_event(
        by=by,
        action=AuditAction.ANCHOR,
        object_type="audit.auditevent",
        object_id=str(anchor.sequence),
        detail={
            "hash": anchor.hash,
            "file": "" if path is None else str(path),
            "emailed": list(recipients),
        },
    )
    return anchor


def _publish_due_anchor() -> None:
    """Publish the anchor that is due; a failure is logged, never the user's error."""
    try:
        anchor_publish(by=ANCHOR_DUE_ACTOR)
    except (AnchorError, OSError, smtplib.SMTPException) as error:
        logger.warning(MSG_ANCHOR_FAILED, error)
