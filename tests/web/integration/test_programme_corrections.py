"""Records that stay right: no "held" before a session starts, late entries with a reason that
never count as planned in time, weekend dates confirmed, sessions numbered by date, and
corrections (undo "held", remove a session entered in error, change who cancelled) by the
right people, audited, through the services and the pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from factories.clock import Clock
from factories.forms import date_fields
from factories.sessions import enrol_with_ssw
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.audit.models import AuditEvent
from threshold.web.organisations.models import School
from threshold.web.programme import calendars, selectors, services
from threshold.web.programme.exports import delivery_tables
from threshold.web.programme.models import Enrolment, SupervisionSession
from threshold.web.programme.services import LateReasonNeeded, ProgrammeError, WeekendDate
from threshold.web.supervision import services as supervision_services
from threshold.web.supervision.services import IdentifyingDetailsFound, SupervisionError

ACTOR = "test"
START = dt.date(2030, 9, 2)  # a Monday
SATURDAY = dt.date(2030, 10, 5)
IDENTIFYING = "UPN A123 4567 8901 B is off sick"


def at(day: dt.date, hour: int = 14) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def week(n: int, days: int = 0) -> dt.date:
    return START + dt.timedelta(weeks=n, days=days)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Monday of the programme's first week, 9:00."""
    return Clock(monkeypatch, at(START, 9))


@pytest.fixture
def ssw(make_user: Callable[..., User]) -> User:
    return make_user(RoleName.SSW)


@pytest.fixture
def lead(make_user: Callable[..., User]) -> User:
    return make_user(RoleName.LA_LEAD)


@pytest.fixture
def enrolment(places: dict[str, object], ssw: User, clock: Clock) -> Enrolment:
    programme = services.programme_create(
        authority=places["home_la"],
        school_year="2030/31",
        starts_on=START,
        ends_on=dt.date(2031, 7, 18),
        by=ACTOR,
    )
    return enrol_with_ssw(programme, places["home_school"], ssw)


def plan(enrolment: Enrolment, day: dt.date, hour: int = 14, **extra: object) -> object:
    return services.session_plan(
        enrolment=enrolment,
        scheduled_for=at(day, hour),
        format="group",
        mode="face_to_face",
        by=ACTOR,
        **extra,
    )


def hold(session: SupervisionSession, by: object = ACTOR) -> SupervisionSession:
    return services.session_record_held(session=session, attendees=4, duration_minutes=100, by=by)


def events(session: SupervisionSession) -> list[dict[str, object]]:
    return [
        e.detail
        for e in AuditEvent.objects.filter(
            object_type="programme.supervisionsession", object_id=str(session.pk)
        ).order_by("pk")
    ]


def numbers(enrolment: Enrolment) -> list[tuple[dt.date, str, int]]:
    return [
        (selectors.session_day(s), s.status, s.number)
        for s in selectors.enrolment_sessions(enrolment)
    ]


# 1. No "held" before the session starts.


def test_a_session_in_the_future_cannot_be_marked_held(enrolment: Enrolment, clock: Clock) -> None:
    session = plan(enrolment, week(4))
    with pytest.raises(ProgrammeError, match="is on 30 September 2030 at 14:00: it cannot be"):
        hold(session)
    session.refresh_from_db()
    assert session.status == ""
    clock.set(week(4), hour=13)  # the same day, before it starts
    with pytest.raises(ProgrammeError, match="before it starts"):
        hold(session)
    clock.set(week(4), hour=16)
    hold(session)
    session.refresh_from_db()
    assert (session.status, session.held_recorded_at) == ("held", clock.now)


def test_the_schedule_offers_held_only_once_a_session_has_started(
    client: Client, enrolment: Enrolment, ssw: User, clock: Clock, sign_in: Callable[..., Client]
) -> None:
    session = plan(enrolment, week(4))
    sign_in(client, ssw)
    schedule = reverse("programme:school_schedule", kwargs={"urn": 990001})
    held = reverse("programme:session_held", kwargs={"pk": session.pk})
    assert held not in client.get(schedule).content.decode()
    page = client.post(held, {"attendees": "4", "duration_minutes": "100"}).content.decode()
    assert "it cannot be recorded as held before it starts" in page
    clock.set(week(4))
    sign_in(client, ssw)  # a new day's sign-in: moving the clock ended the last
    assert held in client.get(schedule).content.decode()


# 2. A date that has passed needs a reason, and never counts as planned in time.


def test_planning_a_past_date_needs_a_reason_which_is_recorded(
    enrolment: Enrolment, clock: Clock
) -> None:
    clock.set(week(5))
    with pytest.raises(LateReasonNeeded, match="30 September 2030 has passed: say why"):
        plan(enrolment, week(4))
    with pytest.raises(LateReasonNeeded):
        plan(enrolment, week(4), late_reason="   ")
    with pytest.raises(IdentifyingDetailsFound):
        plan(enrolment, week(4), late_reason=IDENTIFYING)
    assert not SupervisionSession.everything.exists()
    session = plan(enrolment, week(4), late_reason="Arranged by phone, not entered then")
    assert (session.entered_late, session.late_reason) == (
        True,
        "Arranged by phone, not entered then",
    )
    assert events(session)[0]["late_reason"] == "Arranged by phone, not entered then"
    on_time = plan(enrolment, week(5))  # today is not past
    assert not on_time.entered_late


def test_a_late_entry_never_clears_overdue(enrolment: Enrolment, ssw: User, clock: Clock) -> None:
    today = clock.set(week(7)).date()  # due by week 6: overdue
    before = selectors.school_take_up(enrolment, today=today)
    assert (before.due_by, before.overdue) == (week(6), True)
    plan(enrolment, week(5), late_reason="Forgot to enter it")
    assert selectors.school_take_up(enrolment, today=today).overdue
    assert selectors.take_up(user=ssw, today=today).overall.overdue  # the LA's lists too


def test_a_plan_made_in_time_does_clear_overdue(enrolment: Enrolment, clock: Clock) -> None:
    """The control for the test above: the same session, entered before its date."""
    planned = plan(enrolment, week(5))
    today = clock.set(week(7)).date()
    assert not selectors.school_take_up(enrolment, today=today).overdue
    assert not planned.entered_late


def test_the_plan_page_asks_why_a_past_date_is_entered_late(
    client: Client, enrolment: Enrolment, ssw: User, clock: Clock, sign_in: Callable[..., Client]
) -> None:
    clock.set(week(5))
    sign_in(client, ssw)
    url = reverse("programme:session_plan", kwargs={"urn": 990001})
    form = {
        **date_fields("date", week(4)),
        "time": "10:00",
        "format": "group",
        "mode": "online",
        "planned_minutes": "90",
    }
    assert "Why it is entered late" not in client.get(url).content.decode()
    page = client.post(url, form).content.decode()
    assert "Why it is entered late" in page
    assert "30 September 2030 has passed: say why the session is entered late" in page
    assert not SupervisionSession.objects.exists()
    response = client.post(url, {**form, "late_reason": "Planned by phone"})
    assert response.status_code == 302
    assert SupervisionSession.objects.get().late_reason == "Planned by phone"
    schedule = client.get(reverse("programme:school_schedule", kwargs={"urn": 990001}))
    assert "Entered late" in schedule.content.decode()


# 3. Weekends are confirmed.


def test_a_weekend_date_needs_confirming_when_planning_or_moving(
    enrolment: Enrolment, clock: Clock
) -> None:
    with pytest.raises(WeekendDate, match="5 October 2030 is a Saturday: confirm"):
        plan(enrolment, SATURDAY)
    assert not SupervisionSession.objects.exists()
    session = plan(enrolment, SATURDAY, weekend_confirmed=True)
    weekday = plan(enrolment, week(8))
    move = {"changed_by": "school", "reason": "Exams", "by": ACTOR}
    sunday = SATURDAY + dt.timedelta(weeks=1, days=1)
    with pytest.raises(WeekendDate, match="is a Sunday"):
        services.session_reschedule(session=weekday, scheduled_for=at(sunday), **move)
    weekday.refresh_from_db()
    assert weekday.status == ""
    services.session_reschedule(
        session=weekday, scheduled_for=at(sunday), weekend_confirmed=True, **move
    )
    assert session.scheduled_for.weekday() == 5


def test_the_plan_page_asks_to_confirm_a_weekend(
    client: Client, enrolment: Enrolment, ssw: User, sign_in: Callable[..., Client]
) -> None:
    sign_in(client, ssw)
    url = reverse("programme:session_plan", kwargs={"urn": 990001})
    form = {
        **date_fields("date", SATURDAY),
        "time": "10:00",
        "format": "group",
        "mode": "online",
        "planned_minutes": "90",
    }
    page = client.post(url, form).content.decode()
    assert "Yes, the session is on a weekend" in page
    assert "5 October 2030 is a Saturday" in page
    assert not SupervisionSession.objects.exists()
    assert client.post(url, {**form, "weekend_confirmed": "on"}).status_code == 302
    assert SupervisionSession.objects.count() == 1


# 4. Numbers follow the dates.


def test_numbers_follow_the_dates_not_the_order_of_entry(
    enrolment: Enrolment, clock: Clock
) -> None:
    later = plan(enrolment, week(10))
    cancelled = plan(enrolment, week(12))
    services.session_cancel(session=cancelled, changed_by="school", reason="Exams", by=ACTOR)
    earlier = plan(enrolment, week(5))
    assert numbers(enrolment) == [(week(5), "", 1), (week(10), "", 2), (week(12), "cancelled", 2)]
    assert events(earlier)[0]["renumbered"] == {str(later.pk): 2}
    assert events(earlier)[0]["number"] == 1
    clock.set(week(5))
    hold(earlier)
    middle = plan(enrolment, week(7))
    assert middle.number == 2
    later.refresh_from_db()
    assert later.number == 3
    moved = services.session_reschedule(
        session=later,
        scheduled_for=at(week(6)),
        changed_by="ssw",
        reason="Training",
        by=ACTOR,
    )
    middle.refresh_from_db()
    assert (moved.number, middle.number) == (2, 3)


# 5. Corrections.


def test_the_ssw_undoes_held_within_14_days_with_a_reason(
    enrolment: Enrolment, ssw: User, clock: Clock
) -> None:
    session = plan(enrolment, week(4))
    clock.set(week(4))
    hold(session, by=ssw)
    clock.advance(dt.timedelta(days=13))
    with pytest.raises(ProgrammeError, match="say why the session was not held"):
        services.session_undo_held(session=session, reason=" ", by=ssw)
    with pytest.raises(IdentifyingDetailsFound):
        services.session_undo_held(session=session, reason=IDENTIFYING, by=ssw)
    services.session_undo_held(session=session, reason="Recorded against the wrong school", by=ssw)
    session.refresh_from_db()
    assert (session.status, session.attendees, session.duration_minutes) == ("", None, None)
    undo = events(session)[-1]
    assert (undo["undone"], undo["reason"]) == ("held", "Recorded against the wrong school")
    assert undo["was"]["attendees"] == 4
    with pytest.raises(ProgrammeError, match="is planned: only a held session can be undone"):
        services.session_undo_held(session=session, reason="Again", by=ssw)


def test_after_14_days_only_the_la_lead_undoes_held(
    enrolment: Enrolment, ssw: User, lead: User, clock: Clock, make_user: Callable[..., User]
) -> None:
    session = plan(enrolment, week(4))
    clock.set(week(4))
    hold(session, by=ssw)
    clock.advance(dt.timedelta(days=15))
    with pytest.raises(ProgrammeError, match="more than 14 days ago: only the LA lead"):
        services.session_undo_held(session=session, reason="Wrong session", by=ssw)
    other = make_user(RoleName.SSW, username="other.ssw")
    with pytest.raises(PermissionDenied):
        services.session_undo_held(session=session, reason="Wrong session", by=other)
    services.session_undo_held(session=session, reason="Wrong session", by=lead)
    session.refresh_from_db()
    assert session.status == ""
    assert AuditEvent.objects.filter(actor=lead.get_username()).exists()


def test_held_with_a_record_of_supervision_cannot_be_undone(
    enrolment: Enrolment, ssw: User, lead: User, clock: Clock
) -> None:
    session = plan(enrolment, week(4))
    clock.set(week(4))
    hold(session, by=ssw)
    supervision_services.supervision_record_save(
        session=session,
        wellbeing="Fine",
        presentation="A case",
        group_reflection="Reflected",
        shared_discussion="Discussed",
        themes=[],
        resources="",
        actions="",
        no_open_case_confirmed=True,
        by=ssw,
    )
    for who in (ssw, lead):
        with pytest.raises(ProgrammeError, match="has a record of supervision"):
            services.session_undo_held(session=session, reason="Wrong", by=who)
        with pytest.raises(ProgrammeError, match="has a record of supervision"):
            services.session_remove(session=session, reason="Wrong", by=who)


def test_a_removed_session_is_kept_marked_and_left_out_everywhere(
    enrolment: Enrolment, ssw: User, lead: User, clock: Clock
) -> None:
    first = plan(enrolment, week(4))
    twice = plan(enrolment, week(5))
    third = plan(enrolment, week(9))
    clock.set(week(9))
    for session in (first, twice, third):
        hold(session)
    today = week(9)
    assert selectors.school_take_up(enrolment, today=today).held == 3
    with pytest.raises(ProgrammeError, match="say why the session is removed"):
        services.session_remove(session=twice, reason="", by=ssw)
    with pytest.raises(IdentifyingDetailsFound):
        services.session_remove(session=twice, reason=IDENTIFYING, by=ssw)
    services.session_remove(session=twice, reason="Entered twice", by=ssw)
    kept = SupervisionSession.everything.get(pk=twice.pk)
    assert (kept.removed_by, kept.removal_reason, kept.removed_at) == (
        ssw,
        "Entered twice",
        clock.now,
    )
    assert not SupervisionSession.objects.filter(pk=twice.pk).exists()
    assert twice.pk not in [s.pk for s in selectors.enrolment_sessions(enrolment)]
    assert selectors.school_take_up(enrolment, today=today).held == 2
    assert selectors.take_up(user=lead, today=today).overall.held == 2
    exported = delivery_tables()["sessions"]
    assert str(twice.pk) not in set(exported["session_id"].astype(str))
    assert len(exported) == 2
    feed = calendars.feed_sessions(ssw, now=clock.now)
    assert twice.pk not in [s.pk for s in feed]
    assert first.pk in [s.pk for s in feed]
    third.refresh_from_db()
    assert third.number == 2  # renumbered by date
    removal = events(twice)[-1]
    assert (removal["removed"], removal["reason"]) == (True, "Entered twice")
    assert removal["renumbered"] == {str(third.pk): 2}


def test_the_new_date_of_a_moved_session_is_cancelled_not_removed(
    enrolment: Enrolment, ssw: User
) -> None:
    session = plan(enrolment, week(4))
    moved = services.session_reschedule(
        session=session, scheduled_for=at(week(5)), changed_by="ssw", reason="Ill", by=ssw
    )
    with pytest.raises(ProgrammeError, match="is the new date of a moved session"):
        services.session_remove(session=moved, reason="Wrong", by=ssw)


def test_who_cancelled_a_session_can_be_changed_with_a_reason(
    enrolment: Enrolment, ssw: User, lead: User, make_user: Callable[..., User]
) -> None:
    session = plan(enrolment, week(4))
    with pytest.raises(ProgrammeError, match="is planned: only who cancelled"):
        services.session_canceller_change(session=session, changed_by="ssw", reason="Wrong", by=ssw)
    services.session_cancel(session=session, changed_by="school", reason="Exams", by=ssw)
    with pytest.raises(ProgrammeError, match="already recorded as cancelled by the school"):
        services.session_canceller_change(
            session=session, changed_by="school", reason="Wrong", by=ssw
        )
    with pytest.raises(ProgrammeError, match="say why the record of who cancelled"):
        services.session_canceller_change(session=session, changed_by="ssw", reason="", by=ssw)
    with pytest.raises(IdentifyingDetailsFound):
        services.session_canceller_change(
            session=session, changed_by="ssw", reason=IDENTIFYING, by=ssw
        )
    with pytest.raises(PermissionDenied):
        services.session_canceller_change(
            session=session,
            changed_by="ssw",
            reason="I was ill",
            by=make_user(RoleName.SSW, username="other.ssw"),
        )
    services.session_canceller_change(
        session=session, changed_by="ssw", reason="I was ill, not the school", by=lead
    )
    session.refresh_from_db()
    assert (session.changed_by, session.change_reason) == ("ssw", "Exams")
    change = events(session)[-1]
    assert change == {
        "changed_by": "ssw",
        "was": "school",
        "reason": "I was ill, not the school",
        "confirmed_not_identifying": [],
    }


def test_the_correction_pages(
    client: Client,
    enrolment: Enrolment,
    ssw: User,
    lead: User,
    clock: Clock,
    sign_in: Callable[..., Client],
) -> None:
    held = plan(enrolment, week(4))
    cancelled = plan(enrolment, week(5))
    services.session_cancel(session=cancelled, changed_by="school", reason="Exams", by=ssw)
    clock.set(week(4))
    hold(held, by=ssw)
    schedule = reverse("programme:school_schedule", kwargs={"urn": 990001})
    undo = reverse("programme:session_undo_held", kwargs={"pk": held.pk})
    remove = reverse("programme:session_remove", kwargs={"pk": held.pk})
    canceller = reverse("programme:session_canceller", kwargs={"pk": cancelled.pk})
    sign_in(client, ssw)
    page = client.get(schedule).content.decode()
    assert undo in page
    assert remove in page
    assert canceller in page
    clock.advance(dt.timedelta(days=15))
    sign_in(client, ssw)  # a new day's sign-in: moving the clock ended the last
    assert undo not in client.get(schedule).content.decode()  # too late for the SSW
    refused = client.post(undo, {"change_reason": "Wrong school"}).content.decode()
    assert "only the LA lead can undo it now" in refused
    assert (
        "Say why the session was not held"
        in client.post(undo, {"change_reason": ""}).content.decode()
    )
    sign_in(client, lead)
    assert undo in client.get(schedule).content.decode()
    assert client.post(undo, {"change_reason": "Wrong school"}).status_code == 302
    held.refresh_from_db()
    assert held.status == ""
    response = client.post(canceller, {"changed_by": "ssw", "change_reason": "SSW was ill"})
    assert response.status_code == 302
    response = client.post(remove, {"removal_reason": "Entered twice"}, follow=True)
    assert "removed" in response.content.decode()
    assert SupervisionSession.everything.get(pk=held.pk).removed_by == lead
    assert client.get(remove).status_code == 404  # gone from every page


def test_others_cannot_correct(
    client: Client,
    enrolment: Enrolment,
    make_user: Callable[..., User],
    places: dict[str, object],
    sign_in: Callable[..., Client],
) -> None:
    session = plan(enrolment, week(4))
    other_school = School.objects.create(
        urn=990009, name="Elsewhere", authority=places["home_la"], phase="primary"
    )
    assert other_school.pk
    sign_in(client, make_user(RoleName.SSW, username="other.ssw"))
    for name in ("session_undo_held", "session_remove", "session_canceller"):
        url = reverse(f"programme:{name}", kwargs={"pk": session.pk})
        assert client.get(url).status_code == 403
        assert client.post(url, {"removal_reason": "x", "change_reason": "x"}).status_code == 403
    sign_in(client, make_user(RoleName.DSL_LEAD))
    assert (
        client.get(reverse("programme:session_remove", kwargs={"pk": session.pk})).status_code
        == 403
    )
    assert SupervisionSession.objects.filter(pk=session.pk).exists()


# 6. A record of supervision only for a held session.


def test_a_record_is_refused_and_not_offered_for_a_session_not_held(
    client: Client, enrolment: Enrolment, ssw: User, clock: Clock, sign_in: Callable[..., Client]
) -> None:
    planned = plan(enrolment, week(4))
    held = plan(enrolment, week(5))
    clock.set(week(5))
    hold(held, by=ssw)
    texts = {
        "wellbeing": "Fine",
        "presentation": "A case",
        "group_reflection": "Reflected",
        "shared_discussion": "Discussed",
        "resources": "",
        "actions": "",
    }
    with pytest.raises(SupervisionError, match="session 1 was only planned: only a session"):
        supervision_services.supervision_record_save(
            session=planned, **texts, themes=[], no_open_case_confirmed=True, by=ssw
        )
    sign_in(client, ssw)
    page = client.get(reverse("supervision:session_list")).content.decode()
    assert reverse("supervision:record", args=[held.pk]) in page
    assert reverse("supervision:record", args=[planned.pk]) not in page
    form = client.get(reverse("supervision:record", args=[planned.pk])).content.decode()
    assert "This session is not recorded as held" in form
    posted = client.post(
        reverse("supervision:record", args=[planned.pk]),
        {**texts, "no_open_case_confirmed": "on"},
    ).content.decode()
    assert "only a session that took place has a record" in posted
