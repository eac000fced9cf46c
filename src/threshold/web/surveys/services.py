"""Writes: waves, respondents and their tokens, responses. Each is audited; a respondent acts
as "respondent:<first four characters of their token>", never by name."""

from __future__ import annotations

import datetime as dt
import secrets
import string
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from threshold.model import SurveyRole, SurveyWave
from threshold.web.accounts.models import Membership
from threshold.web.accounts.roles import RoleName
from threshold.web.audit.models import AuditAction
from threshold.web.audit.services import Actor, record_event, target_of
from threshold.web.organisations.models import School
from threshold.web.programme.models import Enrolment, Programme
from threshold.web.surveys.models import Respondent, Response, Wave
from threshold.web.surveys.selectors import respondent_arm

TOKEN_ALPHABET = string.ascii_uppercase + string.digits
TOKEN_LENGTH = 20
"""20 characters of 36: about 103 bits, so tokens cannot be guessed (the contract allows 8–32)."""

SURVEY_ROLES = {RoleName.DSL_LEAD: SurveyRole.LEAD_DSL, RoleName.DSL_DEPUTY: SurveyRole.DEPUTY_DSL}
"""The accounts' roles invited to the surveys, and the survey role each answers as."""

MSG_WAVE_EXISTS = "This programme already has a {wave} survey."
MSG_WAVE_DATES = "The survey must close on or after the day it opens."
MSG_CLOSED = "This survey is not open: it takes answers from {opens} to {closes}."
MSG_ANSWERED = "You have already answered this survey."
MSG_NOT_INVITED = "This link is not for a school in the survey's programme."


def respondent_actor(respondent: Respondent) -> str:
    """The audit actor for a respondent: their token's first four characters only."""
    return str(respondent)


def new_token() -> str:
    """A fresh unguessable token, drawn with `secrets`."""
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


def _school_place(school: School) -> dict[str, object]:
    return {"authority_code": school.authority.la_code, "school_urn": school.urn}


@transaction.atomic
def respondent_add(
    *, school: School, role: SurveyRole, by: Actor, user: object = None
) -> Respondent:
    """Issue one token to a person of `school` (with an account, `user`, or without)."""
    while True:
        token = new_token()
        if not Respondent.objects.filter(token=token).exists():
            break
    respondent = Respondent.objects.create(token=token, school=school, role=role, user=user)
    record_event(
        by=by,
        action=AuditAction.CREATE,
        **target_of(respondent),
        **_school_place(school),
        detail={"role": role.value, "token_prefix": token[:4]},
    )
    return respondent


@transaction.atomic
def respondents_issue(*, programme: Programme, by: Actor) -> int:
    """Give a token to every lead and deputy DSL of the programme's enrolled schools (both arms,
    not withdrawn) who has none for that school; tokens already issued are kept. The number
    issued."""
    schools = Enrolment.objects.filter(programme=programme, withdrawn_on__isnull=True).values(
        "school"
    )
    memberships = Membership.objects.filter(
        role__in=list(SURVEY_ROLES), school__in=schools
    ).select_related("school__authority", "user")
    issued = 0
    for membership in memberships.order_by("pk"):
        if Respondent.objects.filter(user=membership.user, school=membership.school).exists():
            continue
        respondent_add(
            school=membership.school,
            role=SURVEY_ROLES[RoleName(membership.role)],
            user=membership.user,
            by=by,
        )
        issued += 1
    return issued


@transaction.atomic
def wave_create(
    *,
    programme: Programme,
    wave: SurveyWave,
    opens_on: dt.date,
    closes_on: dt.date,
    by: Actor,
) -> tuple[Wave, int]:
    """A programme's baseline or endline survey, and the number of tokens issued to its DSLs
    who had none (`respondents_issue`)."""
    if closes_on < opens_on:
        raise ValidationError(MSG_WAVE_DATES)
    if Wave.objects.filter(programme=programme, wave=wave).exists():
        raise ValidationError(MSG_WAVE_EXISTS.format(wave=SurveyWave(wave).value))
    created = Wave.objects.create(
        programme=programme, wave=wave, opens_on=opens_on, closes_on=closes_on
    )
    record_event(
        by=by,
        action=AuditAction.CREATE,
        **target_of(created),
        authority_code=programme.authority.la_code,
        detail={"wave": wave, "opens_on": str(opens_on), "closes_on": str(closes_on)},
    )
    return created, respondents_issue(programme=programme, by=by)


@transaction.atomic
def response_submit(*, respondent: Respondent, wave: Wave, answers: Mapping[str, str]) -> Response:
    """Save a respondent's answers to an open wave, once: a second answer is refused. The
    respondent acts; the audit event names the wave and school, never the answers."""
    if respondent_arm(respondent, wave) is None:
        raise ValidationError(MSG_NOT_INVITED)
    if not wave.is_open():
        raise ValidationError(MSG_CLOSED.format(opens=wave.opens_on, closes=wave.closes_on))
    if Response.objects.filter(respondent=respondent, wave=wave).exists():
        raise ValidationError(MSG_ANSWERED)
    try:
        with transaction.atomic():
            response = Response.objects.create(
                respondent=respondent, wave=wave, submitted_on=timezone.localdate(), **answers
            )
    except IntegrityError as error:  # the same person submitting twice at once
        raise ValidationError(MSG_ANSWERED) from error
    record_event(
        by=respondent_actor(respondent),
        action=AuditAction.CREATE,
        **target_of(response),
        **_school_place(respondent.school),
        detail={"wave": wave.wave, "wave_id": wave.pk},
    )
    return response
