"""Calendar feeds: the sessions a person sees in the schedule, as iCalendar (RFC 5545, written
with the `icalendar` library), read by calendar apps with the feed's secret token."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone
from icalendar import Calendar, Event

from threshold.model import SessionMode, SessionStatus
from threshold.web.programme.models import CalendarFeed, SupervisionSession
from threshold.web.programme.selectors import enrolments_visible

PRODUCT = "-//Threshold//Supervision sessions//EN"
FEED_NAME = "Supervision sessions (Threshold)"
FEED_WINDOW = dt.timedelta(days=400)
"""Sessions from this long ago are left out of the feed."""


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_for_token(token: str) -> CalendarFeed | None:
    """The active person's feed this token opens (None: no such feed, or they cannot sign in)."""
    return (
        CalendarFeed.objects.select_related("user")
        .filter(token_sha256=token_digest(token), user__is_active=True)
        .first()
    )


def feed_sessions(user: AbstractBaseUser, *, now: dt.datetime) -> list[SupervisionSession]:
    """The sessions of the schools `user` sees in the schedule, from `FEED_WINDOW` ago on."""
    return list(
        SupervisionSession.objects.filter(
            enrolment__in=enrolments_visible(user=user), scheduled_for__gte=now - FEED_WINDOW
        )
        .select_related("enrolment__school", "enrolment__programme")
        .order_by("scheduled_for", "pk")
    )


def session_event(session: SupervisionSession, *, stamp: dt.datetime, site: str) -> Event:
    """One session as a VEVENT: school, number, time, how it is held; cancelled or moved
    sessions are marked cancelled. Nothing else about the school or anyone in it."""
    school = session.enrolment.school
    event = Event()
    event.add("uid", f"session-{session.pk}@{site}")
    event.add("dtstamp", stamp)
    event.add("dtstart", session.scheduled_for)
    minutes = session.duration_minutes or session.planned_minutes
    event.add("dtend", session.scheduled_for + dt.timedelta(minutes=minutes))
    event.add("summary", f"Supervision session {session.number}: {school.name}")
    event.add("location", SessionMode(session.mode).label)
    event.add("description", f"{school.name} (URN {school.urn}). Details in Threshold.")
    gone = session.status in (SessionStatus.CANCELLED, SessionStatus.RESCHEDULED)
    event.add("status", "CANCELLED" if gone else "CONFIRMED")
    return event


def sessions_calendar(user: AbstractBaseUser, *, site: str) -> bytes:
    """The feed of `user`'s sessions as an .ics file."""
    now = timezone.now()
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", FEED_NAME)
    for session in feed_sessions(user, now=now):
        calendar.add_component(session_event(session, stamp=now, site=site))
    return calendar.to_ical()
