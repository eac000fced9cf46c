"""Reminders and notices by e-mail, sent by a real worker running the jobs: each once, not when
turned off, links from SITE_URL, sessions as .ics attachments, and survey chasers to the
non-respondents only, with nothing recorded about who got one. And the choices pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from factories.jobs import run_jobs
from factories.sessions import at, school_people
from threshold.model import SessionFormat, SessionMode, SurveyWave
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.audit.models import AuditEvent
from threshold.web.jobs.schedules import SCHEDULES
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.programme import services
from threshold.web.programme.models import Enrolment, SupervisionSession
from threshold.web.programme.reminders import (
    reminders_daily,
    reminders_weekly,
    session_notice_send,
)
from threshold.web.reminders.models import SentReminder
from threshold.web.reminders.services import (
    MSG_CHASERS_ORDER,
    authority_defaults_save,
    reminder_choices_save,
)
from threshold.web.surveys.models import Respondent, Response
from threshold.web.surveys.services import wave_create

SITE = "https://threshold.example.gov.uk"
ACTOR = "test"


@pytest.fixture(autouse=True)
def site_url(settings: object) -> None:
    settings.SITE_URL = SITE


@pytest.fixture
def people(
    places: dict[str, LocalAuthority | School], make_user: Callable[..., User]
) -> dict[str, object]:
    """The home school enrolled with an SSW; its lead DSL, the LA lead, each with an address."""
    return school_people(
        places, make_user, (RoleName.SSW, RoleName.DSL_LEAD, RoleName.DSL_DEPUTY, RoleName.LA_LEAD)
    )


def plan(enrolment: Enrolment, day: dt.date, **extra: object) -> SupervisionSession:
    """A session planned, its DSLs' invitation sent and left out of the outbox (invitations:
    test_session_invitations.py)."""
    session = services.session_plan(
        enrolment=enrolment,
        scheduled_for=at(day, 10),
        format=SessionFormat.GROUP,
        mode=SessionMode.ONLINE,
        weekend_confirmed=True,
        by=ACTOR,
        **extra,
    )
    run_jobs()
    mail.outbox.clear()
    return session


def daily(today: dt.date) -> None:
    reminders_daily.enqueue(today=today.isoformat())
    run_jobs()


def weekly(today: dt.date) -> None:
    reminders_weekly.enqueue(today=today.isoformat())
    run_jobs()


def to(address: str) -> list[mail.EmailMessage]:
    return [message for message in mail.outbox if message.to == [address]]


def events(message: mail.EmailMessage) -> list[object]:
    (name, content, mimetype) = message.attachments[0]
    assert name.endswith(".ics")
    assert mimetype == "text/calendar"
    return Calendar.from_ical(content).walk("VEVENT")


def test_the_reminders_run_daily_and_weekly_from_the_scheduler() -> None:
    found = {schedule.name: schedule for schedule in SCHEDULES}
    assert found["reminders"].task == "threshold.web.programme.reminders.reminders_daily"
    assert (found["reminders"].at, found["reminders"].weekday) == (dt.time(6, 30), None)
    assert found["reminders-weekly"].weekday == 0


@pytest.mark.django_db(transaction=True)
def test_dsls_are_reminded_days_before_a_session_once_with_the_worksheet_and_ics(
    people: dict[str, object],
) -> None:
    today = timezone.localdate()
    session = plan(people["enrolment"], today + dt.timedelta(days=3))
    later = plan(people["enrolment"], today + dt.timedelta(days=10))
    daily(today)
    for role in ("dsl_lead", "dsl_deputy"):
        (message,) = to(f"{role}@example.org")
        assert message.subject.startswith("Supervision session 1 on ")
        assert f"{SITE}/supervision/sessions/{session.pk}/worksheet/" in message.body
        assert f"{SITE}/reminders/" in message.body
        (event,) = events(message)
        assert str(event["uid"]) == f"session-{session.pk}@threshold.example.gov.uk"
        assert str(event["status"]) == "CONFIRMED"
    assert to("ssw@example.org") == []
    assert to("la_lead@example.org") == []
    daily(today)  # a second run sends nothing again
    daily(today + dt.timedelta(days=1))
    assert len(mail.outbox) == 2
    assert not SentReminder.objects.filter(key__startswith=f"session-reminder:{later.pk}:").exists()
    assert AuditEvent.objects.filter(
        actor="job:reminders", object_id=f"session-reminder:{session.pk}:{people['dsl_lead'].pk}"
    ).exists()


@pytest.mark.django_db(transaction=True)
def test_a_dsl_who_turned_reminders_off_or_wants_them_later_gets_none_yet(
    people: dict[str, object],
) -> None:
    today = timezone.localdate()
    plan(people["enrolment"], today + dt.timedelta(days=3))
    reminder_choices_save(user=people["dsl_lead"], values={"session_reminder_on": False}, by=ACTOR)
    reminder_choices_save(user=people["dsl_deputy"], values={"session_reminder_days": 1}, by=ACTOR)
    daily(today)
    assert mail.outbox == []
    daily(today + dt.timedelta(days=2))
    assert [m.to for m in mail.outbox] == [["dsl_deputy@example.org"]]


@pytest.mark.django_db(transaction=True)
def test_the_las_defaults_apply_to_people_without_their_own_choices(
    people: dict[str, object], places: dict[str, LocalAuthority | School]
) -> None:
    today = timezone.localdate()
    plan(people["enrolment"], today + dt.timedelta(days=3))
    authority_defaults_save(
        authority=places["home_la"], values={"session_reminder_on": False}, by=ACTOR
    )
    reminder_choices_save(user=people["dsl_deputy"], values={"session_reminder_on": True}, by=ACTOR)
    daily(today)
    assert [m.to for m in mail.outbox] == [["dsl_deputy@example.org"]]


@pytest.mark.django_db(transaction=True)
def test_dsls_get_a_notice_when_a_session_is_moved_or_cancelled(
    people: dict[str, object],
) -> None:
    today = timezone.localdate()
    moved = plan(people["enrolment"], today + dt.timedelta(days=20))
    cancelled = plan(people["enrolment"], today + dt.timedelta(days=40))
    reminder_choices_save(user=people["dsl_deputy"], values={"session_notice_on": False}, by=ACTOR)
    replacement = services.session_reschedule(
        session=moved,
        scheduled_for=at(today + dt.timedelta(days=22), 14),
        changed_by="school",
        reason="Staff training day",
        weekend_confirmed=True,
        by=ACTOR,
    )
    run_jobs()
    (notice,) = mail.outbox
    assert notice.to == ["dsl_lead@example.org"]
    assert "moved to" in notice.subject
    assert "14:00" in notice.body
    (event,) = events(notice)  # the same event as the invitation's, at its new time
    assert (str(event["uid"]), str(event["status"]), int(event["sequence"])) == (
        f"session-{moved.pk}@threshold.example.gov.uk",
        "CONFIRMED",
        1,
    )
    assert event.decoded("dtstart") == replacement.scheduled_for
    services.session_cancel(
        session=cancelled, changed_by="ssw", reason="SSW unwell", by=people["ssw"]
    )
    run_jobs()
    assert len(mail.outbox) == 2
    assert "cancelled" in mail.outbox[1].subject
    (event,) = events(mail.outbox[1])
    assert str(event["status"]) == "CANCELLED"
    session_notice_send.enqueue(cancelled.pk)  # enqueued twice: still sent once
    run_jobs()
    assert len(mail.outbox) == 2


@pytest.mark.django_db(transaction=True)
def test_ssws_are_told_of_records_still_to_write_once(people: dict[str, object]) -> None:
    today = timezone.localdate()
    held = plan(people["enrolment"], today - dt.timedelta(days=3), late_reason="Entered late")
    services.session_record_held(session=held, attendees=4, duration_minutes=90, by=ACTOR)
    daily(today - dt.timedelta(days=2))  # one day after: not due yet
    assert mail.outbox == []
    daily(today)
    (message,) = mail.outbox
    assert message.to == ["ssw@example.org"]
    assert f"{SITE}/supervision/sessions/{held.pk}/record/" in message.body
    daily(today + dt.timedelta(days=1))
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_an_ssw_who_turned_record_reminders_off_gets_none(people: dict[str, object]) -> None:
    today = timezone.localdate()
    held = plan(people["enrolment"], today - dt.timedelta(days=3), late_reason="Entered late")
    services.session_record_held(session=held, attendees=4, duration_minutes=90, by=ACTOR)
    reminder_choices_save(user=people["ssw"], values={"record_due_on": False}, by=ACTOR)
    daily(today)
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_the_weekly_agenda_and_take_up_digest_go_once_a_week(people: dict[str, object]) -> None:
    today = timezone.localdate()
    monday = today + dt.timedelta(days=7 - today.weekday())
    plan(people["enrolment"], monday + dt.timedelta(days=1))
    plan(people["enrolment"], monday + dt.timedelta(days=9))  # the week after
    weekly(monday)
    (agenda,) = to("ssw@example.org")
    assert agenda.subject.startswith("Your supervision sessions in the week of")
    assert "session 1 with Northmoor Academy" in agenda.body
    assert "session 2" not in agenda.body
    (digest,) = to("la_lead@example.org")
    assert digest.subject.startswith("Take-up of supervision in Northmoor")
    assert f"{SITE}/take-up/" in digest.body
    weekly(monday + dt.timedelta(days=1))  # the same week again
    assert len(mail.outbox) == 2
    weekly(monday + dt.timedelta(days=7))  # the next week: the agenda of that week's session
    assert len(to("ssw@example.org")) == 2
    assert len(to("la_lead@example.org")) == 2


@pytest.mark.django_db(transaction=True)
def test_weekly_mails_turned_off_are_not_sent(people: dict[str, object]) -> None:
    today = timezone.localdate()
    monday = today + dt.timedelta(days=7 - today.weekday())
    plan(people["enrolment"], monday + dt.timedelta(days=1))
    reminder_choices_save(user=people["ssw"], values={"weekly_agenda_on": False}, by=ACTOR)
    reminder_choices_save(user=people["la_lead"], values={"takeup_digest_on": False}, by=ACTOR)
    weekly(monday)
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_survey_chasers_go_only_to_those_who_have_not_answered_and_say_nothing_of_who(
    people: dict[str, object],
) -> None:
    today = timezone.localdate()
    opens = today - dt.timedelta(days=14)
    wave, issued = wave_create(
        programme=people["enrolment"].programme,
        wave=SurveyWave.BASELINE,
        opens_on=opens,
        closes_on=today + dt.timedelta(days=20),
        by=ACTOR,
    )
    assert issued == 2
    answered = Respondent.objects.get(user=people["dsl_lead"])
    Response.objects.create(respondent=answered, wave=wave, submitted_on=opens)
    events_before = AuditEvent.objects.count()
    daily(opens + dt.timedelta(days=6))
    assert mail.outbox == []
    daily(opens + dt.timedelta(days=7))
    (chaser,) = mail.outbox
    assert chaser.to == ["dsl_deputy@example.org"]
    assert f"{SITE}/surveys/mine/" in chaser.body
    daily(opens + dt.timedelta(days=8))
    assert len(mail.outbox) == 1
    daily(opens + dt.timedelta(days=14))
    assert [m.to for m in mail.outbox] == [["dsl_deputy@example.org"]] * 2
    # What the service keeps says which days were sent for the wave, never to whom.
    assert sorted(SentReminder.objects.values_list("key", flat=True)) == [
        f"survey-chaser:wave-{wave.pk}:day-14",
        f"survey-chaser:wave-{wave.pk}:day-7",
    ]
    logged = AuditEvent.objects.order_by("sequence")[events_before:]
    text = " ".join(f"{e.object_id} {e.detail}" for e in logged)
    for person in (people["dsl_lead"], people["dsl_deputy"]):
        assert f"'user': {person.pk}" not in text
        assert person.username not in text
    assert [e.detail for e in logged if e.object_type == "reminders.sentreminder"] == [
        {"kind": "survey_chaser", "wave": wave.pk, "days": [7]},
        {"kind": "survey_chaser", "wave": wave.pk, "days": [14]},
    ]


@pytest.mark.django_db(transaction=True)
def test_a_person_who_turned_chasers_off_is_not_chased(people: dict[str, object]) -> None:
    today = timezone.localdate()
    wave_create(
        programme=people["enrolment"].programme,
        wave=SurveyWave.BASELINE,
        opens_on=today - dt.timedelta(days=7),
        closes_on=today + dt.timedelta(days=20),
        by=ACTOR,
    )
    reminder_choices_save(user=people["dsl_lead"], values={"survey_chaser_on": False}, by=ACTOR)
    reminder_choices_save(
        user=people["dsl_deputy"],
        values={"survey_chaser_first_days": 10, "survey_chaser_second_days": 12},
        by=ACTOR,
    )
    daily(today)
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_person_sees_and_changes_their_reminders(
    client: Client,
    people: dict[str, object],
    sign_in: Callable[..., Client],
) -> None:
    sign_in(client, people["dsl_lead"])
    page = client.get(reverse("reminders:mine"))
    text = page.content.decode()
    assert "Reminder before each session" in text
    assert "Northmoor's default" in text
    assert "Weekly take-up digest" not in text  # not a lead's
    response = client.post(
        reverse("reminders:mine"),
        {
            "session_invitation_on": "on",
            "session_reminder_days": "5",
            "session_notice_on": "on",
            "survey_chaser_on": "on",
            "survey_chaser_first_days": "7",
            "survey_chaser_second_days": "14",
        },
    )
    assert response.status_code == 302
    choices = people["dsl_lead"].reminder_choices
    assert (choices.session_reminder_on, choices.session_reminder_days) == (False, 5)
    assert choices.takeup_digest_on  # not on the page: kept
    event = AuditEvent.objects.filter(object_type="reminders.personreminderchoices").last()
    assert event.detail["changed"] == {"session_reminder_on": False, "session_reminder_days": 5}
    wrong = client.post(
        reverse("reminders:mine"),
        {
            "session_reminder_days": "x",
            "survey_chaser_first_days": "9",
            "survey_chaser_second_days": "9",
        },
    )
    assert wrong.status_code == 200
    assert "Enter the number of days as a whole number, like 3" in wrong.content.decode()
    ordered = client.post(
        reverse("reminders:mine"),
        {
            "session_reminder_days": "3",
            "survey_chaser_first_days": "9",
            "survey_chaser_second_days": "9",
        },
    )
    assert MSG_CHASERS_ORDER in ordered.content.decode()
    client.post(reverse("reminders:mine"), {"reset": "1"})
    assert not type(choices).objects.filter(user=people["dsl_lead"]).exists()


@pytest.mark.django_db
def test_an_la_lead_sets_their_las_defaults_and_no_other(
    client: Client,
    people: dict[str, object],
    places: dict[str, LocalAuthority | School],
    sign_in: Callable[..., Client],
) -> None:
    sign_in(client, people["la_lead"])
    assert (
        "Set the default reminders of Northmoor"
        in client.get(reverse("reminders:mine")).content.decode()
    )
    url = reverse("reminders:authority_defaults", args=[places["home_la"].la_code])
    fields = {
        "session_reminder_on": "on",
        "session_reminder_days": "2",
        "record_due_days": "4",
        "survey_chaser_first_days": "7",
        "survey_chaser_second_days": "14",
    }
    assert client.post(url, fields).status_code == 302
    defaults = places["home_la"].reminder_defaults
    assert (defaults.session_reminder_days, defaults.record_due_on) == (2, False)
    other = reverse("reminders:authority_defaults", args=[places["other_la"].la_code])
    assert client.get(other).status_code == 404
