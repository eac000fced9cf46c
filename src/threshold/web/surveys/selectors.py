"""Reads: a respondent by token, waves one may monitor, response monitoring, a DSL's own
invitations. Reading responses (even whether someone answered) is an audited read."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from django.urls import reverse

from threshold.model import Arm
from threshold.surveys import (
    DifferentialResponse,
    differential_by_arm,
    rates_by_arm,
    rates_by_school,
)
from threshold.web.accounts.permissions import Permission
from threshold.web.accounts.selectors import authorities_where
from threshold.web.audit.services import Actor, audit_read, target_of
from threshold.web.programme.models import Enrolment
from threshold.web.surveys.models import Respondent, Response, Wave


def respondent_by_token(token: str) -> Respondent | None:
    """The respondent holding `token`, or None."""
    return Respondent.objects.select_related("school__authority").filter(token=token).first()


def wave_for(respondent: Respondent, wave: str) -> Wave | None:
    """The `wave` (baseline or endline) of the latest programme that enrolled the respondent's
    school, or None."""
    return (
        Wave.objects.filter(wave=wave, programme__enrolments__school=respondent.school_id)
        .select_related("programme__authority")
        .order_by("-programme__school_year")
        .first()
    )


def respondent_arm(respondent: Respondent, wave: Wave) -> Arm | None:
    """The respondent's school's arm in the wave's programme; None if it is not enrolled."""
    arm = (
        Enrolment.objects.filter(programme=wave.programme_id, school=respondent.school_id)
        .values_list("arm", flat=True)
        .first()
    )
    return None if arm is None else Arm(arm)


def has_answered(*, respondent: Respondent, wave: Wave, by: Actor) -> bool:
    """Whether the respondent answered the wave (an audited read of their response)."""
    response = Response.objects.filter(respondent=respondent, wave=wave).only("pk").first()
    if response is not None:
        audit_read(
            by=by,
            **target_of(response),
            authority_code=respondent.school.authority.la_code,
            school_urn=respondent.school.urn,
            detail={"wave": wave.wave, "what": "whether answered"},
        )
    return response is not None


def wave_list(*, user: AbstractBaseUser) -> QuerySet[Wave]:
    """Waves of programmes in the LAs where `user` sees survey results."""
    waves = Wave.objects.select_related("programme__authority").order_by(
        "-programme__school_year", "programme__authority__name", "wave"
    )
    authorities = authorities_where(user, Permission.SURVEY_RESULTS_VIEW)
    return waves if authorities is None else waves.filter(programme__authority__in=authorities)


@dataclass(frozen=True)
class Monitoring:
    """Response rates of one wave: by arm, by school, the arms' difference, schools silent."""

    by_arm: list[dict[str, object]]
    by_school: list[dict[str, object]]
    differential: DifferentialResponse | None
    no_response: list[dict[str, object]]


def monitoring(*, wave: Wave, by: AbstractBaseUser) -> Monitoring:
    """Response rates for `wave` among the respondents of its programme's enrolled schools (not
    withdrawn); counts only, never who answered. An audited read."""
    enrolments = {
        e.school_id: e
        for e in Enrolment.objects.filter(
            programme=wave.programme_id, withdrawn_on__isnull=True
        ).select_related("school")
    }
    respondents = Respondent.objects.filter(school__in=list(enrolments)).values_list(
        "token", "school_id"
    )
    invited = pd.DataFrame(
        [
            {
                "respondent_token": token,
                "urn": enrolments[school].school.urn,
                "arm": enrolments[school].arm,
            }
            for token, school in respondents
        ],
        columns=["respondent_token", "urn", "arm"],
    )
    answered = Response.objects.filter(wave=wave).values_list("respondent__token", flat=True)
    schools = pd.DataFrame(
        [{"urn": e.school.urn, "arm": e.arm} for e in enrolments.values()], columns=["urn", "arm"]
    )
    by_school = rates_by_school(invited, set(answered), schools)
    by_arm = rates_by_arm(by_school)
    names = {e.school.urn: e.school.name for e in enrolments.values()}
    schools = [row | {"name": names[row["urn"]]} for row in by_school.to_dict("records")]
    audit_read(
        by=by,
        **target_of(wave),
        authority_code=wave.programme.authority.la_code,
        detail={"what": "response monitoring", "responses": int(by_school["responded"].sum())},
    )
    return Monitoring(
        by_arm=by_arm.to_dict("records"),
        by_school=schools,
        differential=differential_by_arm(by_arm),
        no_response=[row for row in schools if not row["school_responded"]],
    )


@dataclass(frozen=True)
class Invitation:
    """An open wave a signed-in DSL is invited to, their link and whether they answered."""

    wave: Wave
    school_name: str
    href: str
    answered: bool


def invitation_list(*, user: AbstractBaseUser) -> list[Invitation]:
    """The user's invitations to open waves of their schools' programmes."""
    invitations = []
    for respondent in Respondent.objects.filter(user=user).select_related("school__authority"):
        waves = Wave.objects.filter(
            programme__enrolments__school=respondent.school_id
        ).select_related("programme")
        for wave in waves.order_by("opens_on"):
            if not wave.is_open():
                continue
            invitations.append(
                Invitation(
                    wave=wave,
                    school_name=respondent.school.name,
                    href=reverse(
                        "surveys:respond", kwargs={"token": respondent.token, "wave": wave.wave}
                    ),
                    answered=has_answered(respondent=respondent, wave=wave, by=user),
                )
            )
    return invitations
