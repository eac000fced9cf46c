"""A person's calendar feed: made and reset on its page, read by calendar apps with its token
only, holding the sessions of the schools its owner sees, parsed back with `icalendar`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from factories.sessions import sessions_in_two_las
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.audit.models import AuditEvent
from threshold.web.programme.models import CalendarFeed

ACTOR = "test"


@pytest.fixture
def sessions(places: dict[str, object], make_user: Callable[..., User]) -> dict[str, object]:
    return sessions_in_two_las(places, make_user(RoleName.SSW))


def make_link(client: Client) -> str:
    response = client.post(reverse("programme:feed"))
    assert response.status_code == 200
    [address] = re.findall(r'value="(http://testserver/[^"]+\.ics)"', response.content.decode())
    return address.removeprefix("http://testserver")


def events(response: object) -> dict[str, dict[str, object]]:
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    return {str(e["uid"]): e for e in calendar.walk("VEVENT")}


@pytest.mark.django_db
def test_a_dsl_subscribes_to_their_school_s_sessions(
    client: Client, make_user: Callable[..., User], sign_in: Callable[..., Client], sessions
) -> None:
    dsl = make_user(RoleName.DSL_LEAD)
    address = make_link(sign_in(client, dsl))
    feed = CalendarFeed.objects.get(user=dsl)
    assert feed.token_sha256 not in address  # kept as its digest only
    assert AuditEvent.objects.filter(object_type="programme.calendarfeed").count() == 1
    found = events(Client().get(address))  # a calendar app: not signed in
    held, cancelled, planned = sessions["held"], sessions["cancelled"], sessions["planned"]
    assert set(found) == {f"session-{s.pk}@testserver" for s in (held, cancelled, planned)}
    shown = found[f"session-{held.pk}@testserver"]
    assert shown["summary"] == f"Supervision session {held.number}: Northmoor Academy"
    assert shown.decoded("dtstart") == held.scheduled_for
    assert shown.decoded("dtend") - shown.decoded("dtstart") == dt.timedelta(minutes=90)
    assert shown["status"] == "CONFIRMED"
    assert found[f"session-{cancelled.pk}@testserver"]["status"] == "CANCELLED"
    feed.refresh_from_db()
    assert feed.last_read_at is not None


@pytest.mark.django_db
def test_a_new_link_ends_the_old_one_and_a_lost_role_empties_the_feed(
    client: Client, make_user: Callable[..., User], sign_in: Callable[..., Client], sessions
) -> None:
    ssw = User.objects.get(username="ssw")
    sign_in(client, ssw)
    old = make_link(client)
    assert len(events(Client().get(old))) == 3  # the SSW's caseload
    new = make_link(client)
    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 200
    ssw.is_active = False
    ssw.save()
    assert Client().get(new).status_code == 404
    assert Client().get(reverse("programme:feed_ics", args=["not-a-token"])).status_code == 404


@pytest.mark.django_db
def test_the_page_says_when_a_calendar_last_read_the_link(
    client: Client, make_user: Callable[..., User], sign_in: Callable[..., Client], sessions
) -> None:
    sign_in(client, make_user(RoleName.DSL_LEAD))
    page = client.get(reverse("programme:feed")).content.decode()
    assert "Make my calendar link" in page
    Client().get(make_link(client))
    page = client.get(reverse("programme:feed")).content.decode()
    assert "A calendar last read it on" in page
    assert ".ics" not in page  # the link is shown once, when made
