"""Writes of the supervision programme: programmes, enrolments (from the allocation file),
caseloads and agreements, school calendars, sessions and community-of-practice meetings.
Each is one transaction with an audit event. Free text with identifying details that the writer
has not confirmed raises `IdentifyingDetailsFound` (supervision's check), saving nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
import secrets
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass

import pandas as pd
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from threshold.model import (
    Arm,
    ChangedBy,
    SessionFormat,
    SessionMode,
    SessionStatus,
    neutralise_formulas,
    restore_formulas,
)
from threshold.web.accounts.models import User
from threshold.web.audit.models import AuditAction
from threshold.web.audit.services import Actor, record_event, target_of
from threshold.web.organisations.models import LocalAuthority, School, SchoolStatus
from threshold.web.programme import reminders
from threshold.web.programme.calendars import token_digest
from threshold.web.programme.models import (
    BlockedDate,
    CalendarFeed,
    CommunityMeeting,
    Enrolment,
    Programme,
    SupervisionSession,
)
from threshold.web.programme.scheduling import SATURDAY
from threshold.web.programme.selectors import (
    DIRECT_BLOCK,
    can_correct,
    day_text,
    direct_candidates,
    programme_manageable,
    ssw_candidates,
    trial_choices,
)
from threshold.web.supervision.services import check_texts, confirmations_detail

MSG_PROGRAMME_EXISTS = "{authority} already has a programme for {year}: edit that one"
MSG_SCHOOL_YEAR = "write the school year as YYYY/YY, for example 2024/25"
MSG_DATES_ORDER = "the programme must end after it starts"
MSG_INTERVAL = "the shortest interval between sessions must not be longer than the longest"
MSG_UNKNOWN_SCHOOL = (
    "allocations.csv row {row} [urn]: school {urn} is not in Threshold; import it first "
    "(threshold web import-organisations) or correct the URN"
)
MSG_SCHOOL_CLOSED = (
    "allocations.csv row {row} [urn]: school {urn} ({name}) closed on {date}; a closed school "
    "cannot be enrolled: remove the row{successor}"
)
MSG_SUCCESSOR = ", or allocate its successor, URN {urn}, if the trial's protocol allows"
MSG_SCHOOL_ELSEWHERE = (
    "allocations.csv row {row} [urn]: school {urn} is in {other}, not {authority}; "
    "remove the row or upload it to that LA's programme"
)
MSG_ALLOCATION_CHANGED = (
    "allocations.csv row {row} [{field}]: school {urn} was allocated {old!r}, the file says "
    "{new!r}; an allocation never changes after randomisation: check you have the right file"
)
MSG_NOT_SSW = (
    "{user} is not a supervising social worker in {authority}: give them that role there first"
)
MSG_CONTROL_ARM = "{school} is in the control arm: it is not offered supervision"
MSG_WITHDRAWN = "{school} withdrew on {date}: no sessions can be planned"
MSG_NO_SSW = "{school} has no supervising social worker: the LA lead assigns one first"
MSG_TOO_LONG = "a session lasts at most {minutes} minutes in this programme"
MSG_OUTSIDE_PROGRAMME = "choose a date between {start} and {end}, when the programme runs"
MSG_NOT_PLANNED = "session {number} with {school} is {status} already: it cannot be changed"
MSG_REASON_NEEDED = "say why the session was {what}"
MSG_DAY_TAKEN = "{school} already has {date} in its calendar"
MSG_NOT_COVERING = "{user} does not cover {authority}: only its SSWs attend its meetings"
MSG_LATE_REASON = (
    "{date} has passed: say why the session is entered late (a session entered after its "
    "date never counts as planned in time)"
)
MSG_WEEKEND = "{date} is a {weekday}: confirm that the session is on a weekend, or choose a weekday"
MSG_NOT_YET = (
    "session {number} is on {date} at {time}: it cannot be recorded as held before it starts"
)
MSG_NOT_HELD_YET = "session {number} is {status}: only a held session can be undone"
MSG_UNDO_REASON = "say why the session was not held"
MSG_UNDO_LATE = (
    "session {number} was recorded as held on {date}, more than {days} days ago: only the LA "
    "lead can undo it now"
)
MSG_HAS_RECORD = (
    "session {number} has a record of supervision, so it took place: correct the record instead"
)
MSG_REMOVE_REASON = "say why the session is removed"
MSG_REPLACEMENT = (
    "session {number} is the new date of a moved session: cancel it, or move it again, instead"
)
MSG_NOT_CANCELLED = "session {number} is {status}: only who cancelled a session can be changed"
MSG_SAME_CANCELLER = "session {number} is already recorded as cancelled by {who}"
MSG_CORRECTION_REASON = "say why the record of who cancelled it is changed"
MSG_MAY_NOT_CORRECT = "{user} may not correct the sessions of {school}"

UNDO_WINDOW = dt.timedelta(days=14)
"""How long after recording a session as held its SSW may undo it; later only the LA lead."""


class ProgrammeError(ValueError):
    """A request about the programme that cannot be carried out as asked; the message says why."""


@dataclass(frozen=True)
class EnrolmentCounts:
    """How many allocation rows created, updated (a withdrawal date) or left enrolments alone."""

    created: int
    updated: int
    unchanged: int


def _where(enrolment: Enrolment) -> dict[str, object]:
    return {
        "authority_code": enrolment.school.authority.la_code,
        "school_urn": enrolment.school.urn,
    }


def _check_programme(
    *, school_year: str, starts_on: dt.date, ends_on: dt.date, min_weeks: int, max_weeks: int
) -> None:
    first, _, last = school_year.partition("/")
    if not (len(first) == 4 and first.isdigit() and last == f"{(int(first) + 1) % 100:02d}"):
        raise ProgrammeError(MSG_SCHOOL_YEAR)
    if ends_on <= starts_on:
        raise ProgrammeError(MSG_DATES_ORDER)
    if min_weeks > max_weeks:
        raise ProgrammeError(MSG_INTERVAL)


PROGRAMME_FIELDS = (
    "school_year",
    "starts_on",
    "ends_on",
    "model",
    "csa_focus",
    "interval_min_weeks",
    "interval_max_weeks",
    "max_minutes",
    "planned_sessions",
)
"""The fields a programme lead sets."""


@transaction.atomic
def programme_create(
    *,
    authority: LocalAuthority,
    school_year: str,
    starts_on: dt.date,
    ends_on: dt.date,
    by: Actor,
    model: str = Programme.Model.GROUP,
    csa_focus: bool = False,
    interval_min_weeks: int = 4,
    interval_max_weeks: int = 6,
    max_minutes: int = 120,
    planned_sessions: int = 8,
) -> Programme:
    """Start an LA's programme for a school year (one per LA and year)."""
    _check_programme(
        school_year=school_year,
        starts_on=starts_on,
        ends_on=ends_on,
        min_weeks=interval_min_weeks,
        max_weeks=interval_max_weeks,
    )
    if Programme.objects.filter(authority=authority, school_year=school_year).exists():
        raise ProgrammeError(
            MSG_PROGRAMME_EXISTS.format(authority=authority.name, year=school_year)
        )
    programme = Programme.objects.create(
        authority=authority,
        school_year=school_year,
        starts_on=starts_on,
        ends_on=ends_on,
        model=model,
        csa_focus=csa_focus,
        interval_min_weeks=interval_min_weeks,
        interval_max_weeks=interval_max_weeks,
        max_minutes=max_minutes,
        planned_sessions=planned_sessions,
    )
    record_event(
        by=by,
        action=AuditAction.CREATE,
        **target_of(programme),
        authority_code=authority.la_code,
        detail={"school_year": school_year, "model": model, "csa_focus": csa_focus},
    )
    return programme


@transaction.atomic
def programme_update(*, programme: Programme, by: Actor, **values: object) -> Programme:
    """Change a programme's settings (`PROGRAMME_FIELDS`); the event records what changed."""
    unknown = set(values) - set(PROGRAMME_FIELDS)
    if unknown:
        raise TypeError(f"programme_update: not a programme setting: {sorted(unknown)}")
    merged = {name: values.get(name, getattr(programme, name)) for name in PROGRAMME_FIELDS}
    _check_programme(
        school_year=str(merged["school_year"]),
        starts_on=merged["starts_on"],
        ends_on=merged["ends_on"],
        min_weeks=int(merged["interval_min_weeks"]),
        max_weeks=int(merged["interval_max_weeks"]),
    )
    changed = {name: value for name, value in values.items() if getattr(programme, name) != value}
    if not changed:
        return programme
    taken = Programme.objects.filter(
        authority=programme.authority, school_year=merged["school_year"]
    ).exclude(pk=programme.pk)
    if taken.exists():
        raise ProgrammeError(
            MSG_PROGRAMME_EXISTS.format(
                authority=programme.authority.name, year=merged["school_year"]
            )
        )
    for name, value in changed.items():
        setattr(programme, name, value)
    programme.save(update_fields=list(changed))
    record_event(
        by=by,
        action=AuditAction.UPDATE,
        **target_of(programme),
        authority_code=programme.authority.la_code,
        detail={name: str(value) for name, value in changed.items()},
    )
    return programme


def _allocation_values(row: pd.Series) -> dict[str, object]:
    withdrawn = row["withdrawn_on"]
    return {
        "arm": str(row["arm"]),
        "block": str(row["block"]),
        "random_number": float(row["random_number"]),
        "allocation_order": int(row["order"]),
        "withdrawn_on": None if pd.isna(withdrawn) else pd.Timestamp(withdrawn).date(),
    }


ALLOCATION_FIELDS = {
    "arm": "arm",
    "block": "block",
    "random_number": "random_number",
    "allocation_order": "order",
}
"""Enrolment field → allocation column: what randomisation fixed and no import may change."""


@transaction.atomic
def enrolments_import(
    *, programme: Programme, allocations: pd.DataFrame, by: Actor
) -> EnrolmentCounts:
    """Enrol the schools of a checked allocation table (`threshold.model.read_table`) in
    `programme`; all rows or none. Re-importing the same table changes nothing; only a
    withdrawal date may change. Every school must be in Threshold and in the programme's LA."""
    schools = {
        school.urn: school
        for school in School.objects.filter(
            urn__in=[int(u) for u in allocations["urn"]]
        ).select_related("authority")
    }
    existing = {e.school.urn: e for e in programme.enrolments.select_related("school")}
    counts = Counter[str]()
    for number, (_, row) in enumerate(allocations.iterrows(), start=1):
        urn = int(row["urn"])
        school = schools.get(urn)
        if school is None:
            raise ProgrammeError(MSG_UNKNOWN_SCHOOL.format(row=number, urn=urn))
        if school.authority_id != programme.authority_id:
            raise ProgrammeError(
                MSG_SCHOOL_ELSEWHERE.format(
                    row=number,
                    urn=urn,
                    other=school.authority.name,
                    authority=programme.authority.name,
                )
            )
        values = _allocation_values(row)
        enrolment = existing.get(urn)
        if enrolment is None and school.status == SchoolStatus.CLOSED:
            raise ProgrammeError(
                MSG_SCHOOL_CLOSED.format(
                    row=number,
                    urn=urn,
                    name=school.name,
                    date=day_text(school.closed_on) if school.closed_on else "an unknown date",
                    successor=MSG_SUCCESSOR.format(urn=school.successor_urn)
                    if school.successor_urn
                    else "",
                )
            )
        if enrolment is None:
            Enrolment.objects.create(programme=programme, school=school, **values)
            counts["created"] += 1
            continue
        for field, column in ALLOCATION_FIELDS.items():
            old, new = getattr(enrolment, field), values[field]
            if old is not None and old != new:
                raise ProgrammeError(
                    MSG_ALLOCATION_CHANGED.format(
                        row=number, field=column, urn=urn, old=old, new=new
                    )
                )
        differs = [name for name, value in values.items() if getattr(enrolment, name) != value]
        for name in differs:
            setattr(enrolment, name, values[name])
        if differs:
            enrolment.save(update_fields=differs)
        counts["updated" if differs else "unchanged"] += 1
    result = EnrolmentCounts(**{name: counts[name] for name in ("created", "updated", "unchanged")})
    if result.created or result.updated:
        record_event(
            by=by,
            action=AuditAction.IMPORT,
            **target_of(programme),
            authority_code=programme.authority.la_code,
            detail={"created": result.created, "updated": result.updated},
        )
    return result


@transaction.atomic
def enrolment_update(
    *,
    enrolment: Enrolment,
    ssw: User | None,
    mou_status: str,
    supervision_agreement_status: str,
    by: Actor,
) -> Enrolment:
    """Assign the school's SSW (who must hold the SSW role in its LA) and record where its
    memorandum of understanding and supervision agreement stand."""
    authority = enrolment.school.authority
    if ssw is not None and ssw not in ssw_candidates(authority):
        raise ProgrammeError(MSG_NOT_SSW.format(user=ssw.get_username(), authority=authority.name))
    values = {
        "ssw": ssw,
        "mou_status": mou_status,
        "supervision_agreement_status": supervision_agreement_status,
    }
    changed = {name: value for name, value in values.items() if getattr(enrolment, name) != value}
    if not changed:
        return enrolment
    for name, value in changed.items():
        setattr(enrolment, name, value)
    enrolment.save(update_fields=list(changed))
    record_event(
        by=by,
        action=AuditAction.UPDATE,
        **target_of(enrolment),
        **_where(enrolment),
        detail={
            name: (value.get_username() if isinstance(value, User) else value)
            for name, value in changed.items()
        },
    )
    return enrolment


@transaction.atomic
def calendar_date_add(
    *,
    enrolment: Enrolment,
    date: dt.date,
    kind: str,
    by: Actor,
    note: str = "",
    confirmed: Collection[str] = (),
) -> BlockedDate:
    """Mark a day in the school's calendar: blocked (no sessions) or an INSET day (preferred)."""
    confirmations = check_texts(BlockedDate, {"note": note}, confirmed)
    try:
        with transaction.atomic():
            entry = BlockedDate.objects.create(
                enrolment=enrolment,
                date=date,
                kind=kind,
                note=note,
                confirmed_not_identifying=confirmations,
            )
    except IntegrityError as error:
        raise ProgrammeError(
            MSG_DAY_TAKEN.format(school=enrolment.school.name, date=day_text(date))
        ) from error
    record_event(
        by=by,
        action=AuditAction.CREATE,
        **target_of(entry),
        **_where(enrolment),
        detail={"date": date.isoformat(), "kind": kind, **confirmations_detail(confirmations)},
    )
    return entry


class WeekendDate(ProgrammeError):
    """A session on a Saturday or Sunday that the writer has not confirmed."""

    field = "weekend_confirmed"


class LateReasonNeeded(ProgrammeError):
    """A session whose date has passed, entered without saying why it is entered late."""

    field = "late_reason"


@dataclass(frozen=True)
class LateEntry:
    """Whether a session's date had passed when it was entered, and the writer's reason."""

    late: bool
    reason: str
    confirmations: list[dict[str, str]]


def _check_when(
    scheduled_for: dt.datetime,
    *,
    late_reason: str,
    weekend_confirmed: bool,
    confirmed: Collection[str],
) -> LateEntry:
    """Refuse a date that has passed without a reason why it is entered late (checked for
    identifying details), and a weekend date the writer has not confirmed."""
    day = timezone.localdate(scheduled_for)
    if day.weekday() >= SATURDAY and not weekend_confirmed:
        raise WeekendDate(MSG_WEEKEND.format(date=day_text(day), weekday=f"{day:%A}"))
    if day >= timezone.localdate():
        return LateEntry(late=False, reason="", confirmations=[])
    reason = late_reason.strip()
    if not reason:
        raise LateReasonNeeded(MSG_LATE_REASON.format(date=day_text(day)))
    confirmations = check_texts(SupervisionSession, {"late_reason": reason}, confirmed)
    return LateEntry(late=True, reason=reason, confirmations=confirmations)


def _late_detail(entry: LateEntry) -> dict[str, object]:
    return {"entered_late": True, "late_reason": entry.reason} if entry.late else {}


def _renumber(enrolment: Enrolment) -> dict[str, int]:
    """Number the school's held and planned sessions 1, 2, … by date (cancelled, moved and
    removed sessions keep theirs); the changes, session id → new number, for the audit."""
    changed = []
    active = enrolment.sessions.filter(status__in=("", SessionStatus.HELD)).order_by(
        "scheduled_for", "pk"
    )
    for number, session in enumerate(active, start=1):
        if session.number != number:
            session.number = number
            changed.append(session)
    SupervisionSession.objects.bulk_update(changed, ["number"])
    return {str(session.pk): session.number for session in changed}


def _check_plannable(enrolment: Enrolment, scheduled_for: dt.datetime, minutes: int) -> None:
    school = enrolment.school.name
    programme = enrolment.programme
    if enrolment.arm != Arm.TREATMENT:
        raise ProgrammeError(MSG_CONTROL_ARM.format(school=school))
    if enrolment.withdrawn_on is not None:
        raise ProgrammeError(
            MSG_WITHDRAWN.format(school=school, date=day_text(enrolment.withdrawn_on))
        )
    if enrolment.ssw_id is None:
        raise ProgrammeError(MSG_NO_SSW.format(school=school))
    if minutes > programme.max_minutes:
        raise ProgrammeError(MSG_TOO_LONG.format(minutes=programme.max_minutes))
    day = timezone.localdate(scheduled_for)
    if not programme.starts_on <= day <= programme.ends_on:
        raise ProgrammeError(
            MSG_OUTSIDE_PROGRAMME.format(
                start=day_text(programme.starts_on), end=day_text(programme.ends_on)
            )
        )


def _check_planned(session: SupervisionSession) -> None:
    if session.status:
        raise ProgrammeError(
            MSG_NOT_PLANNED.format(
                number=session.number,
                school=session.enrolment.school.name,
                status=SessionStatus(session.status).label.lower(),
            )
        )


def _check_change(
    session: SupervisionSession, reason: str, what: str, confirmed: Collection[str]
) -> list[dict[str, str]]:
    """Refuse to move or cancel a session that is not planned, or without a reason; the
    confirmations of the reason's identifying-looking details."""
    _check_planned(session)
    if not reason.strip():
        raise ProgrammeError(MSG_REASON_NEEDED.format(what=what))
    return check_texts(SupervisionSession, {"change_reason": reason.strip()}, confirmed)


def _session_detail(session: SupervisionSession) -> dict[str, object]:
    return {
        "number": session.number,
        "scheduled_for": session.scheduled_for.isoformat(),
        "format": session.format,
        "mode": session.mode,
    }


def _lock(enrolment: Enrolment) -> None:
    """Hold the enrolment's row until the transaction ends, so that two writes renumbering its
    sessions run one after the other (PostgreSQL; SQLite writes one at a time anyway)."""
    Enrolment.objects.select_for_update().filter(pk=enrolment.pk).first()


@transaction.atomic
def session_plan(
    *,
    enrolment: Enrolment,
    scheduled_for: dt.datetime,
    format: str,
    mode: str,
    by: Actor,
    planned_minutes: int | None = None,
    late_reason: str = "",
    weekend_confirmed: bool = False,
    confirmed: Collection[str] = (),
) -> SupervisionSession:
    """Plan a session of the school with its SSW (group or one-to-one, in school or online),
    lasting at most the programme's `max_minutes` (the default length). A date that has passed
    needs `late_reason` (the session is marked entered late, and never counts as planned in
    time); a weekend date needs `weekend_confirmed`. Sessions are numbered by date, so one
    planned before others renumbers them."""
    minutes = enrolment.programme.max_minutes if planned_minutes is None else planned_minutes
    _check_plannable(enrolment, scheduled_for, minutes)
    entry = _check_when(
        scheduled_for,
        late_reason=late_reason,
        weekend_confirmed=weekend_confirmed,
        confirmed=confirmed,
    )
    _lock(enrolment)
    session = SupervisionSession.objects.create(
        enrolment=enrolment,
        ssw=enrolment.ssw,
        number=enrolment.sessions.filter(status__in=("", SessionStatus.HELD)).count() + 1,
        scheduled_for=scheduled_for,
        planned_minutes=minutes,
        format=SessionFormat(format),
        mode=SessionMode(mode),
        entered_late=entry.late,
        late_reason=entry.reason,
        confirmed_not_identifying=entry.confirmations,
    )
    renumbered = _renumber(enrolment)
    renumbered.pop(str(session.pk), None)  # its own number is in the event
    session.refresh_from_db(fields=["number"])
    record_event(
        by=by,
        action=AuditAction.CREATE,
        **target_of(session),
        **_where(enrolment),
        detail={
            **_session_detail(session),
            **_late_detail(entry),
            **({"renumbered": renumbered} if renumbered else {}),
            **confirmations_detail(entry.confirmations),
        },
    )
    reminders.session_planned(session)  # the DSLs' invitation, once this commits
    return session


@transaction.atomic
def session_reschedule(
    *,
    session: SupervisionSession,
    scheduled_for: dt.datetime,
    changed_by: str,
    reason: str,
    by: Actor,
    confirmed: Collection[str] = (),
    late_reason: str = "",
    weekend_confirmed: bool = False,
) -> SupervisionSession:
    """Move a planned session: a new session takes its format and mode; the old one becomes
    `rescheduled`, saying who asked and why, and points to the new one. The new date is
    checked as in `session_plan` (a date passed needs `late_reason`, a weekend
    `weekend_confirmed`), and the sessions are numbered by date again."""
    confirmations = _check_change(session, reason, "rescheduled", confirmed)
    _check_plannable(session.enrolment, scheduled_for, session.planned_minutes)
    entry = _check_when(
        scheduled_for,
        late_reason=late_reason,
        weekend_confirmed=weekend_confirmed,
        confirmed=confirmed,
    )
    _lock(session.enrolment)
    replacement = SupervisionSession.objects.create(
        enrolment=session.enrolment,
        ssw=session.enrolment.ssw,
        number=session.number,
        scheduled_for=scheduled_for,
        planned_minutes=session.planned_minutes,
        format=session.format,
        mode=session.mode,
        entered_late=entry.late,
        late_reason=entry.reason,
        confirmed_not_identifying=entry.confirmations,
    )
    session.status = SessionStatus.RESCHEDULED
    session.changed_by = ChangedBy(changed_by)
    session.change_reason = reason.strip()
    session.confirmed_not_identifying = confirmations
    session.rescheduled_to = replacement
    session.save(
        update_fields=[
            "status",
            "changed_by",
            "change_reason",
            "confirmed_not_identifying",
            "rescheduled_to",
        ]
    )
    renumbered = _renumber(session.enrolment)
    renumbered.pop(str(replacement.pk), None)  # its own number is in the event
    replacement.refresh_from_db(fields=["number"])
    record_event(
        by=by,
        action=AuditAction.CREATE,
        **target_of(replacement),
        **_where(session.enrolment),
        detail={
            **_session_detail(replacement),
            "replaces": session.pk,
            **_late_detail(entry),
            **({"renumbered": renumbered} if renumbered else {}),
            **confirmations_detail(entry.confirmations),
        },
    )
    record_event(
        by=by,
        action=AuditAction.UPDATE,
        **target_of(session),
        **_where(session.enrolment),
        detail={
            "status": SessionStatus.RESCHEDULED.value,
            "changed_by": changed_by,
            "rescheduled_to": replacement.pk,
            "scheduled_for": scheduled_for.isoformat(),
            **confirmations_detail(confirmations),
        },
    )
    reminders.session_changed(session)  # the DSLs' notice, once this commits
    return replacement


@transaction.atomic
def session_cancel(
    *,
    session: SupervisionSession,
    changed_by: str,
    reason: str,
    by: Actor,
    confirmed: Collection[str] = (),
) -> SupervisionSession:
    """Cancel a planned session, saying who cancelled it and why."""
    confirmations = _check_change(session, reason, "cancelled", confirmed)
    session.status = SessionStatus.CANCELLED
    session.changed_by = ChangedBy(changed_by)
    session.change_reason = reason.strip()
    session.confirmed_not_identifying = confirmations
    session.save(
        update_fields=["status", "changed_by", "change_reason", "confirmed_not_identifying"]
    )
    _lock(session.enrolment)
    renumbered = _renumber(session.enrolment)
    record_event(
        by=by,
        action=AuditAction.UPDATE,
        **target_of(session),
        **_where(session.enrolment),
        detail={
            "status": SessionStatus.CANCELLED.value,
            "changed_by": changed_by,
            **({"renumbered": renumbered} if renumbered else {}),
            **confirmations_detail(confirmations),
        },
    )
    reminders.session_changed(session)  # the DSLs' notice, once this commits
    return session


@transaction.atomic
def session_record_held(
    *, session: SupervisionSession, attendees: int, duration_minutes: int, by: Actor
) -> SupervisionSession:
    """Record that a planned session took place: how many attended and how long it lasted.
    Refused before the session starts."""
    _check_planned(session)
    now = timezone.now()
    if session.scheduled_for > now:
        local = timezone.localtime(session.scheduled_for)
        raise ProgrammeError(
            MSG_NOT_YET.format(
                number=session.number, date=day_text(local.date()), time=f"{local:%H:%M}"
            )
        )
    session.status = SessionStatus.HELD
    session.attendees = attendees
    session.duration_minutes = duration_minutes
    session.held_recorded_at = now
    session.save(update_fields=["status", "attendees", "duration_minutes", "held_recorded_at"])
    record_event(
        by=by,
        action=AuditAction.UPDATE,
        **target_of(session),
        **_where(session.enrolment),
        detail={
            "status": SessionStatus.HELD.value,
            "attendees": attendees,
            "duration_minutes": duration_minutes,
        },
    )
    return session


def _check_corrector(session: SupervisionSession, by: Actor) -> None:
    """PermissionDenied unless `by` is the school's SSW or its LA lead (or a system process)."""
    if isinstance(by, str) or can_correct(by, session.enrolment):
        return
    raise PermissionDenied(
        MSG_MAY_NOT_CORRECT.format(user=by.get_username(), school=session.enrolment.school.name)
    )


def _check_no_record(session: SupervisionSession) -> None:
    if hasattr(session, "record") and session.record is not None:
        raise ProgrammeError(MSG_HAS_RECORD.format(number=session.number))


def _reason(reason: str, message: str) -> str:
    if not reason.strip():
        raise ProgrammeError(message)
    return reason.strip()


def undo_allowed(session: SupervisionSession, by: Actor, *, now: dt.datetime) -> bool:
    """Whether `by` may undo "held" on `session` now: its LA lead at any time, its SSW within
    `UNDO_WINDOW` of recording it (the page offers "Undo held" only then)."""
    if session.status != SessionStatus.HELD:
        return False
    if isinstance(by, str) or programme_manageable(by, session.enrolment.programme):
        return True
    recorded = session.held_recorded_at
    return (
        can_correct(by, session.enrolment)
        and recorded is not None
        and now - recorded <= UNDO_WINDOW
    )


@transaction.atomic
def session_undo_held(
    *, session: SupervisionSession, reason: str, by: Actor, confirmed: Collection[str] = ()
) -> SupervisionSession:
    """Return a session recorded as held by mistake to planned (attendance and length
    cleared), saying why: the school's SSW within `UNDO_WINDOW` of recording it, later only
    the LA lead. The audit event keeps what was undone and why. Refused once a record of
    supervision is written for it."""
    _check_corrector(session, by)
    if session.status != SessionStatus.HELD:
        raise ProgrammeError(
            MSG_NOT_HELD_YET.format(
                number=session.number,
                status=SessionStatus(session.status).label.lower() if session.status else "planned",
            )
        )
    now = timezone.now()
    if not undo_allowed(session, by, now=now):
        recorded = session.held_recorded_at
        raise ProgrammeError(
            MSG_UNDO_LATE.format(
                number=session.number,
                date=day_text(timezone.localdate(recorded)) if recorded else "an unknown date",
                days=UNDO_WINDOW.days,
            )
        )
    _check_no_record(session)
    text = _reason(reason, MSG_UNDO_REASON)
    confirmations = check_texts(SupervisionSession, {"change_reason": text}, confirmed)
    undone = {
        "attendees": session.attendees,
        "duration_minutes": session.duration_minutes,
        "held_recorded_at": session.held_recorded_at.isoformat()
        if session.held_recorded_at
        else None,
    }
    session.status = ""
    session.attendees = None
    session.duration_minutes = None
    session.held_recorded_at = None
    session.save(update_fields=["status", "attendees", "duration_minutes", "held_recorded_at"])
    record_event(
        by=by,
        action=AuditAction.UPDATE,
        **target_of(session),
        **_where(session.enrolment),
        detail={
            "status": "",
            "undone": SessionStatus.HELD.value,
            "was": undone,
            "reason": text,
            **confirmations_detail(confirmations),
        },
    )
    return session


@transaction.atomic
def session_remove(
    *, session: SupervisionSession, reason: str, by: Actor, confirmed: Collection[str] = ()
) -> SupervisionSession:
    """Remove a session entered in error: kept, marked removed with who, when and why, and
    left out of schedules, take-up, exports and calendar feeds from now on; the others are
    numbered by date again. By the school's SSW or its LA lead; refused for a session with a
    record of supervision, and for the new date of a moved session (cancel or move it)."""
    _check_corrector(session, by)
    _check_no_record(session)
    if SupervisionSession.everything.filter(rescheduled_to=session).exists():
        raise ProgrammeError(MSG_REPLACEMENT.format(number=session.number))
    text = _reason(reason, MSG_REMOVE_REASON)
    confirmations = check_texts(SupervisionSession, {"removal_reason": text}, confirmed)
    session.removed_at = timezone.now()
    session.removed_by = by if isinstance(by, User) else None
    session.removal_reason = text
    session.confirmed_not_identifying = [*session.confirmed_not_identifying, *confirmations]
    session.save(
        update_fields=["removed_at", "removed_by", "removal_reason", "confirmed_not_identifying"]
    )
    _lock(session.enrolment)
    renumbered = _renumber(session.enrolment)
    reminders.session_changed(session)  # the DSLs' calendars drop it, once this commits
    record_event(
        by=by,
        action=AuditAction.UPDATE,
        **target_of(session),
        **_where(session.enrolment),
        detail={
            "removed": True,
            "number": session.number,
            "status": session.status,
            "scheduled_for": session.scheduled_for.isoformat(),
            "reason": text,
            **({"renumbered": renumbered} if renumbered else {}),
            **confirmations_detail(confirmations),
        },
    )
    return session


@transaction.atomic
def session_canceller_change(
    *,
    session: SupervisionSession,
    changed_by: str,
    reason: str,
    by: Actor,
    confirmed: Collection[str] = (),
) -> SupervisionSession:
    """Correct who cancelled a session (the school, the SSW or other), saying why; the
    audit event keeps who was recorded before."""
    _check_corrector(session, by)
    if session.status != SessionStatus.CANCELLED:
        raise ProgrammeError(
            MSG_NOT_CANCELLED.format(
                number=session.number,
                status=SessionStatus(session.status).label.lower() if session.status else "planned",
            )
        )
    new = ChangedBy(changed_by)
    if session.changed_by == new:
        raise ProgrammeError(
            MSG_SAME_CANCELLER.format(number=session.number, who=new.label.lower())
        )
    text = _reason(reason, MSG_CORRECTION_REASON)
    confirmations = check_texts(SupervisionSession, {"change_reason": text}, confirmed)
    old = session.changed_by
    session.changed_by = new
    session.confirmed_not_identifying = [*session.confirmed_not_identifying, *confirmations]
    session.save(update_fields=["changed_by", "confirmed_not_identifying"])
    record_event(
        by=by,
        action=AuditAction.UPDATE,
        **target_of(session),
        **_where(session.enrolment),
        detail={
            "changed_by": new.value,
            "was": old,
            "reason": text,
            **confirmations_detail(confirmations),
        },
    )
    return session


@transaction.atomic
def community_meeting_record(
    *,
    authority: LocalAuthority,
    held_on: dt.date,
    attendees: Iterable[User],
    topics: str,
    by: Actor,
    confirmed: Collection[str] = (),
) -> CommunityMeeting:
    """Record an SSWs' community-of-practice meeting; every attendee must cover `authority`,
    and the topics must identify no one (or the writer confirms what was found)."""
    people = list(attendees)
    covering = set(ssw_candidates(authority))
    for person in people:
        if person not in covering:
            raise ProgrammeError(
                MSG_NOT_COVERING.format(user=person.get_username(), authority=authority.name)
            )
    confirmations = check_texts(CommunityMeeting, {"topics": topics}, confirmed)
    meeting = CommunityMeeting.objects.create(
        authority=authority,
        held_on=held_on,
        topics=topics,
        confirmed_not_identifying=confirmations,
    )
    meeting.attendees.set(people)
    record_event(
        by=by,
        action=AuditAction.CREATE,
        **target_of(meeting),
        authority_code=authority.la_code,
        detail={
            "held_on": held_on.isoformat(),
            "attendees": sorted(person.get_username() for person in people),
            **confirmations_detail(confirmations),
        },
    )
    return meeting


@transaction.atomic
def calendar_feed_reset(*, user: User, by: Actor) -> str:
    """Make `user`'s calendar feed a new secret token (ending any old one's URL) and return
    it: it is kept only as its digest, so this is the one time it can be shown."""
    token = secrets.token_urlsafe(32)
    feed, created = CalendarFeed.objects.update_or_create(
        user=user, defaults={"token_sha256": token_digest(token), "last_read_at": None}
    )
    record_event(
        by=by,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        object_type="programme.calendarfeed",
        object_id=str(feed.pk),
        detail={"user": user.pk},
    )
    return token


# Programmes without a trial: schools enrolled directly by the LA lead.

DIRECT_FILENAME = "enrolments.csv"
DIRECT_COLUMNS = ("urn", "school_name")
"""The columns of the direct-enrolment file (and its downloadable template)."""
MSG_DIRECT_NONE = "choose at least one school to enrol"
MSG_DIRECT_PROBLEMS = "Nothing was enrolled: the file has {count} problem(s), listed above"
MSG_DIRECT_HEADER = (
    "{file} [header]: the first line must be {columns}; download the template and fill that in"
)
MSG_DIRECT_EMPTY = "{file}: the file has no schools; list one URN a line under the header"
MSG_DIRECT_ENCODING = "{file}: the file is not a CSV saved as UTF-8; save it as CSV UTF-8 and retry"
MSG_DIRECT_URN = "{file} row {row} [urn]: {urn!r} is not a URN (a whole number, like 100000)"
MSG_DIRECT_REPEATED = "{file} row {row} [urn]: school {urn} is already on row {first}; remove one"
MSG_DIRECT_UNKNOWN = (
    "{file} row {row} [urn]: school {urn} is not in Threshold; correct the URN, or ask the "
    "system administrator to import the register (GIAS)"
)
MSG_DIRECT_NAME = (
    "{file} row {row} [school_name]: school {urn} is {name!r} in the register, not {given!r}; "
    "check the URN (the name is only a check: leave it blank to skip it)"
)
MSG_DIRECT_REFUSED = "{file} row {row} [urn]: {reason}"
MSG_DIRECT_CLOSED = "{school} ({urn}) is closed: a closed school cannot be enrolled"
MSG_DIRECT_ELSEWHERE = "{school} ({urn}) is in {other}, not {authority}"
MSG_DIRECT_IN_TRIAL = (
    "{school} ({urn}) is chosen for the trial “{trial}”: it is enrolled when the trial is "
    "randomised, not directly"
)
MSG_DIRECT_ALLOCATED = (
    "{school} ({urn}) is in the trial's allocation ({arm}, block {block}): an allocation "
    "cannot be changed by enrolling the school directly"
)


class DirectEnrolmentRefused(ProgrammeError):
    """A direct enrolment refused, with every problem found (`problems`: one line each)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _direct_refusal(
    programme: Programme, school: School, enrolment: Enrolment | None, trial: str | None
) -> str:
    """Why `school` cannot be enrolled directly in `programme` ("" when it can)."""
    words = {"school": school.name, "urn": school.urn}
    if school.authority_id != programme.authority_id:
        return MSG_DIRECT_ELSEWHERE.format(
            **words, other=school.authority.shown_name, authority=programme.authority.shown_name
        )
    if enrolment is not None and enrolment.block != DIRECT_BLOCK:
        return MSG_DIRECT_ALLOCATED.format(**words, arm=enrolment.arm, block=enrolment.block)
    if trial is not None:
        return MSG_DIRECT_IN_TRIAL.format(**words, trial=trial)
    if enrolment is None and school.status == SchoolStatus.CLOSED:
        return MSG_DIRECT_CLOSED.format(**words)
    return ""


@transaction.atomic
def enrolments_add(
    *, programme: Programme, schools: Collection[School], by: Actor, source: str = "chosen"
) -> EnrolmentCounts:
    """Enrol `schools` in `programme` directly, without a trial: arm treatment, block
    `DIRECT_BLOCK`, no random number or order. All or none: a school of another LA, a closed
    one, one chosen for a trial or in a trial's allocation is refused (`DirectEnrolmentRefused`
    lists them all). A school already enrolled directly is left as it is, so doing it again
    changes nothing. One audit event lists the schools enrolled."""
    if not schools:
        raise DirectEnrolmentRefused([MSG_DIRECT_NONE])
    existing = {
        e.school_id: e for e in programme.enrolments.filter(school__in=[s.pk for s in schools])
    }
    trials = trial_choices(schools)
    problems = [
        reason
        for school in schools
        if (
            reason := _direct_refusal(
                programme, school, existing.get(school.pk), trials.get(school.pk)
            )
        )
    ]
    if problems:
        raise DirectEnrolmentRefused(problems)
    new = [school for school in schools if school.pk not in existing]
    Enrolment.objects.bulk_create(
        [
            Enrolment(programme=programme, school=school, arm=Arm.TREATMENT, block=DIRECT_BLOCK)
            for school in new
        ]
    )
    if new:
        record_event(
            by=by,
            action=AuditAction.CREATE if source == "chosen" else AuditAction.IMPORT,
            **target_of(programme),
            authority_code=programme.authority.la_code,
            detail={
                "enrolled_directly": sorted(school.urn for school in new),
                "arm": Arm.TREATMENT.value,
                "source": source,
            },
        )
    return EnrolmentCounts(created=len(new), updated=0, unchanged=len(schools) - len(new))


def direct_template(programme: Programme) -> pd.DataFrame:
    """The direct-enrolment template: the open schools of the programme's LA that may be
    enrolled directly (not yet enrolled, not chosen for a trial), formula cells neutralised
    so the file is safe to open in a spreadsheet."""
    rows = [
        {"urn": c.school.urn, "school_name": c.school.name}
        for c in direct_candidates(programme)
        if not c.refusal
    ]
    return neutralise_formulas(pd.DataFrame(rows, columns=list(DIRECT_COLUMNS)))


def direct_file_read(
    programme: Programme, data: bytes, *, name: str = DIRECT_FILENAME
) -> list[School]:
    """The schools listed in an uploaded direct-enrolment file (`DIRECT_COLUMNS`), checked row
    by row: every problem (row and field) is raised together in `DirectEnrolmentRefused`.
    Names written through `neutralise_formulas` (the template's) are read back restored."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DirectEnrolmentRefused([MSG_DIRECT_ENCODING.format(file=name)]) from error
    lines = list(csv.reader(io.StringIO(text)))
    header = [cell.strip().lower() for cell in lines[0]] if lines else []
    if tuple(header[: len(DIRECT_COLUMNS)]) != DIRECT_COLUMNS and header != ["urn"]:
        raise DirectEnrolmentRefused(
            [MSG_DIRECT_HEADER.format(file=name, columns=",".join(DIRECT_COLUMNS))]
        )
    body = [row for row in lines[1:] if any(cell.strip() for cell in row)]
    if not body:
        raise DirectEnrolmentRefused([MSG_DIRECT_EMPTY.format(file=name)])
    frame = restore_formulas(
        pd.DataFrame([[*row, "", ""][:2] for row in body], columns=list(DIRECT_COLUMNS), dtype=str)
    )
    problems: list[str] = []
    urns: dict[int, int] = {}
    given_names: dict[int, str] = {}
    for number, (raw_urn, given) in enumerate(frame.itertuples(index=False), start=1):
        raw = raw_urn.strip()
        if not raw.isdigit():
            problems.append(MSG_DIRECT_URN.format(file=name, row=number, urn=raw))
        elif int(raw) in urns:
            problems.append(
                MSG_DIRECT_REPEATED.format(file=name, row=number, urn=raw, first=urns[int(raw)])
            )
        else:
            urns[int(raw)] = number
            given_names[int(raw)] = " ".join(str(given).split())
    schools = {
        s.urn: s for s in School.objects.filter(urn__in=list(urns)).select_related("authority")
    }
    existing = {e.school_id: e for e in programme.enrolments.filter(school__in=schools.values())}
    trials = trial_choices(schools.values())
    for urn, number in urns.items():
        school = schools.get(urn)
        if school is None:
            problems.append(MSG_DIRECT_UNKNOWN.format(file=name, row=number, urn=urn))
            continue
        given = given_names[urn]
        if given and given.casefold() != " ".join(school.name.split()).casefold():
            problems.append(
                MSG_DIRECT_NAME.format(
                    file=name, row=number, urn=urn, name=school.name, given=given
                )
            )
        reason = _direct_refusal(programme, school, existing.get(school.pk), trials.get(school.pk))
        if reason:
            problems.append(MSG_DIRECT_REFUSED.format(file=name, row=number, reason=reason))
    if problems:
        raise DirectEnrolmentRefused(sorted(problems, key=_row_of))
    return [schools[urn] for urn in urns]


def _row_of(problem: str) -> int:
    """The row number a problem names (0 for none), to list problems in the file's order."""
    _, found, rest = problem.partition(" row ")
    digits = rest.split(" ", 1)[0]
    return int(digits) if found and digits.isdigit() else 0
