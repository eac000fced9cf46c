"""Programme services: programmes, enrolment from the allocation file, caseloads, sessions,
community-of-practice meetings, take-up and the delivery export."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import call_command
from django.utils import timezone

from factories.clock import Clock
from threshold.model import ContractError, check_directory, read_table
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.accounts.services import membership_grant, user_create
from threshold.web.audit.models import AuditEvent
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.programme import selectors, services
from threshold.web.programme.models import BlockedDate, Enrolment, Programme
from threshold.web.programme.services import ProgrammeError
from threshold.web.supervision import services as supervision_services

ACTOR = "test"
PASSWORD = "correct horse battery staple"
START = dt.date(2024, 9, 2)  # a Monday
HEADER = "urn,block,arm,random_number,order,withdrawn_on\n"


def allocations(tmp_path: Path, text: str) -> pd.DataFrame:
    (tmp_path / "allocations.csv").write_text(HEADER + text, encoding="utf-8")
    return read_table(tmp_path, "allocations")


def at(day: dt.date, hour: int = 14) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The week before the programme starts: sessions are planned ahead, then held."""
    return Clock(monkeypatch, at(START - dt.timedelta(weeks=1), 9))


@pytest.fixture
def programme(places: dict[str, object]) -> Programme:
    School.objects.create(
        urn=990002, name="St Bede's", authority=places["home_la"], phase="secondary"
    )
    return services.programme_create(
        authority=places["home_la"],
        school_year="2024/25",
        starts_on=START,
        ends_on=dt.date(2025, 7, 18),
        by=ACTOR,
    )


@pytest.fixture
def ssw(make_user: Callable[..., User]) -> User:
    return make_user(RoleName.SSW)


@pytest.fixture
def enrolment(programme: Programme, ssw: User, tmp_path: Path) -> Enrolment:
    services.enrolments_import(
        programme=programme,
        allocations=allocations(tmp_path, "990001,990-high,treatment,0.1,1,\n"),
        by=ACTOR,
    )
    enrolment = programme.enrolments.get()
    return services.enrolment_update(
        enrolment=enrolment,
        ssw=ssw,
        mou_status=Enrolment.Agreement.SIGNED,
        supervision_agreement_status=Enrolment.Agreement.SENT,
        by=ACTOR,
    )


def plan(enrolment: Enrolment, day: dt.date, **extra: object) -> object:
    return services.session_plan(
        enrolment=enrolment,
        scheduled_for=at(day),
        format="group",
        mode="face_to_face",
        by=ACTOR,
        **extra,
    )


def test_programme_create_is_audited_and_one_per_year(
    programme: Programme, places: dict[str, object]
) -> None:
    event = AuditEvent.objects.get(object_type="programme.programme", action="create")
    assert event.authority_code == "990"
    with pytest.raises(ProgrammeError, match="already has a programme for 2024/25"):
        services.programme_create(
            authority=places["home_la"],
            school_year="2024/25",
            starts_on=START,
            ends_on=dt.date(2025, 7, 18),
            by=ACTOR,
        )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"school_year": "2024/26"}, services.MSG_SCHOOL_YEAR),
        ({"ends_on": START}, services.MSG_DATES_ORDER),
        ({"interval_min_weeks": 7}, services.MSG_INTERVAL),
    ],
)
def test_programme_update_checks_its_settings(
    programme: Programme, values: dict[str, object], message: str
) -> None:
    with pytest.raises(ProgrammeError) as raised:
        services.programme_update(programme=programme, by=ACTOR, **values)
    assert str(raised.value) == message


def test_programme_update_records_what_changed(programme: Programme) -> None:
    services.programme_update(programme=programme, by=ACTOR, csa_focus=True, model="individual")
    programme.refresh_from_db()
    assert programme.csa_focus
    event = AuditEvent.objects.filter(action="update").first()
    assert event.detail == {"csa_focus": "True", "model": "individual"}


def test_enrolments_import_is_all_or_nothing_and_idempotent(
    programme: Programme, tmp_path: Path
) -> None:
    rows = "990001,990-high,treatment,0.1,1,\n990002,990-high,control,0.4,2,\n"
    first = services.enrolments_import(
        programme=programme, allocations=allocations(tmp_path, rows), by=ACTOR
    )
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    events = AuditEvent.objects.count()
    again = services.enrolments_import(
        programme=programme, allocations=allocations(tmp_path, rows), by=ACTOR
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert AuditEvent.objects.count() == events
    arms = dict(programme.enrolments.values_list("school__urn", "arm"))
    assert arms == {990001: "treatment", 990002: "control"}


def test_a_withdrawal_date_updates_but_an_arm_never_changes(
    programme: Programme, tmp_path: Path
) -> None:
    services.enrolments_import(
        programme=programme,
        allocations=allocations(tmp_path, "990001,990-high,treatment,0.1,1,\n"),
        by=ACTOR,
    )
    withdrawn = services.enrolments_import(
        programme=programme,
        allocations=allocations(tmp_path, "990001,990-high,treatment,0.1,1,2024-11-01\n"),
        by=ACTOR,
    )
    assert withdrawn.updated == 1
    assert programme.enrolments.get().withdrawn_on == dt.date(2024, 11, 1)
    with pytest.raises(ProgrammeError) as raised:
        services.enrolments_import(
            programme=programme,
            allocations=allocations(tmp_path, "990001,990-high,control,0.1,1,\n"),
            by=ACTOR,
        )
    assert str(raised.value) == services.MSG_ALLOCATION_CHANGED.format(
        row=1, field="arm", urn=990001, old="treatment", new="control"
    )


def test_schools_must_exist_and_be_in_the_programmes_la(
    programme: Programme, tmp_path: Path
) -> None:
    unknown = "990001,990-high,treatment,0.1,1,\n990999,990-high,control,0.4,2,\n"
    with pytest.raises(ProgrammeError) as raised:
        services.enrolments_import(
            programme=programme, allocations=allocations(tmp_path, unknown), by=ACTOR
        )
    assert str(raised.value) == services.MSG_UNKNOWN_SCHOOL.format(row=2, urn=990999)
    assert not programme.enrolments.exists()  # all or nothing
    elsewhere = "991001,991-high,treatment,0.1,1,\n"
    with pytest.raises(ProgrammeError, match=r"row 1 \[urn\]: school 991001 is in Eastvale"):
        services.enrolments_import(
            programme=programme, allocations=allocations(tmp_path, elsewhere), by=ACTOR
        )


def test_a_file_breaking_the_contract_names_row_and_field(tmp_path: Path) -> None:
    with pytest.raises(ContractError) as raised:
        allocations(tmp_path, "990001,990-high,treated,0.1,1,\n12,990-high,control,2,2,\n")
    where = {(v.row, v.field) for v in raised.value.violations}
    assert {(1, "arm"), (2, "urn"), (2, "random_number")} <= where


def test_the_ssw_must_hold_the_role_in_the_schools_la(
    enrolment: Enrolment, places: dict[str, object]
) -> None:
    elsewhere = user_create(username="ssw.eastvale", password=PASSWORD, by=ACTOR)
    membership_grant(user=elsewhere, role=RoleName.SSW, authority=places["other_la"], by=ACTOR)
    with pytest.raises(ProgrammeError) as raised:
        services.enrolment_update(
            enrolment=enrolment,
            ssw=elsewhere,
            mou_status="signed",
            supervision_agreement_status="signed",
            by=ACTOR,
        )
    assert str(raised.value) == services.MSG_NOT_SSW.format(
        user="ssw.eastvale", authority="Northmoor"
    )
    # The same SSW covering a second LA may take the school on.
    membership_grant(user=elsewhere, role=RoleName.SSW, authority=places["home_la"], by=ACTOR)
    services.enrolment_update(
        enrolment=enrolment,
        ssw=elsewhere,
        mou_status="signed",
        supervision_agreement_status="signed",
        by=ACTOR,
    )
    assert Enrolment.objects.get(pk=enrolment.pk).ssw == elsewhere


def test_plan_reschedule_cancel_and_hold(enrolment: Enrolment, ssw: User, clock: Clock) -> None:
    first = plan(enrolment, START + dt.timedelta(weeks=4))
    assert (first.number, first.planned_minutes, first.ssw) == (1, 120, ssw)
    moved = services.session_reschedule(
        session=first,
        scheduled_for=at(START + dt.timedelta(weeks=5)),
        changed_by="school",
        reason="Mock exams",
        by=ssw,
    )
    first.refresh_from_db()
    assert (first.status, first.changed_by, first.rescheduled_to) == (
        "rescheduled",
        "school",
        moved,
    )
    assert moved.number == 1
    clock.set(START + dt.timedelta(weeks=5))
    services.session_record_held(session=moved, attendees=4, duration_minutes=110, by=ssw)
    second = plan(enrolment, START + dt.timedelta(weeks=10))
    assert second.number == 2
    services.session_cancel(session=second, changed_by="ssw", reason="Illness", by=ssw)
    with pytest.raises(ProgrammeError, match="is cancelled already"):
        services.session_record_held(session=second, attendees=3, duration_minutes=90, by=ssw)
    assert plan(enrolment, START + dt.timedelta(weeks=11)).number == 2
    assert AuditEvent.objects.filter(object_type="programme.supervisionsession").count() == 7


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"planned_minutes": 150}, "a session lasts at most 120 minutes in this programme"),
        ({"day": dt.date(2024, 8, 30)}, "choose a date between 2 September 2024 and 18 July 2025"),
    ],
)
def test_plan_keeps_to_the_programme(
    enrolment: Enrolment, change: dict[str, object], message: str
) -> None:
    day = change.pop("day", START + dt.timedelta(weeks=4))
    with pytest.raises(ProgrammeError, match=message):
        plan(enrolment, day, **change)


def test_control_schools_and_schools_without_an_ssw_get_no_sessions(
    programme: Programme, tmp_path: Path
) -> None:
    services.enrolments_import(
        programme=programme,
        allocations=allocations(
            tmp_path, "990001,990-high,treatment,0.1,1,\n990002,990-high,control,0.4,2,\n"
        ),
        by=ACTOR,
    )
    treated, control = programme.enrolments.order_by("school__urn")
    with pytest.raises(ProgrammeError, match="has no supervising social worker"):
        plan(treated, START + dt.timedelta(weeks=4))
    with pytest.raises(ProgrammeError, match="is in the control arm"):
        plan(control, START + dt.timedelta(weeks=4))


def test_reasons_are_required(enrolment: Enrolment) -> None:
    session = plan(enrolment, START + dt.timedelta(weeks=4))
    with pytest.raises(ProgrammeError, match="say why the session was cancelled"):
        services.session_cancel(session=session, changed_by="school", reason=" ", by=ACTOR)


def test_suggestions_use_the_calendar_and_the_last_session(
    enrolment: Enrolment, clock: Clock
) -> None:
    inset = START + dt.timedelta(weeks=5, days=2)
    services.calendar_date_add(enrolment=enrolment, date=inset, kind="inset", by=ACTOR)
    blocked = START + dt.timedelta(weeks=4)
    services.calendar_date_add(enrolment=enrolment, date=blocked, kind="blocked", by=ACTOR)
    with pytest.raises(ProgrammeError, match="already has"):
        services.calendar_date_add(enrolment=enrolment, date=blocked, kind="inset", by=ACTOR)
    slots = selectors.slot_suggestions(enrolment, today=START)
    assert slots[0] == inset
    assert blocked not in slots
    assert all(
        START + dt.timedelta(weeks=4) <= day <= START + dt.timedelta(weeks=6) for day in slots
    )
    held = plan(enrolment, inset)
    clock.set(inset)
    services.session_record_held(session=held, attendees=3, duration_minutes=100, by=ACTOR)
    after = selectors.slot_suggestions(enrolment, today=START)
    assert after[0] == inset + dt.timedelta(weeks=4)
    assert BlockedDate.objects.count() == 2


def test_take_up_no_session_yet_overdue_and_unplanned(
    enrolment: Enrolment, ssw: User, make_user: Callable[..., User], clock: Clock
) -> None:
    lead = make_user(RoleName.LA_LEAD)
    today = START + dt.timedelta(weeks=7)
    clock.set(today)
    first = selectors.take_up(user=lead, today=today)
    school = first.overall.schools[0]
    assert school.due_by == START + dt.timedelta(weeks=6)
    assert (school.held, school.overdue, school.unplanned) == (0, True, False)
    assert len(first.overall.no_session_yet) == 1
    held = plan(enrolment, today)
    services.session_record_held(session=held, attendees=4, duration_minutes=120, by=ssw)
    after = selectors.take_up(user=ssw, today=today).overall.schools[0]
    assert (after.held, after.overdue, after.unplanned) == (1, False, True)
    plan(enrolment, today + dt.timedelta(weeks=5))
    planned = selectors.take_up(user=ssw, today=today)
    assert not planned.overall.unplanned
    assert [g.name for g in planned.by_ssw] == ["ssw"]
    assert (planned.by_authority[0].held, planned.by_authority[0].target) == (1, 8)
    assert planned.by_authority[0].planned_ahead == 1


def test_take_up_shows_an_ssw_only_their_caseload(
    enrolment: Enrolment, make_user: Callable[..., User]
) -> None:
    other = make_user(RoleName.SSW, username="second.ssw")
    today = START + dt.timedelta(weeks=1)
    assert selectors.take_up(user=other, today=today).overall.schools == []
    assert selectors.take_up(user=make_user(RoleName.DSL_LEAD), today=today).overall.schools == []


def test_community_meeting_attendees_cover_the_la(
    ssw: User, places: dict[str, LocalAuthority]
) -> None:
    meeting = services.community_meeting_record(
        authority=places["home_la"],
        held_on=dt.date(2024, 12, 3),
        attendees=[ssw],
        topics="Using the threshold document",
        by=ssw,
    )
    assert list(meeting.attendees.all()) == [ssw]
    with pytest.raises(ProgrammeError, match="does not cover Eastvale"):
        services.community_meeting_record(
            authority=places["other_la"],
            held_on=dt.date(2024, 12, 3),
            attendees=[ssw],
            topics="x",
            by=ssw,
        )


def test_delivery_export_passes_the_contract(
    enrolment: Enrolment, ssw: User, tmp_path: Path, clock: Clock
) -> None:
    """With supervision's tables too, so their `ssw_id`s must be the `ssws` table's."""
    first = plan(enrolment, START + dt.timedelta(weeks=4))
    moved = services.session_reschedule(
        session=first,
        scheduled_for=at(START + dt.timedelta(weeks=5)),
        changed_by="ssw",
        reason="Training",
        by=ACTOR,
    )
    clock.set(START + dt.timedelta(weeks=5))
    services.session_record_held(session=moved, attendees=3, duration_minutes=95, by=ACTOR)
    second = plan(enrolment, START + dt.timedelta(weeks=10))
    services.session_reschedule(
        session=second,
        scheduled_for=at(START + dt.timedelta(weeks=11)),
        changed_by="school",
        reason="Exams",
        by=ACTOR,
    )
    supervision_services.ad_hoc_support_create(
        enrolment=enrolment,
        support_date=START + dt.timedelta(weeks=6),
        channel="phone",
        initiated_by="school",
        topic="threshold_decision",
        duration_minutes=20,
        by=ssw,
    )
    supervision_services.delivery_rating_save(
        enrolment=enrolment, term="autumn", need=3, engagement=2, by=ssw
    )
    out = tmp_path / "export"
    call_command("delivery_export", str(out))
    assert check_directory(out) == []
    ssw_ids = read_table(out, "ssws")["ssw_id"].tolist()
    for table in ("sessions", "ad_hoc_support", "delivery_ratings"):
        assert set(read_table(out, table)["ssw_id"]) == set(ssw_ids), table
    sessions = read_table(out, "sessions").set_index("session_id")
    assert list(sessions["status"]) == ["rescheduled", "held", "rescheduled"]
    assert sessions.loc[str(first.pk), "rescheduled_to"] == str(moved.pk)
    assert pd.isna(sessions.loc[str(second.pk), "rescheduled_to"])  # its replacement is planned
    assert read_table(out, "allocations")["arm"].tolist() == ["treatment"]
    assert read_table(out, "ssws")["la_code"].tolist() == ["990"]
    assert AuditEvent.objects.filter(actor="command:delivery_export").count() == 1


def test_allocations_import_command(programme: Programme, tmp_path: Path) -> None:
    allocations(tmp_path, "990001,990-high,treatment,0.1,1,\n")
    call_command("allocations_import", "990", "2024/25", str(tmp_path))
    assert programme.enrolments.count() == 1
