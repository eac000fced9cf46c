"""Writes for guidance: the threshold document's draft and published versions, pathway
outcomes and information-line calls. Each checks the writer's permission in the place and
records an audit event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping

from django.core.exceptions import PermissionDenied
from django.db import transaction

from threshold.web.accounts.authorisation import has_permission
from threshold.web.accounts.models import User
from threshold.web.accounts.permissions import Permission
from threshold.web.audit.models import AuditAction
from threshold.web.audit.services import record_event, target_of
from threshold.web.guidance.models import (
    DocumentVersion,
    InformationLineCall,
    PathwayOutcome,
    ThresholdDocument,
)
from threshold.web.guidance.pathway import Recommendation, Route, next_step
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.supervision.services import check_texts, confirmations_detail

MSG_NO_DRAFT = "{authority} has no draft threshold document: write one before publishing"
MSG_UNCHANGED = "the draft is the same as version {number}: change it before publishing again"
MSG_UNFINISHED = "the pathway is not finished: answer every question before recording"


class GuidanceError(ValueError):
    """A guidance write that cannot be done as asked; the message says why and the fix."""


def _require(user: User, permission: Permission, **place: object) -> None:
    if not has_permission(user, permission, **place):
        raise PermissionDenied


@transaction.atomic
def document_save_draft(
    *, authority: LocalAuthority, content: Mapping[str, object], by: User
) -> ThresholdDocument:
    """Save the LA's draft threshold document (DSLs keep seeing the published version)."""
    _require(by, Permission.GUIDANCE_MANAGE, authority=authority)
    document, created = ThresholdDocument.objects.update_or_create(
        authority=authority, defaults={"draft": dict(content), "updated_by": by}
    )
    record_event(
        by=by,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        **target_of(document),
        authority_code=authority.la_code,
    )
    return document


@transaction.atomic
def document_publish(*, authority: LocalAuthority, by: User) -> DocumentVersion:
    """Publish the draft as the next immutable version, naming who published it and when."""
    _require(by, Permission.GUIDANCE_MANAGE, authority=authority)
    document = ThresholdDocument.objects.select_for_update().filter(authority=authority).first()
    if document is None:
        raise GuidanceError(MSG_NO_DRAFT.format(authority=authority.name))
    latest = document.versions.first()
    if latest is not None and latest.content == document.draft:
        raise GuidanceError(MSG_UNCHANGED.format(number=latest.number))
    version = DocumentVersion.objects.create(
        document=document,
        number=1 if latest is None else latest.number + 1,
        content=document.draft,
        published_by=by,
    )
    record_event(
        by=by,
        action=AuditAction.CREATE,
        **target_of(version),
        authority_code=authority.la_code,
        detail={"number": version.number},
    )
    return version


@transaction.atomic
def pathway_outcome_record(
    *,
    school: School,
    answers: Mapping[str, str],
    route_taken: Route,
    contacted_front_door: bool,
    by: User,
) -> PathwayOutcome:
    """Record what a DSL did after the pathway, with the route the answers recommended and
    the document version they saw."""
    _require(by, Permission.GUIDANCE_PATHWAY, school=school)
    step = next_step(answers)
    if not isinstance(step, Recommendation):
        raise GuidanceError(MSG_UNFINISHED)
    outcome = PathwayOutcome.objects.create(
        school=school,
        recorded_by=by,
        version=DocumentVersion.objects.filter(document__authority=school.authority_id).first(),
        answers=dict(answers),
        recommended_route=step.route,
        route_taken=Route(route_taken),
        contacted_front_door=contacted_front_door,
    )
    record_event(
        by=by,
        action=AuditAction.CREATE,
        **target_of(outcome),
        authority_code=school.authority.la_code,
        school_urn=school.urn,
        detail={"recommended": step.route.value, "taken": outcome.route_taken},
    )
    return outcome


@transaction.atomic
def line_call_create(
    *,
    school: School,
    caller_role: str,
    called_at: dt.datetime,
    category: str,
    advice_route: Route,
    minutes: int,
    advice: str,
    follow_up: str,
    confirmed: Collection[str],
    by: User,
) -> InformationLineCall:
    """Record a call to the DSL information line. Free text with identifying details that the
    handler has not confirmed raises `IdentifyingDetailsFound` (supervision's check)."""
    _require(by, Permission.GUIDANCE_LINE_RECORD, school=school)
    confirmations = check_texts(
        InformationLineCall, {"advice": advice, "follow_up": follow_up}, confirmed
    )
    call = InformationLineCall.objects.create(
        school=school,
        caller_role=caller_role,
        called_at=called_at,
        category=category,
        advice_route=Route(advice_route),
        minutes=minutes,
        advice=advice,
        follow_up=follow_up,
        confirmed_not_identifying=confirmations,
        recorded_by=by,
    )
    record_event(
        by=by,
        action=AuditAction.CREATE,
        **target_of(call),
        authority_code=school.authority.la_code,
        school_urn=school.urn,
        detail=confirmations_detail(confirmations),
    )
    return call
