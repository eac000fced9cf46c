"""The audit log viewer: scoped to the viewer's LAs, filtered, paged, and itself audited."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from factories.forms import date_fields
from threshold.web.accounts.roles import RoleName
from threshold.web.audit.forms import MSG_DATES_REVERSED
from threshold.web.audit.models import AuditAction, AuditEvent
from threshold.web.audit.services import audit_read, record_event

URL = reverse("audit:event_list")


@pytest.fixture
def events(places: dict[str, object]) -> None:
    """Reads of supervision records in both LAs, and an event in no LA."""
    for number in range(3):
        audit_read(
            by="ssw.home",
            object_type="programme.session",
            object_id=f"h{number}",
            authority_code="990",
            school_urn=990001,
        )
        audit_read(
            by="ssw.other",
            object_type="programme.session",
            object_id=f"o{number}",
            authority_code="991",
        )
    record_event(by="system", action=AuditAction.UPDATE, object_type="config.setting")


def shown(response: object) -> set[str]:
    return {event.object_id for event in response.context["page"]}


def test_an_la_lead_sees_only_their_las_events(
    client: Client, make_user: Callable[..., object], sign_in: Callable[..., Client], events: None
) -> None:
    sign_in(client, make_user(RoleName.LA_LEAD))
    response = client.get(URL)
    assert response.status_code == 200
    assert {"h0", "h1", "h2"} <= shown(response)
    assert not shown(response) & {"o0", "o1", "o2", ""}
    assert "ssw.home" in response.text


def test_the_system_administrator_sees_every_event(
    client: Client, make_user: Callable[..., object], sign_in: Callable[..., Client], events: None
) -> None:
    sign_in(client, make_user(RoleName.SYSTEM_ADMIN))
    assert {"h0", "o0", ""} <= shown(client.get(URL))


def test_an_la_lead_cannot_ask_for_another_las_events(
    client: Client, make_user: Callable[..., object], sign_in: Callable[..., Client], events: None
) -> None:
    sign_in(client, make_user(RoleName.LA_LEAD))
    response = client.get(URL, {"authority": "991"})
    assert response.context["form"].errors["authority"]
    assert not shown(response) & {"o0", "o1", "o2"}


def test_filters_narrow_the_list(
    client: Client, make_user: Callable[..., object], sign_in: Callable[..., Client], events: None
) -> None:
    sign_in(client, make_user(RoleName.SYSTEM_ADMIN))
    assert shown(client.get(URL, {"actor": "other"})) == {"o0", "o1", "o2"}
    assert shown(client.get(URL, {"action": "update"})) == {""}
    assert shown(client.get(URL, {"authority": "990", "object_type": "programme.session"})) == {
        "h0",
        "h1",
        "h2",
    }
    reversed_dates = client.get(
        URL, {**date_fields("date_from", "2025-02-01"), **date_fields("date_to", "2025-01-01")}
    )
    assert reversed_dates.context["form"].errors["date_to"] == [MSG_DATES_REVERSED]
    assert "must be the same as or after" in reversed_dates.text


def test_viewing_is_audited_and_pages_keep_the_filters(
    client: Client, make_user: Callable[..., object], sign_in: Callable[..., Client], events: None
) -> None:
    admin = make_user(RoleName.SYSTEM_ADMIN)
    sign_in(client, admin)
    for number in range(60):
        audit_read(
            by="ssw.home",
            object_type="programme.session",
            object_id=str(number),
            authority_code="990",
        )
    response = client.get(URL, {"authority": "990"})
    assert response.context["page"].paginator.num_pages == 2
    assert "?authority=990&amp;page=2" in response.text
    read = AuditEvent.objects.filter(action="read", object_type="audit.auditevent").get()
    assert (read.actor, read.authority_code) == (admin.username, "990")
    assert read.detail["filters"] == {"authority": "990"}
    assert len(read.detail["events"]) == 50


def test_survey_response_events_of_older_chains_are_not_shown_to_an_la(
    client: Client, make_user: Callable[..., object], sign_in: Callable[..., Client], events: None
) -> None:
    """Before responses were recorded anonymously, a response's creation (by its respondent's
    token) and a DSL's read of it were events in the LA: an LA lead must not line them up."""
    record_event(
        by="respondent:ab12cd34",
        action=AuditAction.CREATE,
        object_type="surveys.response",
        object_id="r3",
        authority_code="990",
    )
    audit_read(by="dsl_lead", object_type="surveys.response", object_id="r3", authority_code="990")
    sign_in(client, make_user(RoleName.LA_LEAD))
    la_view = client.get(URL)
    assert "r3" not in shown(la_view)
    assert "respondent:" not in la_view.text
    client.logout()
    sign_in(client, make_user(RoleName.SYSTEM_ADMIN))
    assert "r3" in shown(client.get(URL))  # the chain itself is whole
