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
class OutcomeFilters:
    """What a DSL narrows their pathway records to; empty values do not filter."""

    search: str = ""
    """Words in the school's name, or its URN."""
    school: School | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    route_taken: str = ""
    contacted: str = ""
    """"yes" or "no": whether they then contacted the front door."""

    def as_detail(self) -> dict[str, object]:
        """The filters as an audit event names them."""
        return {
            "search": self.search,
            "school": self.school.urn if self.school else None,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "route_taken": self.route_taken,
            "contacted": self.contacted,
        }


def _school_named(search: str) -> Q:
    """Rows whose school's name contains `search`, or whose school's URN it is."""
    words = Q(school__name__icontains=search)
    return words | Q(school__urn=int(search)) if search.isdigit() else words


def outcome_search(*, user: AbstractBaseUser, filters: OutcomeFilters) -> QuerySet[PathwayOutcome]:
    """The outcomes the user recorded, narrowed by `filters`, newest first."""
    outcomes = outcome_list(user=user)
    if filters.search:
        outcomes = outcomes.filter(_school_named(filters.search))
    if filters.school is not None:
        outcomes = outcomes.filter(school=filters.school)
    if filters.date_from is not None:
        outcomes = outcomes.filter(recorded_at__date__gte=filters.date_from)
    if filters.date_to is not None:
        outcomes = outcomes.filter(recorded_at__date__lte=filters.date_to)
    if filters.route_taken:
        outcomes = outcomes.filter(route_taken=filters.route_taken)
    if filters.contacted:
        outcomes = outcomes.filter(contacted_front_door=filters.contacted == "yes")
    return outcomes.order_by("-recorded_at", "-pk")


def outcome_download(
    *, user: AbstractBaseUser, filters: OutcomeFilters, fmt: str
) -> list[PathwayOutcome]:
    """Every record the list shows for `filters`, for a download; an audited read naming the
    download, its format, the filters and how many rows it holds."""
    found = list(outcome_search(user=user, filters=filters))
    audit_read(
        by=user,
        object_type=PathwayOutcome._meta.label_lower,
        detail={
            "download": "pathway outcomes",
            "format": fmt,
            "search": filters.as_detail(),
            "rows": len(found),
        },
    )
    return found


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
    search: str = ""
    """Words in the school's name or URN, the advice given or the follow-up agreed."""

    def as_detail(self) -> dict[str, object]:
        """The filters as an audit event names them."""
        return {
            "school": self.school.urn if self.school else None,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "category": self.category,
            "route": self.route,
            "search": self.search,
        }


def _calls(user: AbstractBaseUser) -> QuerySet[InformationLineCall]:
    """Calls in the LAs where the user records calls."""
    where = authorities_where(user, Permission.GUIDANCE_LINE_RECORD)
    calls = InformationLineCall.objects.select_related("school", "school__authority")
    if where is not None:
        calls = calls.filter(school__authority__in=where)
    return calls


def _calls_found(user: AbstractBaseUser, filters: CallFilters) -> QuerySet[InformationLineCall]:
    """The calls in the user's LAs narrowed by `filters`, newest first."""
    calls = _calls(user)
    if filters.search:
        words = Q(advice__icontains=filters.search) | Q(follow_up__icontains=filters.search)
        calls = calls.filter(_school_named(filters.search) | words)
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
    return calls.order_by("-called_at", "-pk")


def call_list(*, user: AbstractBaseUser, filters: CallFilters) -> QuerySet[InformationLineCall]:
    """The user's calls narrowed by `filters`, newest first; an audited read naming the
    filters and how many calls were found."""
    found = _calls_found(user, filters)
    audit_read(
        by=user,
        object_type=InformationLineCall._meta.label_lower,
        detail={"search": filters.as_detail(), "calls": found.count()},
    )
    return found


def call_download(
    *, user: AbstractBaseUser, filters: CallFilters, fmt: str
) -> list[InformationLineCall]:
    """Every call the list shows for `filters` (not one page), for a download; an audited
    read naming the download, its format, the filters and how many rows it holds."""
    found = list(_calls_found(user, filters))
    audit_read(
        by=user,
        object_type=InformationLineCall._meta.label_lower,
        detail={
            "download": "calls",
            "format": fmt,
            "search": filters.as_detail(),
            "rows": len(found),
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
