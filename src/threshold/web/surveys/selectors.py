"""Reads: a respondent by token, waves one may monitor, response monitoring (counts only,
small ones suppressed; an audited read of the wave), a DSL's own invitations."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from threshold.model import Arm
from threshold.surveys import (
    DifferentialResponse,
    differential_by_arm,
    rates_by_arm,
    rates_by_school,
)
from threshold.web.accounts.permissions import Permission
from threshold.web.accounts.selectors import authorities_where
from threshold.web.audit.services import audit_read, target_of
from threshold.web.insights.figures_cache import figures_key, kept
from threshold.web.organisations.models import School
from threshold.web.programme.models import Enrolment
from threshold.web.programme.selectors import DIRECT_BLOCK
from threshold.web.surveys.models import Respondent, Response, Wave


def respondent_by_token(token: str) -> Respondent | None:
    """The respondent holding `token`, or None."""
    return Respondent.objects.select_related("school__authority").filter(token=token).first()


def wave_for(respondent: Respondent, wave: str, *, today: dt.date | None = None) -> Wave | None:
    """The `wave` (baseline or endline) of a programme that enrolled the respondent's school:
    the one open on `today` (default today; of two, the one that opened last), else the one
    that closed last, else the next to open; None if there is none. So a link keeps working
    for this year's survey once next year's programme has its own."""
    day = timezone.localdate() if today is None else today
    waves = list(
        Wave.objects.filter(wave=wave, programme__enrolments__school=respondent.school_id)
        .select_related("programme__authority")
        .distinct()
    )
    open_now = [w for w in waves if w.opens_on <= day <= w.closes_on]
    if open_now:
        return max(open_now, key=lambda w: w.opens_on)
    closed = [w for w in waves if w.closes_on < day]
    if closed:
        return max(closed, key=lambda w: w.closes_on)
    return min(waves, key=lambda w: w.opens_on, default=None)


def respondent_arm(respondent: Respondent, wave: Wave) -> Arm | None:
    """The respondent's school's arm in the wave's programme; None if it is not enrolled."""
    arm = (
        Enrolment.objects.filter(programme=wave.programme_id, school=respondent.school_id)
        .values_list("arm", flat=True)
        .first()
    )
    return None if arm is None else Arm(arm)


def has_answered(*, respondent: Respondent, wave: Wave) -> bool:
    """Whether the respondent answered the wave. Only the holder of the token (on their link or
    "Your surveys") asks this, and it is not audited: an event naming them beside their own
    response would be the link between them that the survey promises not to make."""
    return Response.objects.filter(respondent=respondent, wave=wave).exists()


def wave_list(*, user: AbstractBaseUser) -> QuerySet[Wave]:
    """Waves of programmes in the LAs where `user` sees survey results."""
    waves = Wave.objects.select_related("programme__authority").order_by(
        "-programme__school_year", "programme__authority__name", "wave"
    )
    authorities = authorities_where(user, Permission.SURVEY_RESULTS_VIEW)
    return waves if authorities is None else waves.filter(programme__authority__in=authorities)


SMALL_COUNT = 5
"""Fewer people or schools than this who responded (0 included) are shown as "fewer than 5",
with no rate, so no one's answering can be told from a count (1 invited, 1 responded)."""


def _shown(count: int) -> int | None:
    """`count`, or None when it is below `SMALL_COUNT`."""
    return count if count >= SMALL_COUNT else None


def _percent(count: int, total: int) -> int | None:
    """`count` as a whole percentage of `total`; None when `count` is not shown or `total` 0."""
    return None if _shown(count) is None or total == 0 else round(100 * count / total)


@dataclass(frozen=True)
class Monitoring:
    """Response rates of one wave: by arm, by school, the arms' difference and the schools with
    no one invited. Counts of responses below `SMALL_COUNT` are None (shown "fewer than 5"),
    and so is the difference unless each arm has `SMALL_COUNT` schools responded."""

    by_arm: list[dict[str, object]]
    by_school: list[dict[str, object]]
    differential: DifferentialResponse | None
    not_invited: list[dict[str, object]]
    randomised: bool = True
    """Whether any school was randomised (else there are no arms to compare)."""


DIRECT = "direct"
"""The group of schools enrolled directly, without a trial: not randomised, so in no arm."""
GROUP_LABELS = {**{arm.value: arm.value.capitalize() for arm in Arm}, DIRECT: "Enrolled directly"}


def _group(enrolment: Enrolment) -> str:
    """The enrolment's arm as allocated, or `DIRECT` for a school enrolled directly."""
    return DIRECT if enrolment.block == DIRECT_BLOCK else enrolment.arm


def _direct_row(by_school: pd.DataFrame) -> dict[str, object] | None:
    """The `rates_by_arm` row of the schools enrolled directly (None if there are none)."""
    rows = by_school[by_school["arm"] == DIRECT]
    if rows.empty:
        return None
    return {
        "arm": DIRECT,
        "schools": int(rows["urn"].nunique()),
        "schools_responded": int(rows["school_responded"].sum()),
        "invited": int(rows["invited"].sum()),
        "responded": int(rows["responded"].sum()),
    }


def _rates(
    invited: pd.DataFrame, answered: set[str], schools: pd.DataFrame
) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """Response rates by school, and by arm among the randomised schools."""
    by_school = rates_by_school(invited, answered, schools)
    return by_school, rates_by_arm(by_school[by_school["arm"] != DIRECT]).to_dict("records")


def monitoring(*, wave: Wave, by: AbstractBaseUser) -> Monitoring:
    """Response rates for `wave` among the respondents of its programme's enrolled schools (not
    withdrawn); counts only, small ones suppressed, never who answered. An audited read.
    Schools enrolled directly (not randomised) are a group of their own, in neither arm nor
    the arms' comparison; a programme with no randomised schools shows only that group."""
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
                "arm": _group(enrolments[school]),
            }
            for token, school in respondents
        ],
        columns=["respondent_token", "urn", "arm"],
    )
    answered = sorted(
        Response.objects.filter(wave=wave).values_list("respondent__token", flat=True)
    )
    schools = pd.DataFrame(
        [{"urn": e.school.urn, "arm": _group(e)} for e in enrolments.values()],
        columns=["urn", "arm"],
    )
    by_school, by_arm = kept(
        figures_key(invited, answered, schools, "survey response rates"),
        lambda: _rates(invited, set(answered), schools),
    )
    randomised = bool((schools["arm"] != DIRECT).any())
    if not randomised:
        by_arm = []
    if (direct := _direct_row(by_school)) is not None:
        by_arm.append(direct)
    names = {e.school.urn: e.school.name for e in enrolments.values()}
    audit_read(
        by=by,
        **target_of(wave),
        authority_code=wave.programme.authority.la_code,
        detail={"what": "response monitoring"},
    )
    arms = [
        {
            "arm": row["arm"],
            "label": GROUP_LABELS[row["arm"]],
            "schools": row["schools"],
            "schools_responded": _shown(row["schools_responded"]),
            "school_rate": _percent(row["schools_responded"], row["schools"]),
            "invited": row["invited"],
            "responded": _shown(row["responded"]),
            "person_rate": _percent(row["responded"], row["invited"]),
        }
        for row in by_arm
    ]
    in_arms = [row for row in arms if row["arm"] != DIRECT]
    comparable = randomised and all(row["schools_responded"] is not None for row in in_arms)
    return Monitoring(
        by_arm=arms,
        by_school=[
            {
                "urn": row["urn"],
                "name": names[row["urn"]],
                "arm": row["arm"],
                "label": GROUP_LABELS[row["arm"]],
                "invited": row["invited"],
                "responded": _shown(row["responded"]),
            }
            for row in by_school.to_dict("records")
        ],
        differential=(
            differential_by_arm(pd.DataFrame([r for r in by_arm if r["arm"] != DIRECT]))
            if comparable
            else None
        ),
        randomised=randomised,
        not_invited=[
            {"urn": urn, "name": names[urn], "arm": arm, "label": GROUP_LABELS[arm]}
            for urn, arm, count in by_school[["urn", "arm", "invited"]].itertuples(index=False)
            if count == 0
        ],
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
                    answered=has_answered(respondent=respondent, wave=wave),
                )
            )
    return invitations


@dataclass(frozen=True)
class Invitees:
    """How many people a wave reaches (its programme's enrolled schools, not withdrawn):
    those with an account (the DSLs, given their link when the wave was made) and those added
    by e-mail. Counts only, and nothing about who has answered."""

    with_accounts: int
    by_email: int

    @property
    def total(self) -> int:
        return self.with_accounts + self.by_email


def invitees(*, wave: Wave, by: AbstractBaseUser) -> Invitees:
    """The people invited to `wave`, counted (an audited read)."""
    respondents = Respondent.objects.filter(
        school__in=Enrolment.objects.filter(
            programme=wave.programme_id, withdrawn_on__isnull=True
        ).values("school")
    )
    found = Invitees(
        with_accounts=respondents.filter(user__isnull=False).count(),
        by_email=respondents.filter(user__isnull=True).count(),
    )
    audit_read(
        by=by,
        **target_of(wave),
        authority_code=wave.programme.authority.la_code,
        detail={"what": "people invited"},
    )
    return found


def invitable_schools(wave: Wave) -> list[School]:
    """The schools whose people may be invited to `wave`: its programme's, not withdrawn."""
    return list(
        School.objects.filter(
            enrolments__programme=wave.programme_id, enrolments__withdrawn_on__isnull=True
        ).order_by("name")
    )
