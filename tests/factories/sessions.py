"""Supervision sessions in two LAs' programmes, for tests of what each person sees."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import pandas as pd
from django.utils import timezone

from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.accounts.services import membership_grant
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.programme import services
from threshold.web.programme.models import Enrolment, Programme

ACTOR = "test"


def at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def enrol_with_ssw(programme: Programme, school: School, ssw: User) -> Enrolment:
    """`school` enrolled in `programme`'s treatment arm (through the allocation import), its
    agreements signed and `ssw` its supervising social worker."""
    services.enrolments_import(
        programme=programme,
        allocations=pd.DataFrame(
            {
                "urn": [school.urn],
                "block": ["b"],
                "arm": ["treatment"],
                "random_number": [0.1],
                "order": [1],
                "withdrawn_on": [None],
            }
        ),
        by=ACTOR,
    )
    return services.enrolment_update(
        enrolment=programme.enrolments.get(school=school),
        ssw=ssw,
        mou_status="signed",
        supervision_agreement_status="signed",
        by=ACTOR,
    )


def programme_with_ssw(authority: LocalAuthority, school: School, ssw: User) -> Enrolment:
    """A programme running this school year with `school` enrolled in the treatment arm and
    `ssw` as its supervising social worker."""
    today = timezone.localdate()
    programme = Programme.objects.create(
        authority=authority,
        school_year="2026/27",
        starts_on=today - dt.timedelta(weeks=10),
        ends_on=today + dt.timedelta(weeks=30),
    )
    return enrol_with_ssw(programme, school, ssw)


def sessions_in_two_las(places: dict[str, object], ssw: User) -> dict[str, object]:
    """The home school (SSW `ssw`): one session held, one cancelled, one planned; the other
    LA's school: one planned, by another SSW."""
    home = programme_with_ssw(places["home_la"], places["home_school"], ssw)
    today = timezone.localdate()
    plan = {"format": "group", "mode": "online", "by": ACTOR, "weekend_confirmed": True}
    held = services.session_plan(
        enrolment=home,
        scheduled_for=at(today, 9) - dt.timedelta(weeks=6),
        late_reason="entered after the event",
        **plan,
    )
    services.session_record_held(session=held, attendees=3, duration_minutes=90, by=ACTOR)
    cancelled = services.session_plan(
        enrolment=home,
        scheduled_for=at(today, 14) - dt.timedelta(weeks=1),
        late_reason="entered after the event",
        **plan,
    )
    services.session_cancel(session=cancelled, changed_by="school", reason="exams", by=ACTOR)
    planned = services.session_plan(
        enrolment=home, scheduled_for=at(today, 15) + dt.timedelta(weeks=2), **plan
    )
    other_ssw = User.objects.create(username="other-ssw")
    membership_grant(user=other_ssw, role=RoleName.SSW, authority=places["other_la"], by=ACTOR)
    other = programme_with_ssw(places["other_la"], places["other_school"], other_ssw)
    elsewhere = services.session_plan(
        enrolment=other, scheduled_for=at(today, 10) + dt.timedelta(weeks=1), **plan
    )
    return {"held": held, "cancelled": cancelled, "planned": planned, "elsewhere": elsewhere}


def school_people(
    places: dict[str, object], make_user: Callable[..., User], roles: Sequence[RoleName]
) -> dict[str, object]:
    """The home school enrolled with an SSW (the first of `roles`), and a user for each role
    with the address `<role>@example.org`: the users by role value, and the `enrolment`."""
    users = {role: make_user(role) for role in roles}
    for role, user in users.items():
        user.email = f"{role.value}@example.org"
        user.save(update_fields=["email"])
    enrolment = programme_with_ssw(places["home_la"], places["home_school"], users[RoleName.SSW])
    return {"enrolment": enrolment, **{role.value: user for role, user in users.items()}}
