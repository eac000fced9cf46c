"""Delivery records as data-contract tables, for `manage.py delivery_export`.

`TABLE_SOURCES` names (by dotted path) functions that each return contract tables by name; the
command writes them all. Another app exports its tables by adding its function's path there,
one line, as supervision does.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from threshold.model import TABLES
from threshold.web.accounts.models import Membership, User
from threshold.web.accounts.roles import RoleName
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.programme.models import Enrolment, SupervisionSession

TableSource = Callable[[], dict[str, pd.DataFrame]]


def ssw_id(user: User | int) -> str:
    """The contract's `ssw_id` of an SSW (a user or their id): stable, and not their name."""
    return f"ssw-{user if isinstance(user, int) else user.pk}"


def contract_frame(table: str, rows: list[dict[str, object]]) -> pd.DataFrame:
    """`rows` as the contract table `table`: its columns, in its order."""
    return pd.DataFrame(rows, columns=list(TABLES[table].columns))


def schools_frame(schools: QuerySet[School]) -> pd.DataFrame:
    """`schools` as the contract's `schools`, with the characteristics the service holds
    (pupils on roll, % FSM); the others are blank."""
    return contract_frame(
        "schools",
        [
            {
                "urn": s.urn,
                "name": s.name,
                "la_code": s.authority.la_code,
                "phase": s.phase,
                "pupils_on_roll": s.pupils_on_roll,
                "pct_fsm": s.pct_fsm,
            }
            for s in schools.select_related("authority").order_by("urn")
        ],
    )


def delivery_tables(enrolments: QuerySet[Enrolment] | None = None) -> dict[str, pd.DataFrame]:
    """`allocations` (from enrolments; a school enrolled directly, not randomised, has none),
    `ssws` (SSW memberships, and any SSW who ran a session),
    `sessions` (those with an outcome; a session planned but not yet held or cancelled has no
    status, which the contract requires), and the `local_authorities` and `schools` they refer
    to. A rescheduled session's `rescheduled_to` is blank while its replacement is still
    planned.

    Given `enrolments` (a trial's), only those: their allocations and sessions, their schools,
    their LAs and those LAs' SSWs."""
    chosen = Enrolment.objects.all() if enrolments is None else enrolments
    sessions = list(
        SupervisionSession.objects.exclude(status="")
        .filter(enrolment__in=chosen)
        .select_related("enrolment__school__authority")
        .order_by("pk")
    )
    exported = {s.pk for s in sessions}
    authorities = LocalAuthority.objects.all()
    schools = School.objects.all()
    if enrolments is not None:
        authorities = authorities.filter(schools__enrolments__in=chosen).distinct()
        schools = schools.filter(enrolments__in=chosen).distinct()
    ssws = {
        (m.user_id, m.authority.la_code)
        for m in Membership.objects.filter(
            role=RoleName.SSW, authority__in=authorities
        ).select_related("authority")
    } | {(s.ssw_id, s.enrolment.school.authority.la_code) for s in sessions}
    enrolments = chosen.select_related("school").order_by("school__urn")
    return {
        "local_authorities": contract_frame(
            "local_authorities",
            [
                {"la_code": la.la_code, "la_name": la.name, "region": la.region or None}
                for la in authorities.order_by("la_code")
            ],
        ),
        "schools": schools_frame(schools),
        "allocations": contract_frame(
            "allocations",
            [
                {
                    "urn": e.school.urn,
                    "block": e.block,
                    "arm": e.arm,
                    "random_number": e.random_number,
                    "order": e.allocation_order,
                    "withdrawn_on": e.withdrawn_on,
                }
                for e in enrolments
                # A school enrolled directly (no trial) was not randomised: not an allocation.
                if e.random_number is not None
            ],
        ),
        "ssws": contract_frame(
            "ssws",
            [{"ssw_id": ssw_id(user), "la_code": code} for user, code in sorted(ssws)],
        ),
        "sessions": contract_frame(
            "sessions",
            [
                {
                    "session_id": str(s.pk),
                    "urn": s.enrolment.school.urn,
                    "ssw_id": ssw_id(s.ssw_id),
                    "session_date": timezone.localdate(s.scheduled_for),
                    "format": s.format,
                    "mode": s.mode,
                    "status": s.status,
                    "changed_by": s.changed_by or None,
                    "rescheduled_to": (
                        str(s.rescheduled_to_id) if s.rescheduled_to_id in exported else None
                    ),
                    "attendees": s.attendees,
                    "duration_minutes": s.duration_minutes,
                }
                for s in sessions
            ],
        ),
    }


TABLE_SOURCES: list[str] = [
    "threshold.web.programme.exports.delivery_tables",
    "threshold.web.supervision.exports.contract_tables",
    "threshold.web.surveys.exports.contract_tables",
]
"""Dotted paths of the `TableSource`s `delivery_export` writes; add another app's here."""


def contract_tables() -> dict[str, pd.DataFrame]:
    """Every table from every source in `TABLE_SOURCES`."""
    tables: dict[str, pd.DataFrame] = {}
    for path in TABLE_SOURCES:
        source: TableSource = import_string(path)
        tables |= source()
    return tables
