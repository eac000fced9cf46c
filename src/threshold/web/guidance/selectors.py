"""Reads for guidance: the places a user may act in, published documents, social norms from
the LA's own data, pathway outcomes, and information-line calls with the later contacts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from threshold.model import ContactOutcome
from threshold.web.accounts.authorisation import has_permission, user_memberships
from threshold.web.accounts.permissions import Permission
from threshold.web.accounts.selectors import authorities_where
from threshold.web.audit.services import audit_read
from threshold.web.guidance.models import (
    DocumentVersion,
    InformationLineCall,
    PathwayOutcome,
    ThresholdDocument,
)
from threshold.web.guidance.pathway import (
    LABELS,
    NON_URGENT,
    Route,
    contact_norm,
    outcome_norm,
)
from threshold.web.insights.models import Contact
from threshold.web.organisations.models import LocalAuthority, School

FOLLOW_UP_DAYS = 30
"""A call is "followed by a contact" when the school contacts the front door within this many
days after it."""
NORM_WINDOW_DAYS = 365
NOT_NEEDED = (ContactOutcome.NFA, ContactOutcome.INFORMATION_ADVICE, ContactOutcome.EARLY_HELP)
"""Contact outcomes that needed no social-care action."""


def schools_where(user: AbstractBaseUser, permission: Permission) -> list[School]:
    """The schools of the user's memberships in which they hold `permission`."""
    schools = {m.school for m in user_memberships(user) if m.school is not None}
    return sorted(
        (s for s in schools if has_permission(user, permission, school=s)), key=lambda s: s.name
    )


def authorities_for(user: AbstractBaseUser, permission: Permission) -> list[LocalAuthority]:
    """The LAs where the user holds `permission`, LA-wide or in one of its schools."""
    where = authorities_where(user, permission)
    authorities = set(LocalAuthority.objects.all() if where is None else where)
    authorities |= {school.authority for school in schools_where(user, permission)}
    return sorted(authorities, key=lambda a: a.name)


def document_get(authority: LocalAuthority) -> ThresholdDocument | None:
    return ThresholdDocument.objects.filter(authority=authority).first()


def published_version(authority: LocalAuthority) -> DocumentVersion | None:
    """The LA's latest published version, if any."""
    return (
        DocumentVersion.objects.filter(document__authority=authority)
        .select_related("published_by")
        .first()
    )


def version_list(authority: LocalAuthority) -> QuerySet[DocumentVersion]:
    return DocumentVersion.objects.filter(document__authority=authority).select_related(
        "published_by"
    )


def norms(authority: LocalAuthority, route: Route) -> list[str]:
    """What other DSLs in the LA did, from recorded outcomes and front-door contacts; only
    the messages that rest on enough data (`pathway.MIN_NORM_OUTCOMES`)."""
    outcomes = PathwayOutcome.objects.filter(
        school__authority=authority, recommended_route=route
    ).aggregate(
        recorded=Count("id"),
        taken=Count("id", filter=Q(route_taken=route, contacted_front_door=False)),
    )
    since = timezone.localdate() - dt.timedelta(days=NORM_WINDOW_DAYS)
    contacts = Contact.objects.filter(
        authority=authority, source_school__isnull=False, contact_date__gte=since
    ).aggregate(contacts=Count("id"), not_needed=Count("id", filter=Q(outcome__in=NOT_NEEDED)))
    messages = [
        outcome_norm(area=authority.name, route=route, **outcomes),
        contact_norm(area=authority.name, **contacts) if route in NON_URGENT else None,
    ]
    return [message for message in messages if message]


def outcome_list(*, user: AbstractBaseUser) -> QuerySet[PathwayOutcome]:
    """The outcomes the user recorded."""
    return PathwayOutcome.objects.filter(recorded_by=user).select_related("school")


@dataclass(frozen=True)
class AvoidedCount:
    authority: LocalAuthority
    recorded: int
    avoided: int
    """Outcomes on a non-urgent route with no contact to the front door afterwards."""


def avoided_counts(authorities: list[LocalAuthority]) -> list[AvoidedCount]:
    """Per LA, recorded pathway outcomes and the non-urgent contacts they avoided."""
    rows = []
    for authority in authorities:
        counts = PathwayOutcome.objects.filter(school__authority=authority).aggregate(
            recorded=Count("id"),
            avoided=Count(
                "id",
                filter=Q(route_taken__in=list(NON_URGENT), contacted_front_door=False),
            ),
        )
        rows.append(AvoidedCount(authority, **counts))
    return rows


@dataclass(frozen=True)
class CallFilters:
    school: School | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    category: str = ""
    route: str = ""


def _calls(user: AbstractBaseUser) -> QuerySet[InformationLineCall]:
    """Calls in the LAs where the user records calls."""
    where = authorities_where(user, Permission.GUIDANCE_LINE_RECORD)
    calls = InformationLineCall.objects.select_related("school", "school__authority")
    if where is not None:
        calls = calls.filter(school__authority__in=where)
    return calls


def call_list(*, user: AbstractBaseUser, filters: CallFilters) -> list[InformationLineCall]:
    """The user's calls narrowed by `filters`; an audited read naming the filters."""
    calls = _calls(user)
    if filters.school is not None:
        calls = calls.filter(school=filters.school)
    if filters.date_from is not None:
        calls = calls.filter(called_at__date__gte=filters.date_from)
    if filters.date_to is not None:
        calls = calls.filter(called_at__date__lte=filters.date_to)
    if filters.category:
        calls = calls.filter(category=filters.category)
    if filters.route:
        calls = calls.filter(advice_route=filters.route)
    found = list(calls)
    audit_read(
        by=user,
        object_type=InformationLineCall._meta.label_lower,
        detail={
            "search": {
                "school": filters.school.urn if filters.school else None,
                "date_from": filters.date_from.isoformat() if filters.date_from else None,
                "date_to": filters.date_to.isoformat() if filters.date_to else None,
                "category": filters.category,
                "route": filters.route,
            },
            "calls": len(found),
        },
    )
    return found


def call_get(*, user: AbstractBaseUser, pk: int) -> InformationLineCall | None:
    """One call, if the user records calls in its LA; an audited read."""
    call = _calls(user).filter(pk=pk).first()
    if call is not None:
        audit_read(
            by=user,
            object_type=call._meta.label_lower,
            object_id=str(call.pk),
            authority_code=call.school.authority.la_code,
            school_urn=call.school.urn,
        )
    return call


def later_contacts(call: InformationLineCall, days: int = FOLLOW_UP_DAYS) -> QuerySet[Contact]:
    """Front-door contacts made by the call's school within `days` days after the call."""
    day = timezone.localtime(call.called_at).date()
    return Contact.objects.filter(
        source_school=call.school,
        contact_date__gte=day,
        contact_date__lte=day + dt.timedelta(days=days),
    ).order_by("contact_date")


@dataclass(frozen=True)
class RouteSummary:
    route: Route
    label: str
    calls: int
    followed: int
    """Calls followed by a contact from the same school within `FOLLOW_UP_DAYS` days."""


def call_summary(authorities: list[LocalAuthority]) -> list[RouteSummary]:
    """By route advised: calls in the LAs, and how many were followed by a contact."""
    calls = InformationLineCall.objects.filter(school__authority__in=authorities)
    rows = []
    for route in Route:
        advised = list(calls.filter(advice_route=route).select_related("school"))
        followed = sum(1 for call in advised if later_contacts(call).exists())
        rows.append(RouteSummary(route, LABELS[route], len(advised), followed))
    return rows
