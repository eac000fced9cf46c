"""A harsh schedule for tests of finding and exporting: 70 sessions over six schools in two
LAs, school names with accents, an apostrophe and a formula (`=HYPERLINK(...)`), an SSW who
covers both LAs and another (with an accented name) who covers one school."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from factories.sessions import enrol_with_ssw
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.accounts.services import membership_grant, user_create
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.programme import services
from threshold.web.programme.models import Programme, SupervisionSession
from threshold.web.supervision.services import supervision_record_save

ACTOR = "test"
FORMULA_SCHOOL = '=HYPERLINK("http://evil.example","Click")'
ACCENTED_SCHOOL = "École Sainte-Thérèse"
APOSTROPHE_SCHOOL = "St Mary's C of E Primary"
NORDIC_SCHOOL = "Øresund Free School"
OTHER_SSW_NAME = ("Zoë", "Ångström")
SESSIONS_EACH = 13
"""Sessions of each of the main SSW's five schools: every three weeks from 18 weeks ago."""
RECORD_TEXTS = {
    "wellbeing": "Fine",
    "presentation": "A case",
    "group_reflection": "Reflected",
    "shared_discussion": "Discussed",
    "resources": "",
    "actions": "",
}


@dataclass
class HarshSchedule:
    ssw: User
    other_ssw: User
    schools: dict[str, School]
    sessions: list[SupervisionSession] = field(default_factory=list)


def tuesday(day: dt.date) -> dt.date:
    """The Tuesday of `day`'s week."""
    return day - dt.timedelta(days=day.weekday()) + dt.timedelta(days=1)


def at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _programme(authority: LocalAuthority, today: dt.date) -> Programme:
    return Programme.objects.create(
        authority=authority,
        school_year="2026/27",
        starts_on=today - dt.timedelta(weeks=30),
        ends_on=today + dt.timedelta(weeks=30),
    )


def _sessions(enrolment: object, ssw: User, *, count: int, hour: int) -> list[SupervisionSession]:
    """`count` sessions every three weeks from 18 weeks ago (Tuesdays at `hour`): the past
    ones held (every other one with its record written), each fourth one cancelled."""
    today = timezone.localdate()
    made = []
    for k in range(count):
        day = tuesday(today - dt.timedelta(weeks=18) + dt.timedelta(weeks=3 * k))
        when = at(day, hour)
        past = when < timezone.now()
        session = services.session_plan(
            enrolment=enrolment,
            scheduled_for=when,
            format="group",
            mode="online" if k % 3 == 0 else "face_to_face",
            late_reason="Entered after the event" if past else "",
            by=ACTOR,
        )
        if past and k % 4 == 3:
            services.session_cancel(session=session, changed_by="school", reason="Exams", by=ACTOR)
        elif past:
            services.session_record_held(
                session=session, attendees=3, duration_minutes=90, by=ACTOR
            )
            if k % 2 == 0:
                session.refresh_from_db()
                supervision_record_save(
                    session=session,
                    themes=[],
                    no_open_case_confirmed=True,
                    by=ssw,
                    **RECORD_TEXTS,
                )
        session.refresh_from_db()
        made.append(session)
    return made


def harsh_schedule(places: dict[str, object], ssw: User) -> HarshSchedule:
    """`ssw` (an SSW of the home LA) also covers the other LA, and is the SSW of five schools
    there and here (the home and other schools, a formula-named, an accented and a Nordic
    one), with 13 sessions each; another SSW covers a sixth school (4 sessions)."""
    home, other = places["home_la"], places["other_la"]
    membership_grant(user=ssw, role=RoleName.SSW, authority=other, by=ACTOR)
    first, last = OTHER_SSW_NAME
    other_ssw = user_create(username="zoe", first_name=first, last_name=last, by=ACTOR)
    membership_grant(user=other_ssw, role=RoleName.SSW, authority=home, by=ACTOR)
    schools = {
        "home": places["home_school"],
        "other": places["other_school"],
        "formula": School.objects.create(
            urn=990002, name=FORMULA_SCHOOL, authority=home, phase="primary"
        ),
        "accented": School.objects.create(
            urn=990003, name=ACCENTED_SCHOOL, authority=home, phase="primary"
        ),
        "apostrophe": School.objects.create(
            urn=990004, name=APOSTROPHE_SCHOOL, authority=home, phase="primary"
        ),
        "nordic": School.objects.create(
            urn=991002, name=NORDIC_SCHOOL, authority=other, phase="secondary"
        ),
    }
    today = timezone.localdate()
    programmes = {home.pk: _programme(home, today), other.pk: _programme(other, today)}
    schedule = HarshSchedule(ssw=ssw, other_ssw=other_ssw, schools=schools)
    for hour, key in enumerate(("home", "formula", "accented", "other", "nordic"), start=9):
        school = schools[key]
        enrolment = enrol_with_ssw(programmes[school.authority_id], school, ssw)
        schedule.sessions += _sessions(enrolment, ssw, count=SESSIONS_EACH, hour=hour)
    apostrophe = enrol_with_ssw(programmes[home.pk], schools["apostrophe"], other_ssw)
    schedule.sessions += _sessions(apostrophe, other_ssw, count=4, hour=15)
    return schedule
