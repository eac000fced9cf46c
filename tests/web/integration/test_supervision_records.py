"""Supervision records: the two guards, audit events for reads and writes, who may see and write
what, the pages, and the contract export."""

from __future__ import annotations

import datetime as dt
import html
import io
from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from factories.forms import date_fields
from threshold.model import TABLES, check_frame
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.audit.models import AuditAction, AuditEvent
from threshold.web.organisations.models import School
from threshold.web.programme.exports import ssw_id
from threshold.web.programme.models import Enrolment, Programme, SupervisionSession
from threshold.web.supervision import selectors, services
from threshold.web.supervision.exports import contract_tables
from threshold.web.supervision.models import (
    AdHocSupport,
    DeliveryRating,
    DslWorksheet,
    FirstSessionSheet,
    SupervisionRecord,
    Term,
)

PHONE_TEXT = "The DSL may ring the parent on 0161 496 0000 if worried."
CLEAN_TEXT = "The team checked in; two members felt stretched before exams."
PHONE_KEY = "wellbeing|PHONE|0161 496 0000"


def make_session(school: School, ssw: User, *, number: int = 1, status: str = "held"):
    """A programme, enrolment and session for `school` (created directly, as the programme app
    would)."""
    programme, _ = Programme.objects.get_or_create(
        authority=school.authority,
        school_year="2024/25",
        defaults={"starts_on": dt.date(2024, 9, 2), "ends_on": dt.date(2025, 7, 18)},
    )
    enrolment, _ = Enrolment.objects.get_or_create(
        programme=programme, school=school, defaults={"arm": "treatment", "ssw": ssw}
    )
    return SupervisionSession.objects.create(
        enrolment=enrolment,
        ssw=ssw,
        number=number,
        scheduled_for=timezone.make_aware(dt.datetime(2024, 10, 1, 14, 0)),
        format="group",
        mode="face_to_face",
        status=status,
        attendees=4 if status == "held" else None,
    )


@pytest.fixture
def users(make_user: Callable[..., User]) -> dict[str, User]:
    return {role.value: make_user(role) for role in RoleName}


@pytest.fixture
def session(places: dict[str, object], users: dict[str, User]) -> SupervisionSession:
    return make_session(places["home_school"], users["ssw"])


def record_values(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "wellbeing": CLEAN_TEXT,
        "presentation": "A member described a worry about a pupil's changed behaviour.",
        "group_reflection": "The group wondered what else might be going on at home.",
        "shared_discussion": "The presenter valued thinking about early help first.",
        "themes": ["thresholds", "early_help"],
        "resources": "The LA's continuum of need.",
        "actions": "",
        "no_open_case_confirmed": True,
    }
    return values | overrides


def events(action: AuditAction, object_type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, object_type=object_type))


# The two guards


def test_a_record_needs_the_no_open_case_confirmation(session, users) -> None:
    with pytest.raises(services.SupervisionError, match="no case open to children's social"):
        services.supervision_record_save(
            session=session, **record_values(no_open_case_confirmed=False), by=users["ssw"]
        )
    assert not SupervisionRecord.objects.exists()
    assert not events(AuditAction.CREATE, "supervision.supervisionrecord")


def test_identifying_details_are_refused_until_removed_or_confirmed(session, users) -> None:
    with pytest.raises(services.IdentifyingDetailsFound) as found:
        services.supervision_record_save(
            session=session, **record_values(wellbeing=PHONE_TEXT), by=users["ssw"]
        )
    (finding,) = found.value.findings
    assert (finding.field, finding.finding.text, finding.key) == (
        "wellbeing",
        "0161 496 0000",
        PHONE_KEY,
    )
    assert "Wellbeing check-in contains a phone number" in str(found.value)
    assert not SupervisionRecord.objects.exists()

    # A confirmation of something else confirms nothing.
    with pytest.raises(services.IdentifyingDetailsFound):
        services.supervision_record_save(
            session=session,
            **record_values(wellbeing=PHONE_TEXT),
            confirmed=["wellbeing|PHONE|0161 496 0001"],
            by=users["ssw"],
        )

    record = services.supervision_record_save(
        session=session,
        **record_values(wellbeing=PHONE_TEXT),
        confirmed=[PHONE_KEY],
        by=users["ssw"],
    )
    assert record.confirmed_not_identifying == [
        {"field": "wellbeing", "kind": "PHONE", "text": "0161 496 0000"}
    ]
    (event,) = events(AuditAction.CREATE, "supervision.supervisionrecord")
    assert event.detail == {"confirmed_not_identifying": [{"field": "wellbeing", "kind": "PHONE"}]}


def test_removing_the_detail_saves_without_confirmation(session, users) -> None:
    record = services.supervision_record_save(session=session, **record_values(), by=users["ssw"])
    assert record.confirmed_not_identifying == []
    assert record.themes == ["early_help", "thresholds"]


def test_no_record_for_a_cancelled_session(places, users) -> None:
    cancelled = make_session(places["home_school"], users["ssw"], number=2, status="cancelled")
    with pytest.raises(services.SupervisionError, match="only a session that took place"):
        services.supervision_record_save(session=cancelled, **record_values(), by=users["ssw"])


def test_the_worksheet_and_sheet_are_checked_too(session, users) -> None:
    with pytest.raises(services.IdentifyingDetailsFound):
        services.worksheet_save(
            session=session,
            situation="A girl called Ellie, DOB 03/03/2011",
            wanted="Ideas",
            by=users["dsl_lead"],
        )
    with pytest.raises(services.IdentifyingDetailsFound):
        services.first_session_sheet_save(
            enrolment=session.enrolment,
            team_roles="Lead DSL Mrs Khan and two deputies",
            hopes="Time to think",
            ground_rules="No names",
            practicalities="Tuesdays",
            by=users["ssw"],
        )
    assert not DslWorksheet.objects.exists()
    assert not FirstSessionSheet.objects.exists()


# Audit of reads and writes


def test_writes_and_reads_are_audited(session, users) -> None:
    services.supervision_record_save(session=session, **record_values(), by=users["ssw"])
    services.supervision_record_save(
        session=session, **record_values(actions="Share the continuum"), by=users["ssw"]
    )
    assert len(events(AuditAction.CREATE, "supervision.supervisionrecord")) == 1
    assert len(events(AuditAction.UPDATE, "supervision.supervisionrecord")) == 1

    record = selectors.supervision_record_get(session=session, by=users["la_lead"])
    (read,) = events(AuditAction.READ, "supervision.supervisionrecord")
    assert (read.actor, read.object_id, read.authority_code, read.school_urn) == (
        "la_lead",
        str(record.pk),
        "990",
        990001,
    )

    services.worksheet_save(
        session=session, situation="A worry", wanted="Ideas", by=users["dsl_lead"]
    )
    assert len(events(AuditAction.CREATE, "supervision.dslworksheet")) == 1
    selectors.worksheet_list(session=session, by=users["ssw"])
    selectors.worksheet_own(session=session, by=users["dsl_lead"])
    assert len(events(AuditAction.READ, "supervision.dslworksheet")) == 2


# Who may write and read


def test_only_ssws_of_the_schools_la_write_records(places, users, make_user) -> None:
    elsewhere = make_session(places["other_school"], users["ssw"])
    with pytest.raises(PermissionDenied):
        services.supervision_record_save(session=elsewhere, **record_values(), by=users["ssw"])
    session = make_session(places["home_school"], users["ssw"], number=2)
    for role in ("dsl_lead", "la_lead", "evaluator", "la_analyst", "system_admin"):
        with pytest.raises(PermissionDenied):
            services.supervision_record_save(session=session, **record_values(), by=users[role])


def test_only_the_schools_own_ssw_writes(client, sign_in, session, make_user) -> None:
    """Another SSW of the same LA, not the school's, may write nothing for it."""
    colleague = make_user(RoleName.SSW, username="colleague")
    enrolment = session.enrolment
    writes = [
        lambda: services.first_session_sheet_save(
            enrolment=enrolment,
            team_roles="x",
            hopes="x",
            ground_rules="x",
            practicalities="x",
            by=colleague,
        ),
        lambda: services.supervision_record_save(session=session, **record_values(), by=colleague),
        lambda: services.ad_hoc_support_create(
            enrolment=enrolment,
            support_date=dt.date(2024, 11, 5),
            channel="phone",
            initiated_by="school",
            topic="wellbeing",
            duration_minutes=None,
            by=colleague,
        ),
        lambda: services.delivery_rating_save(
            enrolment=enrolment, term=Term.AUTUMN, need=2, engagement=None, by=colleague
        ),
    ]
    for write in writes:
        with pytest.raises(PermissionDenied):
            write()
    sign_in(client, colleague)
    assert client.post(reverse("supervision:record", args=[session.pk]), {}).status_code == 403
    response = client.post(
        reverse("supervision:ratings"),
        {"enrolment": enrolment.pk, "term": "autumn", "need": "2", "engagement": ""},
    )
    assert response.status_code == 200  # the school is not among the choices
    assert not DeliveryRating.objects.exists()


def test_only_the_schools_dsls_write_worksheets_and_reflections(session, users) -> None:
    for role in ("ssw", "la_lead", "evaluator"):
        with pytest.raises(PermissionDenied):
            services.worksheet_save(session=session, situation="x", wanted="y", by=users[role])
        with pytest.raises(PermissionDenied):
            services.reflection_save(
                session=session, takeaway="x", confidence=3, usefulness=3, by=users[role]
            )
    reflection = services.reflection_save(
        session=session, takeaway="More curious", confidence=4, usefulness=5, by=users["dsl_deputy"]
    )
    assert (reflection.confidence, reflection.usefulness) == (4, 5)
    with pytest.raises(services.SupervisionError, match="from 1 to 5"):
        services.reflection_save(
            session=session, takeaway="x", confidence=6, usefulness=3, by=users["dsl_deputy"]
        )


def test_evaluators_and_analysts_read_nothing(session, users) -> None:
    services.supervision_record_save(session=session, **record_values(), by=users["ssw"])
    for role in ("evaluator", "la_analyst", "system_admin"):
        with pytest.raises(PermissionDenied):
            selectors.supervision_record_get(session=session, by=users[role])
        assert not selectors.session_list(user=users[role]).exists()
    assert list(selectors.session_list(user=users["dsl_lead"])) == [session]


def test_a_dsl_sees_only_their_schools_sessions(places, session, users) -> None:
    other = make_session(places["other_school"], users["ssw"])
    assert other not in selectors.session_list(user=users["dsl_lead"])
    with pytest.raises(PermissionDenied):
        selectors.supervision_record_get(session=other, by=users["dsl_lead"])


# Ad hoc support, scores and the export


def test_ad_hoc_support_and_scores_export_as_the_contract(session, users) -> None:
    enrolment = session.enrolment
    support = services.ad_hoc_support_create(
        enrolment=enrolment,
        support_date=dt.date(2024, 11, 5),
        channel="phone",
        initiated_by="school",
        topic="threshold_decision",
        duration_minutes=20,
        by=users["ssw"],
    )
    services.delivery_rating_save(
        enrolment=enrolment, term=Term.AUTUMN, need=3, engagement=None, by=users["ssw"]
    )
    services.delivery_rating_save(
        enrolment=enrolment, term=Term.SUMMER, need=None, engagement=4, by=users["ssw"]
    )
    with pytest.raises(services.SupervisionError, match="give a need score"):
        services.delivery_rating_save(
            enrolment=enrolment, term=Term.SPRING, need=None, engagement=None, by=users["ssw"]
        )
    with pytest.raises(PermissionDenied):
        services.delivery_rating_save(
            enrolment=enrolment, term=Term.SPRING, need=2, engagement=None, by=users["la_lead"]
        )
    assert len(events(AuditAction.CREATE, "supervision.adhocsupport")) == 1
    assert len(events(AuditAction.CREATE, "supervision.deliveryrating")) == 2

    tables = contract_tables()
    ad_hoc, ratings = tables["ad_hoc_support"], tables["delivery_ratings"]
    assert list(ad_hoc.columns) == list(TABLES["ad_hoc_support"].columns)
    assert ad_hoc.to_dict("records") == [
        {
            "support_id": str(support.pk),
            "urn": 990001,
            "ssw_id": ssw_id(users["ssw"]),
            "support_date": dt.date(2024, 11, 5),
            "channel": "phone",
            "topic": "threshold_decision",
            "duration_minutes": 20,
        }
    ]
    assert ratings.to_dict("records") == [
        {"urn": 990001, "ssw_id": ssw_id(users["ssw"]), "need": 3, "engagement": 4}
    ]
    for name, frame in tables.items():
        checked = check_frame(frame.astype(str).replace({"<NA>": ""}), TABLES[name], file=name)
        assert checked.violations == []


# Pages


def test_the_ssw_sees_the_warning_then_saves(client: Client, sign_in, session, users) -> None:
    sign_in(client, users["ssw"])
    url = reverse("supervision:record", kwargs={"session_id": session.pk})
    assert client.get(url).status_code == 200
    data = record_values(wellbeing=PHONE_TEXT)
    response = client.post(url, data)
    assert response.status_code == 200
    assert "This may identify someone" in response.text
    assert "0161 496 0000" in response.text
    assert not SupervisionRecord.objects.exists()

    response = client.post(url, record_values())
    assert response.status_code == 302
    assert SupervisionRecord.objects.get().wellbeing == CLEAN_TEXT


def test_the_ssw_can_confirm_on_the_page(client: Client, sign_in, session, users) -> None:
    sign_in(client, users["ssw"])
    url = reverse("supervision:record", kwargs={"session_id": session.pk})
    response = client.post(url, record_values(wellbeing=PHONE_TEXT, confirm=[PHONE_KEY]))
    assert response.status_code == 302
    assert SupervisionRecord.objects.get().confirmed_not_identifying[0]["kind"] == "PHONE"


def test_the_page_refuses_without_the_open_case_box(client, sign_in, session, users) -> None:
    sign_in(client, users["ssw"])
    url = reverse("supervision:record", kwargs={"session_id": session.pk})
    data = record_values()
    del data["no_open_case_confirmed"]
    response = client.post(url, data)
    assert response.status_code == 200
    assert services.MSG_OPEN_CASE in html.unescape(response.text)


def test_the_la_lead_reads_the_record_and_it_is_audited(client, sign_in, session, users) -> None:
    services.supervision_record_save(session=session, **record_values(), by=users["ssw"])
    sign_in(client, users["la_lead"])
    url = reverse("supervision:record", kwargs={"session_id": session.pk})
    response = client.get(url)
    assert response.status_code == 200
    assert CLEAN_TEXT in response.text
    assert "<textarea" not in response.text
    assert events(AuditAction.READ, "supervision.supervisionrecord")[0].actor == "la_lead"
    assert client.post(url, record_values()).status_code == 403


def test_out_of_scope_sessions_are_not_found(client, sign_in, places, users) -> None:
    other = make_session(places["other_school"], users["ssw"])
    sign_in(client, users["dsl_lead"])
    for name in ("record", "worksheet", "reflection"):
        url = reverse(f"supervision:{name}", kwargs={"session_id": other.pk})
        assert client.get(url).status_code == 404


def test_a_dsl_fills_the_worksheet_and_the_ssw_reads_it(client, sign_in, session, users) -> None:
    sign_in(client, users["dsl_lead"])
    url = reverse("supervision:worksheet", kwargs={"session_id": session.pk})
    assert client.get(url).status_code == 200
    response = client.post(url, {"situation": "A worry about a quiet pupil", "wanted": "Ideas"})
    assert response.status_code == 302
    ssw = Client()
    sign_in(ssw, users["ssw"])
    response = ssw.get(url)
    assert "A worry about a quiet pupil" in response.text
    assert ssw.post(url, {"situation": "x", "wanted": "y"}).status_code == 403


def test_the_ssw_logs_ad_hoc_support_and_scores(client, sign_in, session, users) -> None:
    sign_in(client, users["ssw"])
    response = client.post(
        reverse("supervision:ad_hoc_support"),
        {
            "enrolment": session.enrolment.pk,
            **date_fields("support_date", "2024-11-05"),
            "channel": "email",
            "initiated_by": "ssw",
            "topic": "wellbeing",
            "duration_minutes": "15",
        },
    )
    assert response.status_code == 302
    response = client.post(
        reverse("supervision:ratings"),
        {"enrolment": session.enrolment.pk, "term": "autumn", "need": "2", "engagement": ""},
    )
    assert response.status_code == 302
    assert "Autumn term" in client.get(reverse("supervision:ratings")).text


# The demo


@pytest.mark.django_db
def test_seed_demo_adds_supervision_content_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THRESHOLD_DEMO_PASSWORD", "correct horse battery staple")
    call_command("seed_demo", stdout=io.StringIO())
    held = SupervisionSession.objects.filter(status="held").count()
    assert held
    assert SupervisionRecord.objects.count() == held
    assert AdHocSupport.objects.exists()
    assert DeliveryRating.objects.exists()
    counts = [SupervisionRecord.objects.count(), AdHocSupport.objects.count()]
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "added 0 records of supervision" in out.getvalue()
    assert [SupervisionRecord.objects.count(), AdHocSupport.objects.count()] == counts


def test_a_dsl_reflects_on_the_page(client, sign_in, session, users) -> None:
    sign_in(client, users["dsl_deputy"])
    url = reverse("supervision:reflection", kwargs={"session_id": session.pk})
    assert 'type="radio"' in client.get(url).text
    data = {"takeaway": "Ask what the pupil would say", "confidence": "4", "usefulness": "5"}
    assert client.post(url, data).status_code == 302
    assert "Ask what the pupil would say" in client.get(url).text
