"""Downloads of the programme's lists as people see them (the schedule's sessions, the
supervision sessions, take-up), through `threshold.web.core.exports`, each an audited read
saying what was downloaded, in which format, how many rows and with which filters.

A session's row says whether its record of supervision is written, never what it says."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone

from threshold.model import SessionMode, SessionStatus
from threshold.web.audit.services import audit_read
from threshold.web.core.exports import table_download, table_frame
from threshold.web.programme.models import SupervisionSession
from threshold.web.programme.selectors import ListFilters, TakeUp, person_name

SESSION_COLUMNS = (
    "School",
    "URN",
    "Local authority",
    "Session",
    "Date",
    "Time",
    "Place",
    "Status",
    "SSW",
    "Record written",
)
TAKE_UP_COLUMNS = (
    "School",
    "URN",
    "Local authority",
    "SSW",
    "Sessions held",
    "Planned for the year",
    "Planned ahead",
    "Last held",
    "Next planned",
    "Due by",
    "No session yet",
    "Overdue",
    "Nothing planned",
)
STATUS_TEXT = {
    "": "Planned",
    SessionStatus.HELD.value: "Held",
    SessionStatus.CANCELLED.value: "Cancelled",
    SessionStatus.RESCHEDULED.value: "Moved to another date",
}
"""A session's status as the lists show it."""
NO_SSW_YET = "None yet"


def yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def status_text(session: SupervisionSession) -> str:
    return STATUS_TEXT.get(session.status, session.status)


def record_text(session: SupervisionSession) -> str:
    """ "Yes" or "No" for a held session (`has_record` annotated); blank for the others."""
    if session.status != SessionStatus.HELD:
        return ""
    return yes_no(bool(session.has_record))


def sessions_frame(sessions: Iterable[SupervisionSession]) -> pd.DataFrame:
    """One row per session (`SESSION_COLUMNS`); dates and times in the service's time zone."""
    rows = []
    for session in sessions:
        school = session.enrolment.school
        when = timezone.localtime(session.scheduled_for)
        rows.append(
            (
                school.name,
                school.urn,
                school.authority.name,
                session.number,
                when.date(),
                when.strftime("%H:%M"),
                SessionMode(session.mode).label if session.mode else "",
                status_text(session),
                person_name(session.ssw),
                record_text(session),
            )
        )
    return table_frame(SESSION_COLUMNS, rows)


def take_up_frame(take_up: TakeUp) -> pd.DataFrame:
    """One row per school in `take_up` (`TAKE_UP_COLUMNS`), with its counts and flags."""
    rows = []
    for school in take_up.overall.schools:
        enrolment = school.enrolment
        rows.append(
            (
                enrolment.school.name,
                enrolment.school.urn,
                enrolment.school.authority.name,
                person_name(enrolment.ssw) if enrolment.ssw else NO_SSW_YET,
                school.held,
                enrolment.programme.planned_sessions,
                school.planned_ahead,
                school.last_held,
                school.next_planned,
                school.due_by,
                yes_no(school.held == 0),
                yes_no(school.overdue),
                yes_no(school.unplanned),
            )
        )
    return table_frame(TAKE_UP_COLUMNS, rows)


@transaction.atomic
def audited_download(
    frame: pd.DataFrame,
    *,
    by: AbstractBaseUser,
    what: str,
    object_type: str,
    filters: ListFilters,
    fmt: str,
    stem: str,
    title: str,
    authority_codes: Iterable[str],
) -> HttpResponse:
    """`frame` as a download (`table_download`), its reading audited: what (`what`), in which
    format, how many rows, with which filters and from which LAs (the event's LA when there
    is one)."""
    codes = sorted(set(authority_codes))
    audit_read(
        by=by,
        object_type=object_type,
        authority_code=codes[0] if len(codes) == 1 else "",
        detail={
            "download": what,
            "format": fmt,
            "rows": len(frame),
            "filters": filters.described(),
            "authorities": codes,
        },
    )
    return table_download(frame, stem=stem, fmt=fmt, title=title, on=timezone.localdate())
