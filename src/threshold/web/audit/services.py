"""Appending to the audit chain. Services and selectors elsewhere call `record_event` for
writes and `audit_read` for reads of sensitive records (supervision records, survey
responses, child-level data)."""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection, models, transaction
from django.utils import timezone

from threshold.web.audit.chain import event_fields, event_hash
from threshold.web.audit.models import GENESIS_HASH, AuditAction, AuditEvent

Actor = AbstractBaseUser | str
"""Who acts: a user, or a string naming a system process (for example "command:seed_demo")."""

CHAIN_LOCK_KEY = 7_302_405_118
"""PostgreSQL advisory-lock key that serialises appends, so the chain never forks."""


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
