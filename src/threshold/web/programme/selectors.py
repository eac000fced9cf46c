"""Reads of the supervision programme: who may see and record what, schedules, suggested
slots, take-up and community-of-practice meetings.

Who sees which schools: the LA lead every school in the LAs where they manage the programme;
an SSW the schools on their caseload (they are the enrolment's SSW, in an LA where they
record supervision); a DSL their own school.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from threshold.model import Arm, SessionStatus
from threshold.web.accounts.authorisation import has_permission, user_memberships
from threshold.web.accounts.models import Membership, User
from threshold.web.accounts.permissions import Permission
from threshold.web.accounts.roles import RoleName, Scope
from threshold.web.accounts.selectors import authorities_where
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.programme.models import (
    BlockedDate,
    CommunityMeeting,
    Enrolment,
    Programme,
    SupervisionSession,
)
from threshold.web.programme.scheduling import suggest_slots

NO_SSW = "No SSW assigned"


def day_text(day: dt.date) -> str:
    """A date as people write it: 7 October 2024."""
    return f"{day.day} {day:%B %Y}"


def session_day(session: SupervisionSession) -> dt.date:
    """The local date a session is (or was) scheduled for."""
    return timezone.localdate(session.scheduled_for)


def _in(authorities: list[LocalAuthority] | None, lookup: str) -> Q:
    """Rows in `authorities` (None: everywhere)."""
    return Q() if authorities is None else Q(**{f"{lookup}__in": authorities})


def managed_authorities(user: AbstractBaseUser) -> list[LocalAuthority] | None:
    """LAs where `user` runs the programme (None: everywhere)."""
    return authorities_where(user, Permission.PROGRAMME_MANAGE)


def programme_list(*, user: AbstractBaseUser) -> QuerySet[Programme]:
    """Programmes in the LAs where `user` manages the programme, newest year first."""
    managed = managed_authorities(user)
    return (
        Programme.objects.filter(_in(managed, "authority"))
        .select_related("authority")
        .order_by("-school_year", "authority__name")
    )


def programme_manageable(user: AbstractBaseUser, programme: Programme) -> bool:
    """Whether `user` may change `programme`, its enrolments and caseloads."""
    return has_permission(user, Permission.PROGRAMME_MANAGE, authority=programme.authority)


def _own_school_ids(user: AbstractBaseUser) -> list[int]:
    """Schools where `user` holds a school-scoped role that sees supervision (a DSL's)."""
    return [
        m.school_id
        for m in user_memberships(user)
        if m.role_class.scope is Scope.SCHOOL
        and Permission.SUPERVISION_VIEW in m.role_class.permissions
    ]


def _caseload(user: AbstractBaseUser) -> Q:
    """Enrolments on `user`'s caseload: `can_record` as a filter."""
    recording = authorities_where(user, Permission.SUPERVISION_RECORD)
    if recording is not None and not recording:
        return Q(pk__in=[])
    return Q(ssw_id=user.pk) & _in(recording, "programme__authority")


def _programme_or_caseload(user: AbstractBaseUser) -> Q:
    """Enrolments in LAs where `user` manages the programme, or on their caseload."""
    managed = managed_authorities(user)
    visible = _caseload(user)
    if managed is None or managed:
        visible |= _in(managed, "programme__authority")
    return visible


def caseload(*, user: AbstractBaseUser) -> QuerySet[Enrolment]:
    """The enrolments whose supervision `user` records (those `can_record` allows)."""
    return Enrolment.objects.filter(_caseload(user))


def enrolments_visible(*, user: AbstractBaseUser) -> QuerySet[Enrolment]:
    """Every enrolment `user` may see (see the module's docstring)."""
    visible = _programme_or_caseload(user) | Q(school_id__in=_own_school_ids(user))
    return (
        Enrolment.objects.filter(visible)
        .select_related("school__authority", "programme", "ssw")
        .order_by("-programme__school_year", "school__name")
    )


def current_enrolment(school: School) -> Enrolment | None:
    """The school's enrolment in its latest programme, if it has one."""
    return (
        Enrolment.objects.filter(school=school)
        .select_related("programme", "school__authority", "ssw")
        .order_by("-programme__school_year")
        .first()
    )


def school_visible(user: AbstractBaseUser, school: School, enrolment: Enrolment | None) -> bool:
    """Whether `user` may see the school's schedule."""
    if has_permission(user, Permission.PROGRAMME_MANAGE, school=school):
        return True
    if school.pk in _own_school_ids(user):
        return True
    return enrolment is not None and can_record(user, enrolment)


def can_record(user: AbstractBaseUser, enrolment: Enrolment) -> bool:
    """Whether `user` plans and records the school's sessions: its SSW, recording in its LA."""
    return enrolment.ssw_id == user.pk and has_permission(
        user, Permission.SUPERVISION_RECORD, school=enrolment.school
    )


def can_correct(user: AbstractBaseUser, enrolment: Enrolment) -> bool:
    """Whether `user` may correct the school's sessions (undo "held", remove one entered in
    error, change who cancelled one): its SSW, or the LA lead of its programme."""
    return can_record(user, enrolment) or programme_manageable(user, enrolment.programme)


def enrolment_sessions(enrolment: Enrolment) -> QuerySet[SupervisionSession]:
    """The school's sessions in the programme, by date."""
    return enrolment.sessions.select_related(
        "ssw", "rescheduled_to", "rescheduled_from", "record"
    ).order_by("scheduled_for", "pk")


def ssw_candidates(authority: LocalAuthority) -> list[User]:
    """Active users holding the SSW role in `authority`, by name."""
    ids = Membership.objects.filter(role=RoleName.SSW, authority=authority).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("first_name", "username"))


def _anchor(enrolment: Enrolment, sessions: Iterable[SupervisionSession]) -> dt.date:
    """The date the next session is counted from: the latest held or planned session's, or
    the programme's start."""
    dates = [session_day(s) for s in sessions if s.status in ("", SessionStatus.HELD)]
    return max(dates, default=enrolment.programme.starts_on)


def slot_suggestions(enrolment: Enrolment, *, today: dt.date) -> list[dt.date]:
    """Dates for the school's next session (`scheduling.suggest_slots`), from its calendar."""
    programme = enrolment.programme
    calendar = list(enrolment.calendar.all())
    return suggest_slots(
        anchor=_anchor(enrolment, enrolment.sessions.all()),
        today=today,
        min_weeks=programme.interval_min_weeks,
        max_weeks=programme.interval_max_weeks,
        blocked={d.date for d in calendar if d.kind == BlockedDate.Kind.BLOCKED},
        inset={d.date for d in calendar if d.kind == BlockedDate.Kind.INSET},
        not_after=programme.ends_on,
    )


@dataclass(frozen=True)
class SchoolTakeUp:
    """Where one treatment school stands.

    `due_by` is `interval_max_weeks` after its last held session (or the programme's start).
    It is *overdue* when that day has passed with no session held or planned up to it, and
    *unplanned* when the day is still to come but no session is planned by then. A session
    entered after its date (`entered_late`) is not a plan that was there in time: until it is
    held it covers nothing, so it never clears either flag. Removed sessions are not counted.
    """

    enrolment: Enrolment
    held: int
    planned_ahead: int
    last_held: dt.date | None
    next_planned: dt.date | None
    due_by: dt.date
    overdue: bool
    unplanned: bool


@dataclass
class TakeUpGroup:
    """Take-up of a group of schools (one LA, or one SSW's caseload)."""

    name: str
    schools: list[SchoolTakeUp] = field(default_factory=list)
    target: int = 0

    @property
    def no_session_yet(self) -> list[SchoolTakeUp]:
        return [s for s in self.schools if s.held == 0]

    @property
    def overdue(self) -> list[SchoolTakeUp]:
        return [s for s in self.schools if s.overdue]

    @property
    def unplanned(self) -> list[SchoolTakeUp]:
        return [s for s in self.schools if s.unplanned]

    @property
    def held(self) -> int:
        return sum(s.held for s in self.schools)

    @property
    def planned_ahead(self) -> int:
        return sum(s.planned_ahead for s in self.schools)


@dataclass(frozen=True)
class TakeUp:
    """Take-up of the schools a user may see, overall, by LA and by SSW."""

    overall: TakeUpGroup
    by_authority: list[TakeUpGroup]
    by_ssw: list[TakeUpGroup]


def school_take_up(enrolment: Enrolment, *, today: dt.date) -> SchoolTakeUp:
    """Where a school stands on `today` (see `SchoolTakeUp`)."""
    programme = enrolment.programme
    sessions = list(enrolment.sessions.all())
    held = sorted(session_day(s) for s in sessions if s.status == SessionStatus.HELD)
    planned = sorted(session_day(s) for s in sessions if s.status == "" and not s.entered_late)
    anchor = held[-1] if held else programme.starts_on
    due_by = anchor + dt.timedelta(weeks=programme.interval_max_weeks)
    covered = any(anchor <= day <= due_by for day in planned)
    running = today <= programme.ends_on and due_by <= programme.ends_on
    return SchoolTakeUp(
        enrolment=enrolment,
        held=len(held),
        planned_ahead=sum(1 for day in planned if day >= today),
        last_held=held[-1] if held else None,
        next_planned=next((day for day in planned if day >= anchor), None),
        due_by=due_by,
        overdue=running and not covered and due_by < today,
        unplanned=running and not covered and due_by >= today,
    )


def take_up(*, user: AbstractBaseUser, today: dt.date) -> TakeUp:
    """Take-up of the treatment schools `user` may see (withdrawn schools left out) in
    programmes not yet ended. The LA lead sees their LAs; an SSW their caseload."""
    enrolments = (
        Enrolment.objects.filter(
            _programme_or_caseload(user), arm=Arm.TREATMENT, withdrawn_on__isnull=True
        )
        .filter(programme__ends_on__gte=today)
        .select_related("school__authority", "programme", "ssw")
        .prefetch_related(
            Prefetch("sessions", SupervisionSession.objects.order_by("scheduled_for"))
        )
        .order_by("school__authority__name", "school__name")
    )
    schools = [school_take_up(e, today=today) for e in enrolments]
    by_authority: dict[str, TakeUpGroup] = {}
    by_ssw: dict[str, TakeUpGroup] = {}
    for school in schools:
        enrolment = school.enrolment
        ssw = enrolment.ssw
        for groups, name in (
            (by_authority, enrolment.school.authority.name),
            (by_ssw, (ssw.get_full_name() or ssw.get_username()) if ssw else NO_SSW),
        ):
            group = groups.setdefault(name, TakeUpGroup(name=name))
            group.schools.append(school)
            group.target += enrolment.programme.planned_sessions
    overall = TakeUpGroup(name="All", schools=schools)
    overall.target = sum(group.target for group in by_authority.values())
    return TakeUp(
        overall=overall,
        by_authority=list(by_authority.values()),
        by_ssw=sorted(by_ssw.values(), key=lambda g: (g.name == NO_SSW, g.name)),
    )


def community_authorities(user: AbstractBaseUser) -> list[LocalAuthority]:
    """LAs whose community-of-practice meetings `user` sees and records: where they manage
    the programme or record supervision."""
    places = {
        la.pk: la
        for permission in (Permission.PROGRAMME_MANAGE, Permission.SUPERVISION_RECORD)
        for la in (authorities_where(user, permission) or [])
    }
    return sorted(places.values(), key=lambda la: la.name)


def community_meeting_list(*, authorities: list[LocalAuthority]) -> QuerySet[CommunityMeeting]:
    """Meetings in `authorities`, newest first, with their attendees."""
    return (
        CommunityMeeting.objects.filter(authority__in=authorities)
        .select_related("authority")
        .prefetch_related("attendees")
    )


DIRECT_BLOCK = "direct"
"""The `block` of a school enrolled directly (no trial, no randomisation): its arm is
treatment and its random number and order are blank."""


@dataclass(frozen=True)
class DirectCandidate:
    """An open school of the programme's LA not yet enrolled, and why it cannot be enrolled
    directly (if so)."""

    school: School
    refusal: str = ""


def trial_choices(schools: Iterable[School]) -> dict[int, str]:
    """School id → the name of a trial that chose it (it is enrolled by randomisation)."""
    from threshold.web.trials.models import TrialSchool

    return dict(
        TrialSchool.objects.filter(school__in=list(schools)).values_list("school_id", "trial__name")
    )


def direct_candidates(programme: Programme) -> list[DirectCandidate]:
    """The open schools of the programme's LA not enrolled in it, by name; a school chosen for
    a trial is listed with the reason it cannot be enrolled here."""
    from threshold.web.organisations.models import SchoolStatus

    schools = list(
        School.objects.filter(authority=programme.authority_id, status=SchoolStatus.OPEN)
        .exclude(enrolments__programme=programme)
        .select_related("authority")
        .order_by("name", "urn")
    )
    trials = trial_choices(schools)
    return [
        DirectCandidate(
            school,
            f"Chosen for the trial “{trials[school.pk]}”: it is enrolled when the trial is "
            "randomised"
            if school.pk in trials
            else "",
        )
        for school in schools
    ]
