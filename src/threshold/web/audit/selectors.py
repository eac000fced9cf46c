"""Reads of the audit chain."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import QuerySet

from threshold.web.audit.models import AuditEvent

HIDDEN_FROM_LAS = "surveys.response"
"""Events about one survey response, which services no longer record (an LA's staff could
line them up with a person's other events); those in older chains are shown to global
viewers only."""
RESPONDENT_PREFIX = "respondent:"


@dataclass(frozen=True)
class AuditFilters:
    """What the audit viewer narrows events to; empty values do not filter."""

    authority_codes: Collection[str] | None = None
    """Only events in these LAs; None means every event, including those in no LA."""
    action: str = ""
    actor: str = ""
    object_type: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def audit_event_list(*, filters: AuditFilters) -> QuerySet[AuditEvent]:
    """Events matching `filters`, newest first."""
    events = AuditEvent.objects.all()
    if filters.authority_codes is not None:
        events = events.filter(authority_code__in=list(filters.authority_codes))
        events = events.exclude(object_type=HIDDEN_FROM_LAS).exclude(
            actor__startswith=RESPONDENT_PREFIX
        )
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.actor:
        events = events.filter(actor__icontains=filters.actor)
    if filters.object_type:
        events = events.filter(object_type=filters.object_type)
    if filters.date_from:
        events = events.filter(occurred_at__date__gte=filters.date_from)
    if filters.date_to:
        events = events.filter(occurred_at__date__lte=filters.date_to)
    return events.order_by("-sequence")


def audit_chain() -> QuerySet[AuditEvent]:
    """Every event in chain order, streamed, for verification."""
    return AuditEvent.objects.order_by("sequence")
