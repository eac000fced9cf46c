"""Writes: waves, respondents and their tokens, responses. Each is audited. A response is
recorded as an anonymous event on its wave, outside any LA's log (`RESPONDENT_ACTOR`; no
token, person, school or response id), so no log links a response to a person, nor sets its
time beside that person's other events."""

from __future__ import annotations

import datetime as dt
import secrets
import smtplib
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.utils import timezone

from threshold.model import SurveyRole, SurveyWave
from threshold.web.accounts.models import Membership, User
from threshold.web.accounts.roles import RoleName
from threshold.web.audit.models import AuditAction
from threshold.web.audit.services import Actor, record_event, target_of
from threshold.web.organisations.models import School
from threshold.web.programme.models import Enrolment, Programme
from threshold.web.surveys.models import (
    InvitationSent,
    Respondent,
    Response,
    Wave,
    normalise_email,
)
from threshold.web.surveys.selectors import respondent_arm

TOKEN_ALPHABET = string.ascii_uppercase + string.digits
TOKEN_LENGTH = 20
"""20 characters of 36: about 103 bits, so tokens cannot be guessed (the contract allows 8–32)."""

RESPONDENT_ACTOR = "survey respondent"
"""Who submits a response, in the audit chain: the same for everyone."""
SURVEY_ROLES = {RoleName.DSL_LEAD: SurveyRole.LEAD_DSL, RoleName.DSL_DEPUTY: SurveyRole.DEPUTY_DSL}
"""The accounts' roles invited to the surveys, and the survey role each answers as."""

MSG_WAVE_EXISTS = "This programme already has a {wave} survey."
MSG_WAVE_DATES = "The survey must close on or after the day it opens."
MSG_CLOSED = "This survey is not open: it takes answers from {opens} to {closes}."
MSG_ANSWERED = "You have already answered this survey."
MSG_NOT_INVITED = "This link is not for a school in the survey's programme."
INVITATION_SUBJECT = "Your {wave} survey for {school}"
INVITATION_BODY = """Dear colleague,

You are invited to answer the {wave} survey of the DSL supervision programme for {school}.
It takes about five minutes and asks how your work has made you feel and about your role.

Your personal link (please do not share it; it links your answers between surveys, never to
your name): {link}

The survey is open until {closes}.
"""


def new_token() -> str:
    """A fresh unguessable token, drawn with `secrets`."""
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


def _school_place(school: School) -> dict[str, object]:
    return {"authority_code": school.authority.la_code, "school_urn": school.urn}


@transaction.atomic
def respondent_add(
    *, school: School, role: SurveyRole, by: Actor, user: object = None, email: str = ""
) -> Respondent:
    """Issue one token to a person of `school` (with an account, `user`, or without; `email`:
    the address a person was invited at, kept normalised and never logged)."""
    while True:
        token = new_token()
        if not Respondent.objects.filter(token=token).exists():
            break
    respondent = Respondent.objects.create(
        token=token, school=school, role=role, user=user, email=normalise_email(email)
    )
    record_event(
        by=by,
        action=AuditAction.CREATE,
        **target_of(respondent),
        **_school_place(school),
        detail={"role": role.value},
    )
    return respondent


def _account_link(respondent: Respondent, user: User, by: Actor) -> None:
    """Give `respondent` (invited by e-mail) to the account `user` that has their address, so
    the person keeps their token (and their answers stay linked) and finds it under Your
    surveys. Audited without the address."""
    respondent.user = user
    respondent.save(update_fields=["user"])
    record_event(
        by=by,
        action=AuditAction.UPDATE,
        **target_of(respondent),
        **_school_place(respondent.school),
        detail={"linked_to_account": True},
    )


def _unlinked_by_address(user: User, school: School) -> Respondent | None:
    """The respondent of `school` invited by e-mail at `user`'s address and not yet given to an
    account, or None (also when `user` already has a token for `school`)."""
    address = normalise_email(user.email or "")
    if not address or Respondent.objects.filter(user=user, school=school).exists():
        return None
    return (
        Respondent.objects.select_related("school__authority")
        .filter(school=school, email=address, user__isnull=True)
        .first()
    )


@transaction.atomic
def respondents_link_account(*, user: User, by: Actor) -> int:
    """Give `user` the tokens they were sent by e-mail, before they had an account, at each
    school where they now hold a role (one token per person and school). The number linked."""
    linked = 0
    schools = School.objects.filter(memberships__user=user).select_related("authority")
    for school in schools.distinct().order_by("pk"):
        respondent = _unlinked_by_address(user, school)
        if respondent is not None:
            _account_link(respondent, user, by)
            linked += 1
    return linked


@transaction.atomic
def respondents_issue(*, programme: Programme, by: Actor) -> int:
    """Give a token to every lead and deputy DSL of the programme's enrolled schools (both arms,
    not withdrawn) who has none for that school; tokens already issued are kept, and a token
    sent by e-mail to a DSL's address before they had an account becomes theirs
    (`respondents_link_account`). The number issued."""
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
        earlier = _unlinked_by_address(membership.user, membership.school)
        if earlier is not None:
            _account_link(earlier, membership.user, by)
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


@dataclass(frozen=True)
class InvitationsSent:
    """What sending a wave's invitations did."""

    sent: int
    without_address: int
    already_sent: int


def invitations_send(
    *, wave: Wave, link: Callable[[Respondent], str], by: Actor
) -> InvitationsSent:
    """E-mail each invited person with an address their own link to `wave` (`link` makes the
    absolute URL), once per person and wave. Whether someone has answered is not looked at, so
    the counts say nothing about who answered. Each sent invitation is recorded when its e-mail
    has gone, so a failure part-way loses nothing and a second call sends only the rest. One
    audit event gives the counts, never addresses."""
    enrolled = Enrolment.objects.filter(programme=wave.programme, withdrawn_on__isnull=True)
    respondents = (
        Respondent.objects.filter(school__in=enrolled.values("school"))
        .select_related("school__authority", "user")
        .order_by("pk")
    )
    sent = without_address = already = 0
    with get_connection() as connection:
        for respondent in respondents:
            if InvitationSent.objects.filter(wave=wave, respondent=respondent).exists():
                already += 1
                continue
            address = (respondent.user.email if respondent.user is not None else "") or (
                respondent.email
            )
            if not address:
                without_address += 1
                continue
            words = {
                "wave": SurveyWave(wave.wave).value,
                "school": respondent.school.name,
                "link": link(respondent),
                "closes": f"{wave.closes_on.day} {wave.closes_on:%B %Y}",
            }
            EmailMessage(
                INVITATION_SUBJECT.format(**words),
                INVITATION_BODY.format(**words),
                settings.DEFAULT_FROM_EMAIL,
                [address],
                connection=connection,
            ).send()
            InvitationSent.objects.create(wave=wave, respondent=respondent)
            sent += 1
    record_event(
        by=by,
        action=AuditAction.UPDATE,
        **target_of(wave),
        authority_code=wave.programme.authority.la_code,
        detail={"invitations_sent": sent, "without_address": without_address},
    )
    return InvitationsSent(sent, without_address, already)


@transaction.atomic
def response_submit(*, respondent: Respondent, wave: Wave, answers: Mapping[str, str]) -> Response:
    """Save a respondent's answers to an open wave, once: a second answer is refused. Audited
    as an anonymous event on the wave, in no LA's log: never the person, token, school, answers
    or the response's id."""
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
        by=RESPONDENT_ACTOR,
        action=AuditAction.CREATE,
        **target_of(wave),
        detail={"wave": wave.wave, "created": "a response"},
    )
    return response


MSG_PERSON_NOT_ENROLLED = "{school} is not enrolled in {programme}: choose one of its schools"
MSG_PERSON_NOT_SENT = (
    "The e-mail could not be sent, so no one was invited: check the address and try again later"
)
MSG_PERSON_ALREADY = (
    "The person with that e-mail address already has a link for {school}, and it has been "
    "e-mailed to them for this survey: they are invited"
)


@dataclass(frozen=True)
class PersonInvited:
    """A person added to a wave by e-mail: the respondent (made now, or the one they already
    had for that school: `existing`), and whether the address is an account's (their token is
    then theirs, as a DSL's)."""

    respondent: Respondent
    with_account: bool
    existing: bool = False


def _existing_respondent(
    school: School, address: str, user: User | None, by: Actor
) -> Respondent | None:
    """The token the person at `address` (and account `user`, if any) already has for
    `school`: their account's, else the one sent to that address (then given to the account)."""
    if user is not None:
        mine = Respondent.objects.filter(user=user, school=school).first()
        if mine is not None:
            return mine
    earlier = Respondent.objects.filter(school=school, email=address).order_by("pk").first()
    if earlier is not None and user is not None and earlier.user_id is None:
        _account_link(earlier, user, by)
    return earlier


@transaction.atomic
def respondent_invite(
    *,
    wave: Wave,
    school: School,
    role: SurveyRole,
    email: str,
    link: Callable[[Respondent], str],
    by: Actor,
) -> PersonInvited:
    """Invite one person of an enrolled school to `wave` by e-mail and e-mail them their link
    now, recorded as sent. The address is compared normalised (trimmed, case-folded): a person
    who already has a token for the school (invited at an earlier wave, or a DSL with an
    account at that address) keeps it, so their answers link between waves; otherwise a token
    is issued (`respondent_add`; linked to the account with that address, if there is one, and
    else keeping the address to send chasers to). Someone already e-mailed for this wave is
    refused. If the e-mail cannot be sent, nothing is saved. The audit events name the school
    and role, never the address."""
    enrolled = Enrolment.objects.filter(
        programme=wave.programme_id, school=school, withdrawn_on__isnull=True
    )
    if not enrolled.exists():
        raise ValidationError(
            MSG_PERSON_NOT_ENROLLED.format(school=school.name, programme=wave.programme)
        )
    address = normalise_email(email)
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    respondent = _existing_respondent(school, address, user, by)
    existing = respondent is not None
    if respondent is None:
        respondent = respondent_add(
            school=school, role=role, user=user, email="" if user else address, by=by
        )
    elif InvitationSent.objects.filter(wave=wave, respondent=respondent).exists():
        raise ValidationError(MSG_PERSON_ALREADY.format(school=school.name))
    words = {
        "wave": SurveyWave(wave.wave).value,
        "school": school.name,
        "link": link(respondent),
        "closes": f"{wave.closes_on.day} {wave.closes_on:%B %Y}",
    }
    try:
        EmailMessage(
            INVITATION_SUBJECT.format(**words),
            INVITATION_BODY.format(**words),
            settings.DEFAULT_FROM_EMAIL,
            [email.strip()],
        ).send()
    except (OSError, smtplib.SMTPException) as error:  # nothing is saved: the caller retries
        raise ValidationError(MSG_PERSON_NOT_SENT) from error
    InvitationSent.objects.create(wave=wave, respondent=respondent)
    record_event(
        by=by,
        action=AuditAction.UPDATE,
        **target_of(wave),
        **_school_place(school),
        detail={
            "invitations_sent": 1,
            "added_by_email": True,
            "role": role.value,
            "existing_link": existing,
        },
    )
    return PersonInvited(respondent, with_account=user is not None, existing=existing)
