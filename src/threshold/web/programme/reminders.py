"""Reminders and notices by e-mail, sent by background jobs (django-tasks), each once.

- DSLs: an invitation when a session is planned (an .ics invitation, METHOD:REQUEST, whose UID
  is the first session's of its chain of moves), a reminder some days before each session (the
  worksheet's link, the same invitation), and a notice when a session is moved or cancelled
  (the new time; the .ics updates the same event: REQUEST with SEQUENCE one more per move, or
  CANCEL).
- SSWs: a record of supervision still to write some days after a held session; on Mondays the
  week's agenda.
- LA leads: on Mondays a take-up digest of their LA's schools.
- Survey chasers to the people who have not answered an open wave, some days after it opens.

Who gets what, and when, is each person's choice (`threshold.web.reminders`). Each message is
recorded under a key (`SentReminder`) in the transaction that sends it, so a run that fails
part-way, or a second run, or a second worker, sends nothing twice; each sending is an audit
event (the job read supervision records to write it). Survey chasers are recorded once per wave
and day for all its non-respondents together: no record, event or page says who got one.
Links use `settings.SITE_URL`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django_tasks import task
from icalendar import Calendar, vCalAddress

from threshold.model import Arm, SessionMode, SessionStatus, SurveyWave
from threshold.web.accounts.models import Membership
from threshold.web.accounts.roles import RoleName
from threshold.web.audit.models import AuditAction
from threshold.web.audit.services import record_event
from threshold.web.jobs.retries import retrying
from threshold.web.organisations.models import School
from threshold.web.programme.calendars import PRODUCT, session_event
from threshold.web.programme.models import Enrolment, SupervisionSession
from threshold.web.programme.selectors import day_text, take_up
from threshold.web.reminders.models import SentReminder
from threshold.web.reminders.selectors import DSL_ROLES, ChoiceCache, authority_defaults
from threshold.web.surveys.models import Respondent, Response, Wave

ACTOR = "job:reminders"
SENT_OBJECT = "reminders.sentreminder"
RECORD_CATCH_UP = dt.timedelta(days=7)
"""A record reminder missed (no run that day) is still sent this long after it was due."""
MSG_NO_SITE_URL = (
    "THRESHOLD_SITE_URL is not set: reminders link to the service, so set it to the service's "
    "address (e.g. https://threshold.example.gov.uk)"
)
SIGN_OFF = (
    "\n\nYou can choose which reminders you get, and when: {choices}\n\n"
    "This e-mail was sent by Threshold. Please do not reply to it."
)

SESSION_REMINDER_SUBJECT = "Supervision session {number} on {date}: {school}"
SESSION_REMINDER_BODY = """Supervision session {number} with {school} is on {date} at {time}
({mode}, {minutes} minutes).

Before it, you can prepare your worksheet: {worksheet}

The session is attached as a calendar file you can add to your calendar."""
MOVED_SUBJECT = "Supervision session {number} moved to {date}: {school}"
MOVED_BODY = """Supervision session {number} with {school}, planned for {old_date} at {old_time},
has moved to {date} at {time} ({mode}).

The attached calendar file moves the session to the new time in your calendar.
Your worksheet for it: {worksheet}"""
CANCELLED_SUBJECT = "Supervision session {number} cancelled: {school}"
CANCELLED_BODY = """Supervision session {number} with {school}, planned for {date} at {time},
is cancelled.

The attached calendar file removes it from your calendar. Your supervising social worker will
agree a new date with you."""
REMOVED_SUBJECT = "Supervision session {number} removed: {school}"
REMOVED_BODY = """Supervision session {number} with {school}, planned for {date} at {time},
was entered in error and is removed.

The attached calendar file removes it from your calendar."""
INVITATION_SUBJECT = "Invitation: supervision session {number} on {date}: {school}"
INVITATION_BODY = """Supervision session {number} with {school} is planned for {date} at {time}
({mode}, {minutes} minutes).

The attached invitation adds it to your calendar. If the session is moved or cancelled, you
will get an update that changes it there.

Before it, you can prepare your worksheet: {worksheet}"""
ORGANISER_NAME = "Threshold"
"""The organiser named in invitations (at `DEFAULT_FROM_EMAIL`, where replies go nowhere: the
invitations ask for none)."""
RECORD_DUE_SUBJECT = "Records of supervision still to write"
RECORD_DUE_BODY = """These sessions were held and their records of supervision are still to be
written:

{sessions}"""
AGENDA_SUBJECT = "Your supervision sessions in the week of {monday}"
AGENDA_BODY = """Your supervision sessions this week:

{sessions}

Your schedule: {schedule}"""
DIGEST_SUBJECT = "Take-up of supervision in {authority}: week of {monday}"
DIGEST_BODY = """Take-up of supervision in {authority}'s treatment schools on {today}:

- Schools: {schools}
- Sessions held: {held} of {target} planned for the year
- Sessions planned from today: {planned}
- Schools with no session yet: {none_yet}
- Schools overdue a session: {overdue}{overdue_names}
- Schools with no session planned in time: {unplanned}

Take-up in full: {link}"""
CHASER_SUBJECT = "A reminder: your {wave} survey for {school}"
CHASER_BODY = """Dear colleague,

The {wave} survey of the DSL supervision programme for {school} is open until {closes}, and
we have not had your answers yet. It takes about five minutes.

Sign in to answer it: {link}

Your answers are linked between surveys by a code, never by your name. If you have answered
since this e-mail was sent, thank you, and please ignore it."""
CHASER_BY_EMAIL_BODY = """Dear colleague,

The {wave} survey of the DSL supervision programme for {school} is open until {closes}, and
we have not had your answers yet. It takes about five minutes.

Your personal link (please do not share it): {link}

Your answers are linked between surveys by a code, never by your name. If you have answered
since this e-mail was sent, thank you, and please ignore it.

You get this reminder because {authority} invited you to the survey at this address.
This e-mail was sent by Threshold. Please do not reply to it."""
"""The chaser to a person invited by e-mail (no account, so no choices page: their LA's
defaults say whether and when they are chased)."""


@dataclass
class Sent:
    """What a run sent: how many messages of each kind (never to whom)."""

    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, kind: str, number: int = 1) -> None:
        self.counts[kind] += number

    def as_dict(self) -> dict[str, int]:
        return dict(self.counts)


def _site_url() -> str:
    if not settings.SITE_URL:
        raise ImproperlyConfigured(MSG_NO_SITE_URL)
    return settings.SITE_URL.rstrip("/")


def _link(name: str, *args: object) -> str:
    return _site_url() + reverse(name, args=args)


def _site() -> str:
    """The host name in calendar UIDs (as the calendar feed's, where the host is the same)."""
    return urlsplit(_site_url()).netloc


def _time(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment):%H:%M}"


def _date(moment: dt.datetime) -> str:
    return day_text(timezone.localdate(moment))


def session_chain(session: SupervisionSession) -> tuple[SupervisionSession, int]:
    """The session first planned in the chain of moves that led to `session`, and how many
    moves there were: invitations name the first's UID, so each move updates the same event
    in a calendar (its SEQUENCE the number of moves)."""
    first, moves = session, 0
    while (
        earlier := SupervisionSession.everything.filter(rescheduled_to=first).first()
    ) is not None:
        first, moves = earlier, moves + 1
    return first, moves


def _ics(session: SupervisionSession, *, user: AbstractBaseUser, method: str = "REQUEST") -> bytes:
    """The session as an iTIP invitation (RFC 5546) to `user`: METHOD:REQUEST (planned or
    moved: the new time) or CANCEL, the UID of the first session in its chain of moves, and its
    SEQUENCE (one more for a cancellation). Asks for no reply."""
    first, moves = session_chain(session)
    event = session_event(session, stamp=timezone.now(), site=_site())
    del event["uid"]
    event.add("uid", f"session-{first.pk}@{_site()}")
    event.add("sequence", moves + (1 if method == "CANCEL" else 0))
    organiser = vCalAddress(f"mailto:{parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}")
    organiser.params["cn"] = ORGANISER_NAME
    event.add("organizer", organiser)
    attendee = vCalAddress(f"mailto:{user.email}")
    attendee.params.update({"role": "REQ-PARTICIPANT", "partstat": "NEEDS-ACTION", "rsvp": "FALSE"})
    event.add("attendee", attendee)
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    calendar.add_component(event)
    return calendar.to_ical()


def _message(
    user: AbstractBaseUser, subject: str, body: str, *, ics: bytes | None = None
) -> EmailMessage:
    message = EmailMessage(
        subject,
        body + SIGN_OFF.format(choices=_link("reminders:mine")),
        settings.DEFAULT_FROM_EMAIL,
        [user.email],
    )
    if ics is not None:
        message.attach("supervision-session.ics", ics, "text/calendar")
    return message


def _send_once(
    key: str | list[str],
    kind: str,
    messages: Iterable[EmailMessage],
    *,
    authority_code: str = "",
    school_urn: int | None = None,
    detail: dict[str, object] | None = None,
) -> int:
    """Send `messages` unless `key` (or any of a list of keys, the first naming the audit
    event) was sent already; record the keys and an audit event in the same transaction, so a
    failed sending is tried again on the next run. How many messages were sent."""
    messages = list(messages)
    keys = [key] if isinstance(key, str) else list(key)
    key = keys[0]
    if not messages or SentReminder.objects.filter(key__in=keys).exists():
        return 0
    try:
        with transaction.atomic():
            SentReminder.objects.bulk_create([SentReminder(key=k, kind=kind) for k in keys])
            record_event(
                by=ACTOR,
                action=AuditAction.CREATE,
                object_type=SENT_OBJECT,
                object_id=key,
                authority_code=authority_code,
                school_urn=school_urn,
                detail={"kind": kind, **(detail or {})},
            )
            with get_connection() as connection:
                connection.send_messages(messages)
    except IntegrityError:  # another worker sent it first
        return 0
    return len(messages)


def _addressed(users: Iterable[AbstractBaseUser]) -> list[AbstractBaseUser]:
    """Active people with an e-mail address, each once, in a stable order."""
    found = {user.pk: user for user in users if user.is_active and user.email}
    return [found[pk] for pk in sorted(found)]


def school_dsls(school: School) -> list[AbstractBaseUser]:
    """The school's lead and deputy DSLs who can be e-mailed."""
    memberships = Membership.objects.filter(
        school=school, role__in=[role.value for role in DSL_ROLES]
    ).select_related("user")
    return _addressed(m.user for m in memberships)


def _session_words(session: SupervisionSession) -> dict[str, object]:
    return {
        "number": session.number,
        "school": session.enrolment.school.name,
        "date": _date(session.scheduled_for),
        "time": _time(session.scheduled_for),
        "mode": SessionMode(session.mode).label.lower(),
        "minutes": session.planned_minutes,
        "worksheet": _link("supervision:worksheet", session.pk),
    }


def _where(session: SupervisionSession) -> dict[str, object]:
    school = session.enrolment.school
    return {"authority_code": school.authority.la_code, "school_urn": school.urn}


def _sessions() -> QuerySet[SupervisionSession]:
    return SupervisionSession.objects.filter(enrolment__withdrawn_on__isnull=True).select_related(
        "enrolment__school__authority", "ssw"
    )


def session_reminders_send(*, today: dt.date, choices: ChoiceCache, sent: Sent) -> None:
    """Each DSL of a school is reminded of each planned session from their chosen number of
    days before it until its day (so a session planned at short notice is still announced)."""
    horizon = today + dt.timedelta(days=28)
    upcoming = _sessions().filter(
        status="",
        scheduled_for__date__gte=today - dt.timedelta(days=1),
        scheduled_for__date__lte=horizon + dt.timedelta(days=1),
    )
    for session in upcoming.order_by("scheduled_for", "pk"):
        day = timezone.localdate(session.scheduled_for)
        if not today <= day <= horizon:
            continue
        words = _session_words(session)
        for user in school_dsls(session.enrolment.school):
            chosen = choices(user)
            if not chosen["session_reminder_on"]:
                continue
            if (day - today).days > chosen["session_reminder_days"]:
                continue
            message = _message(
                user,
                SESSION_REMINDER_SUBJECT.format(**words),
                SESSION_REMINDER_BODY.format(**words),
                ics=_ics(session, user=user),
            )
            sent.add(
                "session_reminder",
                _send_once(
                    f"session-reminder:{session.pk}:{user.pk}",
                    "session_reminder",
                    [message],
                    **_where(session),
                    detail={"session": session.pk, "user": user.pk},
                ),
            )


def session_notice_messages(session: SupervisionSession, *, choices: ChoiceCache) -> list:
    """Notices of a moved, cancelled or removed (entered in error) session to the school's DSLs
    who want them: (user, message) pairs."""
    words = _session_words(session)
    today = timezone.localdate()
    if session.removed_at is not None:
        if timezone.localdate(session.scheduled_for) < today:
            return []  # a past session removed from the records is no news
        subject, body, event, method = REMOVED_SUBJECT, REMOVED_BODY, session, "CANCEL"
    elif session.status == SessionStatus.RESCHEDULED and session.rescheduled_to is not None:
        new = session.rescheduled_to
        if timezone.localdate(max(session.scheduled_for, new.scheduled_for)) < today:
            return []  # a move recorded after both times had passed is no news
        words |= {
            "old_date": words["date"],
            "old_time": words["time"],
            "date": _date(new.scheduled_for),
            "time": _time(new.scheduled_for),
            "worksheet": _link("supervision:worksheet", new.pk),
        }
        subject, body, event, method = MOVED_SUBJECT, MOVED_BODY, new, "REQUEST"
    elif session.status == SessionStatus.CANCELLED:
        if timezone.localdate(session.scheduled_for) < today:
            return []  # a cancellation recorded after the day is no news
        subject, body, event, method = CANCELLED_SUBJECT, CANCELLED_BODY, session, "CANCEL"
    else:
        return []
    return [
        (
            user,
            _message(
                user,
                subject.format(**words),
                body.format(**words),
                ics=_ics(event, user=user, method=method),
            ),
        )
        for user in school_dsls(session.enrolment.school)
        if choices(user)["session_notice_on"]
    ]


@task()
@retrying
def session_notice_send(session_pk: int) -> int:
    """E-mail the notice that a session was moved, cancelled or removed (enqueued when it is);
    how many were sent."""
    session = (
        SupervisionSession.everything.filter(pk=session_pk, enrolment__withdrawn_on__isnull=True)
        .select_related("enrolment__school__authority", "ssw", "rescheduled_to")
        .first()
    )
    if session is None:
        return 0
    count = 0
    for user, message in session_notice_messages(session, choices=ChoiceCache()):
        count += _send_once(
            f"session-notice:{session.pk}:{user.pk}",
            "session_notice",
            [message],
            **_where(session),
            detail={"session": session.pk, "user": user.pk, "status": session.status},
        )
    return count


def record_reminders_send(*, today: dt.date, choices: ChoiceCache, sent: Sent) -> None:
    """Each SSW is told of the held sessions whose record is still to write their chosen number
    of days after the session (one e-mail listing those newly due; each session once)."""
    earliest = today - dt.timedelta(days=28) - RECORD_CATCH_UP
    held = _sessions().filter(
        status=SessionStatus.HELD,
        record__isnull=True,
        scheduled_for__date__gte=earliest - dt.timedelta(days=1),
        scheduled_for__date__lte=today + dt.timedelta(days=1),
    )
    due: dict[int, list[SupervisionSession]] = defaultdict(list)
    people: dict[int, AbstractBaseUser] = {}
    for session in held.order_by("scheduled_for", "pk"):
        user = session.ssw
        if not (user.is_active and user.email):
            continue
        chosen = choices(user)
        if not chosen["record_due_on"]:
            continue
        due_on = timezone.localdate(session.scheduled_for) + dt.timedelta(
            days=chosen["record_due_days"]
        )
        if due_on <= today and today - due_on <= RECORD_CATCH_UP:
            if SentReminder.objects.filter(key=f"record-due:{session.pk}").exists():
                continue
            due[user.pk].append(session)
            people[user.pk] = user
    for pk, sessions in due.items():
        lines = "\n".join(
            f"- Session {s.number} with {s.enrolment.school.name}, held on "
            f"{_date(s.scheduled_for)}: {_link('supervision:record', s.pk)}"
            for s in sessions
        )
        message = _message(people[pk], RECORD_DUE_SUBJECT, RECORD_DUE_BODY.format(sessions=lines))
        sent.add(
            "record_due",
            _send_once(
                [f"record-due:{s.pk}" for s in sessions],
                "record_due",
                [message],
                **_where(sessions[0]),
                detail={"sessions": [s.pk for s in sessions], "user": pk},
            ),
        )


def _monday(today: dt.date) -> dt.date:
    return today - dt.timedelta(days=today.weekday())


def _week(today: dt.date) -> str:
    year, week, _ = today.isocalendar()
    return f"{year}-W{week:02d}"


def agendas_send(*, today: dt.date, choices: ChoiceCache, sent: Sent) -> None:
    """Each SSW with sessions planned this week (Monday to Sunday) gets them as a list."""
    monday = _monday(today)
    week = _sessions().filter(
        status="",
        scheduled_for__date__gte=monday - dt.timedelta(days=1),
        scheduled_for__date__lte=monday + dt.timedelta(days=7),
    )
    by_ssw: dict[int, list[SupervisionSession]] = defaultdict(list)
    people: dict[int, AbstractBaseUser] = {}
    for session in week.order_by("scheduled_for", "pk"):
        if not monday <= timezone.localdate(session.scheduled_for) < monday + dt.timedelta(7):
            continue
        by_ssw[session.ssw_id].append(session)
        people[session.ssw_id] = session.ssw
    for pk, sessions in by_ssw.items():
        user = people[pk]
        if not (user.is_active and user.email) or not choices(user)["weekly_agenda_on"]:
            continue
        lines = "\n".join(
            f"- {timezone.localtime(s.scheduled_for):%A} {_date(s.scheduled_for)} at "
            f"{_time(s.scheduled_for)}: session {s.number} with {s.enrolment.school.name} "
            f"({SessionMode(s.mode).label.lower()})"
            for s in sessions
        )
        body = AGENDA_BODY.format(sessions=lines, schedule=_link("programme:school_list"))
        subject = AGENDA_SUBJECT.format(monday=day_text(monday))
        sent.add(
            "weekly_agenda",
            _send_once(
                f"weekly-agenda:{_week(today)}:{pk}",
                "weekly_agenda",
                [_message(user, subject, body)],
                detail={"user": pk, "sessions": len(sessions)},
            ),
        )


def digests_send(*, today: dt.date, choices: ChoiceCache, sent: Sent) -> None:
    """Each LA lead gets the week's take-up of each LA they lead (with running programmes)."""
    leads = Membership.objects.filter(
        role=RoleName.LA_LEAD.value, authority__isnull=False
    ).select_related("user", "authority")
    for membership in leads.order_by("authority__name", "pk"):
        user, authority = membership.user, membership.authority
        if not (user.is_active and user.email) or not choices(user)["takeup_digest_on"]:
            continue
        key = f"takeup-digest:{_week(today)}:{authority.pk}:{user.pk}"
        if SentReminder.objects.filter(key=key).exists():
            continue
        if not Enrolment.objects.filter(
            programme__authority=authority,
            programme__ends_on__gte=today,
            arm=Arm.TREATMENT,
            withdrawn_on__isnull=True,
        ).exists():
            continue
        group = next(
            (g for g in take_up(user=user, today=today).by_authority if g.name == authority.name),
            None,
        )
        if group is None:
            continue
        overdue = [s.enrolment.school.name for s in group.overdue]
        body = DIGEST_BODY.format(
            authority=authority.name,
            today=day_text(today),
            schools=len(group.schools),
            held=group.held,
            target=group.target,
            planned=group.planned_ahead,
            none_yet=len(group.no_session_yet),
            overdue=len(overdue),
            overdue_names=f" ({', '.join(overdue)})" if overdue else "",
            unplanned=len(group.unplanned),
            link=_link("programme:take_up"),
        )
        subject = DIGEST_SUBJECT.format(authority=authority.name, monday=day_text(_monday(today)))
        sent.add(
            "takeup_digest",
            _send_once(
                key,
                "takeup_digest",
                [_message(user, subject, body)],
                authority_code=authority.la_code,
                detail={"user": user.pk},
            ),
        )


def chasers_send(*, today: dt.date, choices: ChoiceCache, sent: Sent) -> None:
    """Each open wave's non-respondents (with an account and an address, or invited by e-mail,
    in schools still enrolled) are reminded on the days after it opened they chose (those
    invited by e-mail: on their LA's default days, at the address they were invited at). The
    days due are recorded per wave, not per person; a person due two reminders at once (a
    missed run) gets one."""
    waves = Wave.objects.filter(opens_on__lte=today, closes_on__gte=today).select_related(
        "programme__authority"
    )
    for wave in waves.order_by("pk"):
        enrolled = Enrolment.objects.filter(programme=wave.programme, withdrawn_on__isnull=True)
        answered = Response.objects.filter(wave=wave).values("respondent")
        waiting = (
            Respondent.objects.filter(school__in=enrolled.values("school"))
            .exclude(user__isnull=True, email="")
            .exclude(pk__in=answered)
            .select_related("user", "school")
            .order_by("pk")
        )
        people = []
        for respondent in waiting:
            user = respondent.user
            if user is None:  # invited by e-mail: their LA's defaults, at that address
                chosen = authority_defaults(wave.programme.authority)
                if chosen["survey_chaser_on"]:
                    days = {
                        chosen["survey_chaser_first_days"],
                        chosen["survey_chaser_second_days"],
                    }
                    people.append((respondent, None, days))
                continue
            chosen = choices(user)
            if user.is_active and user.email and chosen["survey_chaser_on"]:
                days = {chosen["survey_chaser_first_days"], chosen["survey_chaser_second_days"]}
                people.append((respondent, user, days))
        opened = (today - wave.opens_on).days
        done = {
            int(key.rsplit("-", 1)[1])
            for key in SentReminder.objects.filter(
                key__startswith=f"survey-chaser:wave-{wave.pk}:day-"
            ).values_list("key", flat=True)
        }
        due = {d for _, _, days in people for d in days if d <= opened} - done
        if not due:
            continue
        words = {
            "wave": SurveyWave(wave.wave).value,
            "closes": day_text(wave.closes_on),
            "link": _link("surveys:invitations"),
        }
        messages = [
            _message(
                user,
                CHASER_SUBJECT.format(**words, school=respondent.school.name),
                CHASER_BODY.format(**words, school=respondent.school.name),
            )
            if user is not None
            else _chaser_by_email(respondent, wave, words)
            for respondent, user, days in people
            if days & due
        ]
        # Recorded for the wave and its days only: never who, nor how many.
        sent.add(
            "survey_chaser",
            _send_once(
                [f"survey-chaser:wave-{wave.pk}:day-{day}" for day in sorted(due)],
                "survey_chaser",
                messages,
                authority_code=wave.programme.authority.la_code,
                detail={"wave": wave.pk, "days": sorted(due)},
            ),
        )


def _chaser_by_email(respondent: Respondent, wave: Wave, words: dict[str, str]) -> EmailMessage:
    """The chaser to a person invited by e-mail: their own link, to the address they were
    invited at."""
    link = _site_url() + reverse(
        "surveys:respond", kwargs={"token": respondent.token, "wave": wave.wave}
    )
    school = respondent.school.name
    return EmailMessage(
        CHASER_SUBJECT.format(**words, school=school),
        CHASER_BY_EMAIL_BODY.format(
            **(words | {"link": link}), school=school, authority=wave.programme.authority.name
        ),
        settings.DEFAULT_FROM_EMAIL,
        [respondent.email],
    )


def _today(today: str | None) -> dt.date:
    return dt.date.fromisoformat(today) if today else timezone.localdate()


@task()
@retrying
def reminders_daily(today: str | None = None) -> dict[str, int]:
    """The day's reminders: before sessions, records to write, survey chasers (`today`: an
    ISO date, else today). How many of each kind were sent."""
    day, choices, sent = _today(today), ChoiceCache(), Sent()
    _site_url()
    session_reminders_send(today=day, choices=choices, sent=sent)
    record_reminders_send(today=day, choices=choices, sent=sent)
    chasers_send(today=day, choices=choices, sent=sent)
    return sent.as_dict()


@task()
@retrying
def reminders_weekly(today: str | None = None) -> dict[str, int]:
    """The week's agendas (SSWs) and take-up digests (LA leads), once a week each."""
    day, choices, sent = _today(today), ChoiceCache(), Sent()
    _site_url()
    agendas_send(today=day, choices=choices, sent=sent)
    digests_send(today=day, choices=choices, sent=sent)
    return sent.as_dict()


@task()
@retrying
def session_invitation_send(session_pk: int) -> int:
    """E-mail the school's DSLs who want them an invitation to a session just planned (an .ics
    their calendar adds, which later notices of a move or cancellation update); each once.
    Nothing for a session since moved, cancelled, removed or passed. How many were sent."""
    session = _sessions().filter(pk=session_pk, status="").first()
    if session is None or session.scheduled_for <= timezone.now():
        return 0
    _site_url()
    words, choices, count = _session_words(session), ChoiceCache(), 0
    for user in school_dsls(session.enrolment.school):
        if not choices(user)["session_invitation_on"]:
            continue
        message = _message(
            user,
            INVITATION_SUBJECT.format(**words),
            INVITATION_BODY.format(**words),
            ics=_ics(session, user=user),
        )
        count += _send_once(
            f"session-invitation:{session.pk}:{user.pk}",
            "session_invitation",
            [message],
            **_where(session),
            detail={"session": session.pk, "user": user.pk},
        )
    return count


def session_planned(session: SupervisionSession) -> None:
    """Enqueue the DSLs' invitation to a session just planned once its transaction commits."""
    transaction.on_commit(lambda: session_invitation_send.enqueue(session.pk))


def session_changed(session: SupervisionSession) -> None:
    """Enqueue the notice of a moved, cancelled or removed session once its transaction
    commits."""
    transaction.on_commit(lambda: session_notice_send.enqueue(session.pk))
