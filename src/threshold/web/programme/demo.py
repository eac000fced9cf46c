"""A demo programme for `seed_demo`, dated around today so that take-up shows something:
sessions held, one cancelled by the school, one moved, one school with none yet."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from django.utils import timezone

from threshold.model import Arm, ChangedBy, SessionFormat, SessionMode
from threshold.web.accounts.models import User
from threshold.web.audit.services import Actor
from threshold.web.organisations.models import LocalAuthority
from threshold.web.programme.models import BlockedDate, Enrolment, Programme
from threshold.web.programme.services import (
    calendar_date_add,
    enrolment_update,
    enrolments_import,
    programme_create,
    session_cancel,
    session_plan,
    session_record_held,
    session_reschedule,
)

DEMO_ALLOCATIONS = pd.DataFrame(
    {
        "urn": [990001, 990002, 990003, 991001, 991002],
        "block": ["990-high", "990-high", "990-low", "991-high", "991-high"],
        "arm": ["treatment", "control", "treatment", "treatment", "control"],
        "random_number": [0.12, 0.47, 0.31, 0.08, 0.66],
        "order": [1, 2, 1, 1, 2],
        "withdrawn_on": [pd.NaT] * 5,
    }
)
SSW_USERNAME = "ssw"
MSG_CREATED = "created the demo programme for {authority}"
MSG_EXISTS = "{authority} has a programme already: left as it is"
SIGNED = Enrolment.Agreement.SIGNED
SENT = Enrolment.Agreement.SENT
LATE = "Demo history, entered when the demo was made"


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(14, 0)))


def _school_year(day: dt.date) -> str:
    first = day.year if day.month >= 8 else day.year - 1
    return f"{first}/{(first + 1) % 100:02d}"


def seed_demo_programme(*, by: Actor) -> list[str]:
    """Create each demo LA's programme (unless it has one) with enrolments, the demo SSW's
    caseload and a history of sessions; say what was done, a line per LA."""
    today = timezone.localdate()
    start = today - dt.timedelta(weeks=15, days=today.weekday())  # a Monday
    ssw = User.objects.filter(username=SSW_USERNAME).first()
    lines = []
    for authority in LocalAuthority.objects.filter(la_code__in=("990", "991")):
        if Programme.objects.filter(authority=authority).exists():
            lines.append(MSG_EXISTS.format(authority=authority.name))
            continue
        programme = programme_create(
            authority=authority,
            school_year=_school_year(start),
            starts_on=start,
            ends_on=start + dt.timedelta(weeks=44),
            by=by,
        )
        codes = DEMO_ALLOCATIONS["urn"].astype(str).str[:3]
        enrolments_import(
            programme=programme,
            allocations=DEMO_ALLOCATIONS[codes == authority.la_code].reset_index(drop=True),
            by=by,
        )
        for enrolment in programme.enrolments.filter(arm=Arm.TREATMENT).select_related("school"):
            _history(enrolment, ssw=ssw, start=start, today=today, by=by)
        lines.append(MSG_CREATED.format(authority=authority.name))
    return lines


def _history(
    enrolment: Enrolment, *, ssw: User | None, start: dt.date, today: dt.date, by: Actor
) -> None:
    """990001: two sessions held (the second moved by the school), one planned; 991001: one
    held, then one cancelled by the school; 990003: none yet."""
    urn = enrolment.school.urn
    signed = urn != 990003
    enrolment_update(
        enrolment=enrolment,
        ssw=ssw,
        mou_status=SIGNED if signed else SENT,
        supervision_agreement_status=SIGNED if urn == 990001 else SENT,
        by=by,
    )
    if ssw is None or urn == 990003:
        return
    week = dt.timedelta(weeks=1)
    kind = {"format": SessionFormat.GROUP, "mode": SessionMode.FACE_TO_FACE, "by": by}
    past = {**kind, "late_reason": LATE}
    first = session_plan(enrolment=enrolment, scheduled_for=_at(start + 5 * week), **past)
    session_record_held(session=first, attendees=4, duration_minutes=115, by=by)
    second = session_plan(enrolment=enrolment, scheduled_for=_at(start + 10 * week), **past)
    if urn == 991001:
        session_cancel(
            session=second, changed_by=ChangedBy.SCHOOL, reason="Ofsted inspection", by=by
        )
        return
    moved = session_reschedule(
        session=second,
        scheduled_for=_at(start + 11 * week + dt.timedelta(days=2)),
        changed_by=ChangedBy.SCHOOL,
        reason="Mock examinations that week",
        late_reason=LATE,
        by=by,
    )
    session_record_held(session=moved, attendees=3, duration_minutes=120, by=by)
    inset = today + week - dt.timedelta(days=today.weekday())  # next Monday
    calendar_date_add(
        enrolment=enrolment, date=inset, kind=BlockedDate.Kind.INSET, note="Training day", by=by
    )
    session_plan(enrolment=enrolment, scheduled_for=_at(inset), **kind)
