"""When an SSW plans a session, the school's DSLs get an invitation through the queue: an .ics
with METHOD:REQUEST and a stable UID, so a move updates the same event (SEQUENCE one more per
move) and a cancellation removes it (METHOD:CANCEL); each person's choices are respected, and
each invitation goes once. Run by django-tasks' own worker on the real database; the
attachments are read with `icalendar`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from factories.jobs import run_jobs
from factories.sessions import at, school_people
from threshold.model import SessionFormat, SessionMode
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.audit.models import AuditEvent
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.programme import services
from threshold.web.programme.models import Enrolment, SupervisionSession
from threshold.web.programme.reminders import reminders_daily, session_invitation_send
from threshold.web.reminders.services import reminder_choices_save

SITE = "https://threshold.example.gov.uk"
HOST = "threshold.example.gov.uk"
ACTOR = "test"
LEAD, DEPUTY = "dsl_lead@example.org", "dsl_deputy@example.org"


@pytest.fixture(autouse=True)
def site_url(settings: object) -> None:
    settings.SITE_URL = SITE
    settings.DEFAULT_FROM_EMAIL = "Threshold <no-reply@threshold.example.gov.uk>"


@pytest.fixture
def people(
    places: dict[str, LocalAuthority | School], make_user: Callable[..., User]
) -> dict[str, object]:
    return school_people(
        places, make_user, (RoleName.SSW, RoleName.DSL_LEAD, RoleName.DSL_DEPUTY, RoleName.LA_LEAD)
    )


def plan(enrolment: Enrolment, day: dt.date, hour: int = 10, **extra: object) -> SupervisionSession:
    return services.session_plan(
        enrolment=enrolment,
        scheduled_for=at(day, hour),
        format=SessionFormat.GROUP,
        mode=SessionMode.ONLINE,
        weekend_confirmed=True,
        by=ACTOR,
        **extra,
    )


def move(session: SupervisionSession, day: dt.date, hour: int) -> SupervisionSession:
    return services.session_reschedule(
        session=session,
        scheduled_for=at(day, hour),
        changed_by="school",
        reason="Staff training day",
        weekend_confirmed=True,
        by=ACTOR,
    )


def to(address: str) -> list[mail.EmailMessage]:
    return [message for message in mail.outbox if message.to == [address]]


def invitation(message: mail.EmailMessage) -> tuple[str, object]:
    """The attachment's METHOD and its one event."""
    (name, content, mimetype) = message.attachments[0]
    assert (name, mimetype) == ("supervision-session.ics", "text/calendar")
    calendar = Calendar.from_ical(content)
    (event,) = calendar.walk("VEVENT")
    return str(calendar["method"]), event


@pytest.mark.django_db(transaction=True)
def test_planning_a_session_invites_the_schools_dsls_once(people: dict[str, object]) -> None:
    today = timezone.localdate()
    session = plan(people["enrolment"], today + dt.timedelta(days=20), hour=14)
    assert mail.outbox == []  # through the queue, not the request
    run_jobs()
    assert sorted(m.to[0] for m in mail.outbox) == [DEPUTY, LEAD]
    for address in (LEAD, DEPUTY):
        (message,) = to(address)
        assert message.subject.startswith("Invitation: supervision session 1 on ")
        assert "14:00" in message.body
        assert f"{SITE}/supervision/sessions/{session.pk}/worksheet/" in message.body
        assert f"{SITE}/reminders/" in message.body
        method, event = invitation(message)
        assert method == "REQUEST"
        assert str(event["uid"]) == f"session-{session.pk}@{HOST}"
        assert int(event["sequence"]) == 0
        assert event.decoded("dtstart") == session.scheduled_for
        assert str(event["status"]) == "CONFIRMED"
        assert str(event["attendee"]) == f"mailto:{address}"
        assert event["attendee"].params["RSVP"] == "FALSE"
        assert str(event["organizer"]) == "mailto:no-reply@threshold.example.gov.uk"
        assert "Northmoor Academy" in str(event["summary"])
    assert to("ssw@example.org") == []
    assert to("la_lead@example.org") == []
    assert AuditEvent.objects.filter(
        actor="job:reminders",
        object_id=f"session-invitation:{session.pk}:{people['dsl_lead'].pk}",
    ).exists()
    session_invitation_send.enqueue(session.pk)  # enqueued again: sent once all the same
    run_jobs()
    assert len(mail.outbox) == 2


@pytest.mark.django_db(transaction=True)
def test_a_dsl_who_turned_invitations_off_gets_none_and_past_sessions_invite_nobody(
    people: dict[str, object],
) -> None:
    today = timezone.localdate()
    reminder_choices_save(
        user=people["dsl_deputy"], values={"session_invitation_on": False}, by=ACTOR
    )
    plan(people["enrolment"], today + dt.timedelta(days=20))
    plan(people["enrolment"], today - dt.timedelta(days=5), late_reason="Entered late")
    run_jobs()
    assert [m.to for m in mail.outbox] == [[LEAD]]


@pytest.mark.django_db(transaction=True)
def test_moves_update_the_same_event_and_a_cancellation_removes_it(
    people: dict[str, object],
) -> None:
    today = timezone.localdate()
    session = plan(people["enrolment"], today + dt.timedelta(days=20))
    run_jobs()
    mail.outbox.clear()
    uid = f"session-{session.pk}@{HOST}"

    moved = move(session, today + dt.timedelta(days=22), 14)
    run_jobs()
    (notice,) = to(LEAD)  # the notice of the move, and no second invitation
    assert len(mail.outbox) == 2
    assert "moved to" in notice.subject
    method, event = invitation(notice)
    assert (method, str(event["uid"]), int(event["sequence"])) == ("REQUEST", uid, 1)
    assert event.decoded("dtstart") == moved.scheduled_for
    assert str(event["status"]) == "CONFIRMED"

    moved_again = move(moved, today + dt.timedelta(days=23), 9)
    run_jobs()
    method, event = invitation(to(LEAD)[-1])
    assert (method, str(event["uid"]), int(event["sequence"])) == ("REQUEST", uid, 2)
    assert event.decoded("dtstart") == moved_again.scheduled_for

    services.session_cancel(
        session=moved_again, changed_by="ssw", reason="SSW unwell", by=people["ssw"]
    )
    run_jobs()
    cancelled = to(LEAD)[-1]
    assert "cancelled" in cancelled.subject
    method, event = invitation(cancelled)
    assert (method, str(event["uid"]), int(event["sequence"])) == ("CANCEL", uid, 3)
    assert str(event["status"]) == "CANCELLED"
    assert len(to(LEAD)) == 3


@pytest.mark.django_db(transaction=True)
def test_the_reminder_before_a_moved_session_carries_the_same_event(
    people: dict[str, object],
) -> None:
    today = timezone.localdate()
    session = plan(people["enrolment"], today + dt.timedelta(days=20))
    moved = move(session, today + dt.timedelta(days=3), 11)
    run_jobs()  # the invitation finds the session moved and sends nothing; the notice goes
    mail.outbox.clear()
    reminders_daily.enqueue(today=today.isoformat())
    run_jobs()
    reminder = to(LEAD)[0]
    assert reminder.subject.startswith("Supervision session 1 on ")
    method, event = invitation(reminder)
    assert (method, str(event["uid"]), int(event["sequence"])) == (
        "REQUEST",
        f"session-{session.pk}@{HOST}",
        1,
    )
    assert event.decoded("dtstart") == moved.scheduled_for


@pytest.mark.django_db(transaction=True)
def test_a_session_cancelled_before_its_invitation_went_sends_only_the_cancellation(
    people: dict[str, object],
) -> None:
    today = timezone.localdate()
    session = plan(people["enrolment"], today + dt.timedelta(days=20))
    services.session_cancel(session=session, changed_by="ssw", reason="SSW unwell", by=ACTOR)
    run_jobs()
    (message,) = to(LEAD)
    assert "cancelled" in message.subject
    assert invitation(message)[0] == "CANCEL"


@pytest.mark.django_db(transaction=True)
def test_a_session_removed_as_entered_in_error_leaves_the_calendars(
    people: dict[str, object],
) -> None:
    today = timezone.localdate()
    session = plan(people["enrolment"], today + dt.timedelta(days=15))
    run_jobs()
    mail.outbox.clear()

    services.session_remove(session=session, reason="Entered twice", by=people["ssw"])
    run_jobs()
    (notice,) = to(LEAD)
    assert "removed" in notice.subject
    method, event = invitation(notice)
    assert (method, str(event["uid"])) == ("CANCEL", f"session-{session.pk}@{HOST}")
    assert int(event["sequence"]) == 1
    run_jobs()
    assert len(to(LEAD)) == 1  # once
