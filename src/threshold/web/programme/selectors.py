"""Reads of the supervision programme: who may see and record what, schedules, suggested
slots, take-up and community-of-practice meetings.

Who sees which schools: the LA lead every school in the LAs where they manage the programme;
an SSW the schools on their caseload (they are the enrolment's SSW, in an LA where they
record supervision); a DSL their own school.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q, QuerySet
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


def current_enrolment(
    school: School, *, today: dt.date | None = None, school_year: str | None = None
) -> Enrolment | None:
    """The school's enrolment in the programme running on `today` (default: today; of two
    running at once, the one that started first, until it ends), else in the next to start,
    else in the one that ended last; None if it has none. So enrolling schools in next year's
    programme ahead of time does not hide this year's. `school_year` ("2025/26"): the
    enrolment in that year's programme instead, for a caller that needs a particular year."""
    enrolments = Enrolment.objects.filter(school=school).select_related(
        "programme", "school__authority", "ssw"
    )
    if school_year is not None:
        return enrolments.filter(programme__school_year=school_year).first()
    day = timezone.localdate() if today is None else today
    found = list(enrolments)
    running = [e for e in found if e.programme.starts_on <= day <= e.programme.ends_on]
    if running:
        return min(running, key=lambda e: (e.programme.starts_on, e.programme.school_year))
    coming = [e for e in found if e.programme.starts_on > day]
    if coming:
        return min(coming, key=lambda e: (e.programme.starts_on, e.programme.school_year))
    return max(found, key=lambda e: (e.programme.ends_on, e.programme.school_year), default=None)


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


def take_up(
    *, user: AbstractBaseUser, today: dt.date, filters: ListFilters | None = None
) -> TakeUp:
    """Take-up of the treatment schools `user` may see (withdrawn schools left out) in
    programmes running today, narrowed to `filters` (search, LA, SSW, school) if given. The LA
    lead sees their LAs; an SSW their caseload."""
    enrolments = take_up_enrolments(user=user, today=today)
    if filters is not None:
        enrolments = enrolments_filtered(enrolments, filters)
    enrolments = (
        enrolments.select_related("school__authority", "programme", "ssw")
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


# Finding sessions and schools: the lists' filters, applied to what the person may see (a
# filter only narrows a queryset already scoped to them, so it never widens what they see).

STATUS_PLANNED = "planned"
STATUS_RECORD_WRITTEN = "record_written"
STATUS_RECORD_MISSING = "record_missing"
SESSION_STATUSES = {
    STATUS_PLANNED: Q(status=""),
    SessionStatus.HELD.value: Q(status=SessionStatus.HELD),
    STATUS_RECORD_WRITTEN: Q(status=SessionStatus.HELD, record__isnull=False),
    STATUS_RECORD_MISSING: Q(status=SessionStatus.HELD, record__isnull=True),
    SessionStatus.CANCELLED.value: Q(status=SessionStatus.CANCELLED),
    SessionStatus.RESCHEDULED.value: Q(status=SessionStatus.RESCHEDULED),
}
"""What each status filter keeps (a session's record of supervision is `record`)."""


@dataclass(frozen=True)
class ListFilters:
    """What a person narrowed a list to; empty values filter nothing. `authority` is an LA's
    code, `ssw` a user's id, `school` a URN, `status` a key of `SESSION_STATUSES`; the dates
    are the local days sessions fall on, both included."""

    search: str = ""
    authority: str = ""
    ssw: int | None = None
    school: int | None = None
    status: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def described(self) -> dict[str, str]:
        """The filters in use, as text (for the audit of a download)."""
        return {name: str(value) for name, value in vars(self).items() if value not in ("", None)}


FOLDED_LETTERS = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ł": "l", "đ": "d", "ð": "d", "þ": "th",
     "ı": "i", "’": "'", "‘": "'", "‐": "-", "–": "-"}
)  # fmt: skip
"""Letters that do not decompose into a base letter and an accent, and typographic marks,
as people type them."""


def folded(text: str) -> str:
    """`text` as a search compares it: without case, accents or typographic quotes and
    dashes, and with spaces collapsed ("École  Sainte-Thérèse" → "ecole sainte-therese")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.translate(FOLDED_LETTERS).split())


def school_search(search: str, school_ids: QuerySet, school: str = "school") -> Q:
    """Rows whose school (through the lookup `school`), among `school_ids`, has a name that
    contains `search` whatever the case and accents (`folded`), or the URN `search` is."""
    text = folded(search)
    if not text:
        return Q()
    found = [
        pk
        for pk, name, urn in School.objects.filter(pk__in=school_ids).values_list(
            "pk", "name", "urn"
        )
        if text in folded(name) or text == str(urn)
    ]
    return Q(**{f"{school}__in": found})


def _school_filters(filters: ListFilters, school: str, ssw: str, school_ids: QuerySet) -> Q:
    """The filters every list shares: search, LA, SSW and school."""
    where = school_search(filters.search, school_ids, school)
    if filters.authority:
        where &= Q(**{f"{school}__authority__la_code": filters.authority})
    if filters.ssw is not None:
        where &= Q(**{ssw: filters.ssw})
    if filters.school is not None:
        where &= Q(**{f"{school}__urn": filters.school})
    return where


def sessions_filtered(
    sessions: QuerySet[SupervisionSession], filters: ListFilters
) -> QuerySet[SupervisionSession]:
    """`sessions` narrowed to `filters` (the session's SSW for `ssw`)."""
    schools = sessions.values("enrolment__school_id")
    where = _school_filters(filters, "enrolment__school", "ssw_id", schools)
    if filters.status:
        where &= SESSION_STATUSES[filters.status]
    if filters.date_from is not None:
        where &= Q(scheduled_for__date__gte=filters.date_from)
    if filters.date_to is not None:
        where &= Q(scheduled_for__date__lte=filters.date_to)
    return sessions.filter(where)


def enrolments_filtered(
    enrolments: QuerySet[Enrolment], filters: ListFilters
) -> QuerySet[Enrolment]:
    """`enrolments` narrowed to `filters`' search, LA, school and SSW (the school's SSW)."""
    schools = enrolments.values("school_id")
    return enrolments.filter(_school_filters(filters, "school", "ssw_id", schools))


def with_record_flag(sessions: QuerySet[SupervisionSession]) -> QuerySet[SupervisionSession]:
    """`sessions`, each with `has_record` (whether its record of supervision is written),
    without reading the record itself."""
    return sessions.annotate(
        has_record=ExpressionWrapper(Q(record__isnull=False), output_field=BooleanField())
    )


def schedule_sessions(*, user: AbstractBaseUser) -> QuerySet[SupervisionSession]:
    """The sessions of every school `user` sees in the schedule (`enrolments_visible`), by
    date, each with `has_record`."""
    return with_record_flag(
        SupervisionSession.objects.filter(enrolment__in=enrolments_visible(user=user))
        .select_related("enrolment__school__authority", "enrolment__programme", "ssw")
        .order_by("scheduled_for", "pk")
    )


@dataclass(frozen=True)
class FilterChoices:
    """The LAs, SSWs and schools a person may narrow a list to: those in the list itself."""

    authorities: list[tuple[str, str]]
    ssws: list[tuple[int, str]]
    schools: list[tuple[int, str]]


def person_name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def filter_choices(*, school_ids: QuerySet, ssw_ids: QuerySet) -> FilterChoices:
    """The choices of a list whose schools' ids are `school_ids` and SSWs' ids `ssw_ids`."""
    schools = School.objects.filter(pk__in=school_ids).select_related("authority")
    schools = schools.order_by("name", "urn")
    authorities = {s.authority.la_code: s.authority.name for s in schools}
    ssws = User.objects.filter(pk__in=ssw_ids).order_by("first_name", "last_name", "username")
    return FilterChoices(
        authorities=sorted(authorities.items(), key=lambda item: item[1]),
        ssws=[(u.pk, person_name(u)) for u in ssws],
        schools=[(s.urn, f"{s.name} ({s.urn})") for s in schools],
    )


def session_choices(sessions: QuerySet[SupervisionSession]) -> FilterChoices:
    """The choices of a list of `sessions`."""
    return filter_choices(
        school_ids=sessions.values("enrolment__school_id"), ssw_ids=sessions.values("ssw_id")
    )


def enrolment_choices(enrolments: QuerySet[Enrolment]) -> FilterChoices:
    """The choices of a list of `enrolments`."""
    return filter_choices(
        school_ids=enrolments.values("school_id"), ssw_ids=enrolments.values("ssw_id")
    )


def take_up_enrolments(*, user: AbstractBaseUser, today: dt.date) -> QuerySet[Enrolment]:
    """The enrolments `take_up` counts for `user` on `today`: in programmes running today
    (schools enrolled ahead for next year are not yet behind)."""
    return Enrolment.objects.filter(
        _programme_or_caseload(user), arm=Arm.TREATMENT, withdrawn_on__isnull=True
    ).filter(programme__starts_on__lte=today, programme__ends_on__gte=today)


def programmes_filtered(
    programmes: QuerySet[Programme], *, authority: str = "", school_year: str = ""
) -> QuerySet[Programme]:
    """`programmes` of one LA (its code) and one school year, when given."""
    if authority:
        programmes = programmes.filter(authority__la_code=authority)
    if school_year:
        programmes = programmes.filter(school_year=school_year)
    return programmes


def meetings_filtered(
    meetings: QuerySet[CommunityMeeting],
    *,
    authority: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[CommunityMeeting]:
    """`meetings` of one LA (its code), held between the dates (both included), when given."""
    if authority:
        meetings = meetings.filter(authority__la_code=authority)
    if date_from is not None:
        meetings = meetings.filter(held_on__gte=date_from)
    if date_to is not None:
        meetings = meetings.filter(held_on__lte=date_to)
    return meetings
