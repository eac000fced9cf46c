"""Programme pages through the test client: who sees what, uploads, planning and take-up."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from factories.forms import date_fields
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.accounts.services import membership_grant, user_create
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.programme import services
from threshold.web.programme.models import CommunityMeeting, Enrolment, Programme

ACTOR = "test"
PASSWORD = "correct horse battery staple"
HEADER = b"urn,block,arm,random_number,order,withdrawn_on\n"
GOOD = HEADER + b"990001,990-high,treatment,0.1,1,\n990002,990-high,control,0.4,2,\n"


@pytest.fixture
def programme(places: dict[str, LocalAuthority]) -> Programme:
    School.objects.create(
        urn=990002, name="St Bede's", authority=places["home_la"], phase="secondary"
    )
    today = timezone.localdate()
    return services.programme_create(
        authority=places["home_la"],
        school_year="2024/25",
        starts_on=today - dt.timedelta(weeks=8),
        ends_on=today + dt.timedelta(weeks=30),
        by=ACTOR,
    )


@pytest.fixture
def lead(client: Client, make_user: Callable[..., User], sign_in: Callable[..., Client]) -> Client:
    return sign_in(client, make_user(RoleName.LA_LEAD))


def upload(client: Client, programme: Programme, content: bytes) -> object:
    return client.post(
        reverse("programme:allocations_upload", kwargs={"pk": programme.pk}),
        {"file": SimpleUploadedFile("allocations.csv", content, content_type="text/csv")},
        follow=True,
    )


def enrol(programme: Programme, ssw: User | None) -> Enrolment:
    services.enrolments_import(
        programme=programme,
        allocations=pd.DataFrame(
            {
                "urn": [990001],
                "block": ["990-high"],
                "arm": ["treatment"],
                "random_number": [0.1],
                "order": [1],
                "withdrawn_on": [None],
            }
        ),
        by=ACTOR,
    )
    enrolment = programme.enrolments.get()
    return services.enrolment_update(
        enrolment=enrolment,
        ssw=ssw,
        mou_status="signed",
        supervision_agreement_status="signed",
        by=ACTOR,
    )


def test_lead_creates_a_programme(lead: Client, places: dict[str, LocalAuthority]) -> None:
    response = lead.post(
        reverse("programme:programme_create"),
        {
            "authority": "990",
            "school_year": "2025/26",
            **date_fields("starts_on", "2025-09-08"),
            **date_fields("ends_on", "2026-07-17"),
            "model": "individual",
            "csa_focus": "yes",
            "interval_min_weeks": "4",
            "interval_max_weeks": "6",
            "max_minutes": "90",
            "planned_sessions": "8",
        },
    )
    programme = Programme.objects.get()
    assert response.url == reverse("programme:programme_detail", kwargs={"pk": programme.pk})
    assert (programme.model, programme.csa_focus, programme.max_minutes) == ("individual", True, 90)


def test_upload_shows_violations_by_row_and_field_and_imports_nothing(
    lead: Client, programme: Programme
) -> None:
    response = upload(lead, programme, HEADER + b"990001,990-high,treated,0.1,1,\n")
    page = response.content.decode()
    assert "The file breaks the data contract in 1 place(s)" in page
    assert "&#x27;treated&#x27; is not an allowed value" in page
    assert '<td class="govuk-table__cell">arm</td>' in page
    assert not programme.enrolments.exists()


def test_upload_enrols_and_is_idempotent(lead: Client, programme: Programme) -> None:
    first = upload(lead, programme, GOOD)
    assert "2 schools enrolled, 0 updated, 0 unchanged" in first.content.decode()
    again = upload(lead, programme, GOOD)
    assert "0 schools enrolled, 0 updated, 2 unchanged" in again.content.decode()
    assert programme.enrolments.count() == 2


def test_upload_refuses_a_school_outside_the_la(lead: Client, programme: Programme) -> None:
    response = upload(lead, programme, HEADER + b"991001,991-high,treatment,0.1,1,\n")
    assert "school 991001 is in Eastvale, not Northmoor" in response.content.decode()


def test_a_lead_elsewhere_is_refused(
    client: Client, programme: Programme, sign_in: Callable[..., Client], places: dict
) -> None:
    other = user_create(username="lead.eastvale", password=PASSWORD, by=ACTOR)
    membership_grant(user=other, role=RoleName.LA_LEAD, authority=places["other_la"], by=ACTOR)
    sign_in(client, other)
    url = reverse("programme:programme_detail", kwargs={"pk": programme.pk})
    assert client.get(url).status_code == 403
    schedule = reverse("programme:school_schedule", kwargs={"urn": 990001})
    assert client.get(schedule).status_code == 403


def test_lead_assigns_an_ssw(
    lead: Client, programme: Programme, make_user: Callable[..., User]
) -> None:
    ssw = make_user(RoleName.SSW)
    enrolment = enrol(programme, None)
    url = reverse("programme:enrolment_edit", kwargs={"pk": enrolment.pk})
    page = lead.get(url).content.decode()
    assert f'value="{ssw.pk}"' in page
    lead.post(url, {"ssw": ssw.pk, "mou_status": "sent", "supervision_agreement_status": "signed"})
    enrolment.refresh_from_db()
    assert (enrolment.ssw, enrolment.mou_status) == (ssw, "sent")


def test_ssw_plans_from_a_suggestion_and_records_it_held(
    client: Client,
    programme: Programme,
    make_user: Callable[..., User],
    sign_in: Callable[..., Client],
) -> None:
    ssw = make_user(RoleName.SSW)
    enrolment = enrol(programme, ssw)
    sign_in(client, ssw)
    plan_url = reverse("programme:session_plan", kwargs={"urn": 990001})
    page = client.get(plan_url).content.decode()
    assert "Use " in page
    today = timezone.localdate()
    client.get(f"{plan_url}?date={today.isoformat()}")
    response = client.post(
        plan_url,
        {
            **date_fields("date", today),
            "time": "00:01",  # started already, so it can be recorded as held
            "weekend_confirmed": "on",  # asked for only on a weekend
            "format": "group",
            "mode": "online",
            "planned_minutes": "120",
        },
    )
    assert response.status_code == 302
    session = enrolment.sessions.get()
    held = reverse("programme:session_held", kwargs={"pk": session.pk})
    client.post(held, {"attendees": "4", "duration_minutes": "100"})
    session.refresh_from_db()
    assert (session.status, session.attendees, session.mode) == ("held", 4, "online")
    schedule = client.get(reverse("programme:school_schedule", kwargs={"urn": 990001}))
    assert "Held: 4 attended, 100 minutes" in schedule.content.decode()


def test_plan_refuses_too_long_a_session(
    client: Client,
    programme: Programme,
    make_user: Callable[..., User],
    sign_in: Callable[..., Client],
) -> None:
    ssw = make_user(RoleName.SSW)
    enrol(programme, ssw)
    sign_in(client, ssw)
    response = client.post(
        reverse("programme:session_plan", kwargs={"urn": 990001}),
        {
            **date_fields("date", timezone.localdate()),
            "time": "09:00",
            "format": "one_to_one",
            "mode": "face_to_face",
            "planned_minutes": "180",
        },
    )
    assert "a session lasts at most 120 minutes in this programme" in response.content.decode()


def test_another_ssw_cannot_see_or_record(
    client: Client,
    programme: Programme,
    make_user: Callable[..., User],
    sign_in: Callable[..., Client],
) -> None:
    enrolment = enrol(programme, make_user(RoleName.SSW))
    session = services.session_plan(
        enrolment=enrolment,
        scheduled_for=timezone.now(),
        format="group",
        mode="online",
        weekend_confirmed=True,
        by=ACTOR,
    )
    sign_in(client, make_user(RoleName.SSW, username="other.ssw"))
    assert (
        client.get(reverse("programme:school_schedule", kwargs={"urn": 990001})).status_code == 403
    )
    cancel = reverse("programme:session_cancel", kwargs={"pk": session.pk})
    assert client.post(cancel, {"changed_by": "ssw", "reason": "x"}).status_code == 403


def test_dsl_sees_their_schools_schedule_without_actions(
    client: Client,
    programme: Programme,
    make_user: Callable[..., User],
    sign_in: Callable[..., Client],
) -> None:
    enrol(programme, make_user(RoleName.SSW))
    sign_in(client, make_user(RoleName.DSL_LEAD))
    page = client.get(reverse("programme:school_schedule", kwargs={"urn": 990001}))
    assert page.status_code == 200
    assert "Plan a session" not in page.content.decode()
    listed = client.get(reverse("programme:school_list")).content.decode()
    assert "Northmoor Academy" in listed
    assert (
        client.get(reverse("programme:school_schedule", kwargs={"urn": 991001})).status_code == 403
    )


def test_take_up_page_lists_schools_to_act_on(lead: Client, programme: Programme) -> None:
    enrol(programme, None)
    page = lead.get(reverse("programme:take_up")).content.decode()
    assert "Overdue (1)" in page
    assert "No session yet (1)" in page
    assert "No SSW assigned" in page


def test_meetings_are_recorded_and_listed(
    client: Client,
    make_user: Callable[..., User],
    sign_in: Callable[..., Client],
) -> None:
    ssw = make_user(RoleName.SSW)
    sign_in(client, ssw)
    response = client.post(
        reverse("programme:meeting_create"),
        {
            "authority": "990",
            **date_fields("held_on", "2024-12-03"),
            "attendees": [ssw.pk],
            "topics": "Escalation",
        },
    )
    assert response.status_code == 302
    assert CommunityMeeting.objects.get().topics == "Escalation"
    assert "Escalation" in client.get(reverse("programme:meeting_list")).content.decode()


NAV_LINK = 'class="govuk-service-navigation__link" href="{href}"'
PROGRAMMES, SCHEDULE, TAKE_UP, MEETINGS = (
    "/programmes/",
    "/schedule/",
    "/take-up/",
    "/community-of-practice/",
)


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        (RoleName.LA_LEAD, {PROGRAMMES, SCHEDULE, TAKE_UP, MEETINGS}),
        (RoleName.SSW, {SCHEDULE, TAKE_UP, MEETINGS}),
        (RoleName.DSL_LEAD, {SCHEDULE}),
        (RoleName.EVALUATOR, set()),
        (RoleName.LA_ANALYST, set()),
    ],
)
def test_navigation_offers_the_pages_each_role_may_use(
    client: Client,
    make_user: Callable[..., User],
    sign_in: Callable[..., Client],
    role: RoleName,
    shown: set[str],
) -> None:
    sign_in(client, make_user(role))
    page = client.get(reverse("core:home")).content.decode()
    offered = {
        href
        for href in (PROGRAMMES, SCHEDULE, TAKE_UP, MEETINGS)
        if NAV_LINK.format(href=href) in page
    }
    assert offered == shown
