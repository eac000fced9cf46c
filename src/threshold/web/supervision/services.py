"""Writes of supervision content. Each checks who may write it, refuses free text with
identifying details that the writer has not confirmed, and records an audit event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from django.db import models, transaction

from threshold.model import AdHocChannel, AdHocTopic, SessionStatus
from threshold.web.accounts.models import User
from threshold.web.accounts.permissions import Permission
from threshold.web.audit.models import AuditAction
from threshold.web.audit.services import record_event, target_of
from threshold.web.organisations.models import School
from threshold.web.programme.models import Enrolment, SupervisionSession
from threshold.web.supervision.identifiers import Finding, find_identifiers
from threshold.web.supervision.models import (
    AdHocSupport,
    DeliveryRating,
    DslReflection,
    DslWorksheet,
    FirstSessionSheet,
    Initiator,
    SupervisionRecord,
    Term,
    Theme,
)
from threshold.web.supervision.selectors import require_permission, require_recorder

MSG_OPEN_CASE = (
    "Confirm that no case open to children's social care was discussed: such cases are not "
    "brought to supervision, so a record cannot be saved without this confirmation"
)
MSG_IDENTIFYING = (
    "{label} contains {kind} (“{text}”): remove it, or confirm that it does not identify anyone"
)
MSG_NOT_HELD = "session {number} was {status}: only a session that took place has a record"
MSG_UNKNOWN_THEME = "unknown theme {theme!r}: choose from the list"
MSG_SCORE_RANGE = "{name} must be a whole number from 1 to {top}"
MSG_NOTHING_TO_SCORE = "give a need score, an engagement score, or both"


class SupervisionError(ValueError):
    """A supervision write that cannot be done as asked; the message says why and the fix."""


@dataclass(frozen=True)
class FieldFinding:
    """A finding in one field of a form: which field (name and label) and what was found."""

    field: str
    label: str
    finding: Finding

    @property
    def key(self) -> str:
        """What the writer ticks to confirm this finding is not identifying."""
        return f"{self.field}|{self.finding.kind.name}|{self.finding.text}"

    @property
    def message(self) -> str:
        return MSG_IDENTIFYING.format(
            label=self.label, kind=self.finding.kind.value, text=self.finding.text
        )


class IdentifyingDetailsFound(SupervisionError):
    """Free text holds details that look identifying and that the writer has not confirmed."""

    def __init__(self, findings: list[FieldFinding]) -> None:
        super().__init__("; ".join(f.message for f in findings))
        self.findings = findings


def text_findings(model: type[models.Model], texts: Mapping[str, str]) -> list[FieldFinding]:
    """Every finding in `texts` (field name → text), labelled with the model field's name."""
    return [
        FieldFinding(name, str(model._meta.get_field(name).verbose_name), finding)
        for name, text in texts.items()
        for finding in find_identifiers(text)
    ]


def check_texts(
    model: type[models.Model], texts: Mapping[str, str], confirmed: Collection[str]
) -> list[dict[str, str]]:
    """The writer's confirmations of the findings in `texts` (field name → text of a `model`),
    as stored in `confirmed_not_identifying`; IdentifyingDetailsFound for any not confirmed
    (`confirmed` holds the ticked `FieldFinding.key`s)."""
    findings = text_findings(model, texts)
    unconfirmed = [f for f in findings if f.key not in confirmed]
    if unconfirmed:
        raise IdentifyingDetailsFound(unconfirmed)
    return [
        {"field": f.field, "kind": f.finding.kind.name, "text": f.finding.text} for f in findings
    ]


def confirmations_detail(confirmations: list[dict[str, str]]) -> dict[str, object]:
    """The audit event's detail for stored confirmations: which field and kind, never the
    text itself."""
    return {
        "confirmed_not_identifying": [
            {"field": c["field"], "kind": c["kind"]} for c in confirmations
        ]
    }


def _save(
    model: type[models.Model],
    *,
    lookup: Mapping[str, object],
    texts: Mapping[str, str],
    values: Mapping[str, object],
    confirmed: Collection[str],
    school: School,
    by: User,
) -> models.Model:
    """Create or update the `model` row found by `lookup`, checking `texts`, and audit it."""
    confirmations = check_texts(model, texts, confirmed)
    instance, created = model.objects.update_or_create(
        **lookup,
        defaults={
            **texts,
            **values,
            "confirmed_not_identifying": confirmations,
            "written_by": by,
        },
    )
    record_event(
        by=by,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        **target_of(instance),
        authority_code=school.authority.la_code,
        school_urn=school.urn,
        detail=confirmations_detail(confirmations),
    )
    return instance


@transaction.atomic
def first_session_sheet_save(
    *,
    enrolment: Enrolment,
    team_roles: str,
    hopes: str,
    ground_rules: str,
    practicalities: str,
    confirmed: Collection[str] = (),
    by: User,
) -> FirstSessionSheet:
    """Write (or correct) the school's first-session sheet; the school's SSW only."""
    school = enrolment.school
    require_recorder(by, enrolment)
    return _save(
        FirstSessionSheet,
        lookup={"enrolment": enrolment},
        texts={
            "team_roles": team_roles,
            "hopes": hopes,
            "ground_rules": ground_rules,
            "practicalities": practicalities,
        },
        values={},
        confirmed=confirmed,
        school=school,
        by=by,
    )


@transaction.atomic
def supervision_record_save(
    *,
    session: SupervisionSession,
    wellbeing: str,
    presentation: str,
    group_reflection: str,
    shared_discussion: str,
    themes: Collection[str],
    resources: str,
    actions: str,
    no_open_case_confirmed: bool,
    confirmed: Collection[str] = (),
    by: User,
) -> SupervisionRecord:
    """Write (or correct) the record of a session; the school's SSW only. Refused unless they
    confirm that no
    case open to children's social care was discussed, and until every identifying-looking
    detail is removed or confirmed as not identifying."""
    school = session.enrolment.school
    require_recorder(by, session.enrolment)
    if session.status != SessionStatus.HELD:
        raise SupervisionError(
            MSG_NOT_HELD.format(
                number=session.number,
                status=(session.get_status_display() or "only planned").lower(),
            )
        )
    if not no_open_case_confirmed:
        raise SupervisionError(MSG_OPEN_CASE)
    for theme in themes:
        if theme not in Theme.values:
            raise SupervisionError(MSG_UNKNOWN_THEME.format(theme=theme))
    return _save(
        SupervisionRecord,
        lookup={"session": session},
        texts={
            "wellbeing": wellbeing,
            "presentation": presentation,
            "group_reflection": group_reflection,
            "shared_discussion": shared_discussion,
            "resources": resources,
            "actions": actions,
        },
        values={"themes": sorted(set(themes)), "no_open_case_confirmed": True},
        confirmed=confirmed,
        school=school,
        by=by,
    )


@transaction.atomic
def worksheet_save(
    *,
    session: SupervisionSession,
    situation: str,
    wanted: str,
    confirmed: Collection[str] = (),
    by: User,
) -> DslWorksheet:
    """Write (or correct) the DSL's own worksheet for a session of their school."""
    school = session.enrolment.school
    require_permission(by, Permission.SUPERVISION_PREPARE, school)
    return _save(
        DslWorksheet,
        lookup={"session": session, "written_by": by},
        texts={"situation": situation, "wanted": wanted},
        values={},
        confirmed=confirmed,
        school=school,
        by=by,
    )


def _score(value: int | None, name: str, top: int) -> int | None:
    if value is not None and not (isinstance(value, int) and 1 <= value <= top):
        raise SupervisionError(MSG_SCORE_RANGE.format(name=name, top=top))
    return value


@transaction.atomic
def reflection_save(
    *,
    session: SupervisionSession,
    takeaway: str,
    confidence: int,
    usefulness: int,
    confirmed: Collection[str] = (),
    by: User,
) -> DslReflection:
    """Write (or correct) the DSL's own reflection on a session of their school."""
    school = session.enrolment.school
    require_permission(by, Permission.SUPERVISION_PREPARE, school)
    return _save(
        DslReflection,
        lookup={"session": session, "written_by": by},
        texts={"takeaway": takeaway},
        values={
            "confidence": _score(confidence, "confidence", 5),
            "usefulness": _score(usefulness, "usefulness", 5),
        },
        confirmed=confirmed,
        school=school,
        by=by,
    )


@transaction.atomic
def ad_hoc_support_create(
    *,
    enrolment: Enrolment,
    support_date: dt.date,
    channel: AdHocChannel,
    initiated_by: Initiator,
    topic: AdHocTopic,
    duration_minutes: int | None,
    by: User,
) -> AdHocSupport:
    """Log an episode of unplanned support (a category of topic, never case details); the
    school's SSW only."""
    school = enrolment.school
    require_recorder(by, enrolment)
    support = AdHocSupport.objects.create(
        enrolment=enrolment,
        ssw=by,
        support_date=support_date,
        channel=AdHocChannel(channel),
        initiated_by=Initiator(initiated_by),
        topic=AdHocTopic(topic),
        duration_minutes=duration_minutes,
    )
    record_event(
        by=by,
        action=AuditAction.CREATE,
        **target_of(support),
        authority_code=school.authority.la_code,
        school_urn=school.urn,
        detail={"channel": support.channel, "topic": support.topic},
    )
    return support


@transaction.atomic
def delivery_rating_save(
    *,
    enrolment: Enrolment,
    term: Term,
    need: int | None,
    engagement: int | None,
    by: User,
) -> DeliveryRating:
    """Score a school's need and/or engagement (1–4) for a term, the school's SSW only; a
    second score for the same term replaces the first."""
    school = enrolment.school
    require_recorder(by, enrolment)
    if need is None and engagement is None:
        raise SupervisionError(MSG_NOTHING_TO_SCORE)
    rating, created = DeliveryRating.objects.update_or_create(
        enrolment=enrolment,
        term=Term(term),
        defaults={
            "ssw": by,
            "need": _score(need, "need", 4),
            "engagement": _score(engagement, "engagement", 4),
        },
    )
    record_event(
        by=by,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        **target_of(rating),
        authority_code=school.authority.la_code,
        school_urn=school.urn,
        detail={"term": rating.term, "need": need, "engagement": engagement},
    )
    return rating
