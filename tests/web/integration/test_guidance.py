"""DSL guidance: the threshold document's versions, the pathway and what DSLs record, the DSL
information line (search, identifying details, later contacts) and the LA's summaries."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from factories.forms import date_fields
from threshold.web.accounts.roles import RoleName
from threshold.web.accounts.services import membership_grant
from threshold.web.audit.models import AuditEvent
from threshold.web.guidance import selectors, services
from threshold.web.guidance.content import EXAMPLE
from threshold.web.guidance.demo import CALLS, OUTCOMES, seed_demo_guidance
from threshold.web.guidance.models import (
    MSG_IMMUTABLE,
    DocumentVersion,
    InformationLineCall,
    PathwayOutcome,
)
from threshold.web.guidance.pathway import MIN_NORM_OUTCOMES, NO, YES, Route
from threshold.web.insights.models import Contact

pytestmark = pytest.mark.django_db

EARLY_HELP_ANSWERS = {"danger": NO, "harm": NO, "services": NO, "school": YES}


@pytest.fixture
def lead(make_user: Callable[..., object]) -> object:
    return make_user(RoleName.LA_LEAD)


@pytest.fixture
def dsl(make_user: Callable[..., object]) -> object:
    return make_user(RoleName.DSL_LEAD)


@pytest.fixture
def ssw(make_user: Callable[..., object]) -> object:
    return make_user(RoleName.SSW)


def events(action: str, object_type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, object_type=object_type))


def test_publishing_makes_immutable_versions_and_dsls_see_the_published_one(
    places: dict, lead: object, dsl: object, client: Client, sign_in: Callable
) -> None:
    authority = places["home_la"]
    services.document_save_draft(authority=authority, content=EXAMPLE, by=lead)
    first = services.document_publish(authority=authority, by=lead)
    assert (first.number, first.published_by) == (1, lead)
    changed = copy.deepcopy(EXAMPLE)
    changed["services"][3]["name"] = "Family Help"
    services.document_save_draft(authority=authority, content=changed, by=lead)

    sign_in(client, dsl)
    page = client.get(reverse("guidance:document", kwargs={"la_code": "990"})).content.decode()
    assert "Version 1" in page
    assert "Early Help" in page
    assert "Family Help" not in page

    services.document_publish(authority=authority, by=lead)
    with pytest.raises(services.GuidanceError, match="the same as version 2"):
        services.document_publish(authority=authority, by=lead)
    assert DocumentVersion.objects.filter(document__authority=authority).count() == 2
    page = client.get(reverse("guidance:document", kwargs={"la_code": "990"})).content.decode()
    assert "Version 2" in page
    assert "Family Help" in page

    first.content = {}
    with pytest.raises(ValueError, match=MSG_IMMUTABLE):
        first.save()
    with pytest.raises(ValueError, match=MSG_IMMUTABLE):
        DocumentVersion.objects.all().delete()
    assert len(events("create", "guidance.documentversion")) == 2
    assert len(events("update", "guidance.thresholddocument")) == 1


def test_only_the_la_lead_edits_and_publishes(
    places: dict, lead: object, dsl: object, ssw: object
) -> None:
    authority = places["home_la"]
    for who in (dsl, ssw):
        with pytest.raises(PermissionDenied):
            services.document_save_draft(authority=authority, content=EXAMPLE, by=who)
    with pytest.raises(PermissionDenied):
        services.document_save_draft(authority=places["other_la"], content=EXAMPLE, by=lead)
    with pytest.raises(services.GuidanceError, match="no draft threshold document"):
        services.document_publish(authority=authority, by=lead)


def test_the_lead_edits_publishes_and_reads_the_history_with_changes(
    places: dict, lead: object, client: Client, sign_in: Callable
) -> None:
    sign_in(client, lead)
    edit = reverse("guidance:document_edit", kwargs={"la_code": "990"})
    form = client.get(edit).context["form"]
    data = {name: field.initial for name, field in form.fields.items()}
    data["level2_indicators"] = "no colon"
    response = client.post(edit, data)
    assert "write the domain, a colon, then the indicator" in response.content.decode()
    data["level2_indicators"] = "Development: Attendance below 90%"
    assert client.post(edit, data).status_code == 302
    publish = reverse("guidance:document_publish", kwargs={"la_code": "990"})
    client.post(publish)
    data["fis_contact"] = "01632 960171"
    client.post(edit, data)
    history = client.get(reverse("guidance:history", kwargs={"la_code": "990"}))
    page = history.content.decode()
    assert "Version 1" in page
    assert "How to reach: 01632 960171" in page
    client.post(publish)
    version = client.get(reverse("guidance:version", kwargs={"la_code": "990", "number": 2}))
    assert [c for c in version.context["changes"] if "01632" in c[1]] == [
        ("removed", "  How to reach: 01632 960170, or the LA's family services directory"),
        ("added", "  How to reach: 01632 960171"),
    ]
    poster = client.get(reverse("guidance:poster", kwargs={"la_code": "990"}))
    assert poster["Content-Type"] == "application/pdf"
    assert poster.content.startswith(b"%PDF-")
    other = reverse("guidance:document_edit", kwargs={"la_code": "991"})
    assert client.get(other).status_code == 404


def walk(client: Client, answers: dict[str, str]) -> object:
    client.get(reverse("guidance:pathway_start"))
    for question, answer in answers.items():
        url = reverse("guidance:pathway_question", kwargs={"question": question})
        response = client.post(url, {"answer": answer})
    return client.get(response.url)


def test_a_dsl_goes_through_the_pathway_and_records_what_they_did(
    places: dict, lead: object, dsl: object, client: Client, sign_in: Callable
) -> None:
    services.document_save_draft(authority=places["home_la"], content=EXAMPLE, by=lead)
    version = services.document_publish(authority=places["home_la"], by=lead)
    sign_in(client, dsl)
    result = walk(client, EARLY_HELP_ANSWERS)
    page = result.content.decode()
    assert result.context["recommendation"].route is Route.EARLY_HELP
    assert "01632 960160" in page
    assert "in 10" not in page  # too little data for a norm
    response = client.post(
        reverse("guidance:pathway_record"),
        {
            "school": places["home_school"].pk,
            "route_taken": "early_help",
            "contacted_front_door": "no",
        },
    )
    assert response.status_code == 302
    outcome = PathwayOutcome.objects.get()
    assert (outcome.recommended_route, outcome.version) == ("early_help", version)
    assert outcome.answers == EARLY_HELP_ANSWERS
    assert len(events("create", "guidance.pathwayoutcome")) == 1
    listed = client.get(reverse("guidance:outcome_list")).content.decode()
    assert "Northmoor Academy" in listed
    # The finished pathway was forgotten: recording again goes back to the start.
    assert client.get(reverse("guidance:pathway_record")).status_code == 302


def test_danger_goes_to_police_then_front_door(
    places: dict, dsl: object, client: Client, sign_in: Callable
) -> None:
    sign_in(client, dsl)
    result = walk(client, {"danger": YES})
    assert result.context["recommendation"].route is Route.POLICE
    assert "Police" in result.content.decode()
    assert "The front door (MASH)" in result.content.decode()


def test_norms_appear_only_with_enough_outcomes(places: dict, dsl: object) -> None:
    school, authority = places["home_school"], places["home_la"]
    for n in range(MIN_NORM_OUTCOMES):
        services.pathway_outcome_record(
            school=school,
            answers=EARLY_HELP_ANSWERS,
            route_taken=Route.EARLY_HELP,
            contacted_front_door=n == 0,
            by=dsl,
        )
        said = selectors.norms(authority, Route.EARLY_HELP)
        assert bool(said) == (n + 1 >= MIN_NORM_OUTCOMES)
    assert said == [
        "9 in 10 DSLs in Northmoor who were pointed to Early Help used it, and did "
        "not need to contact the front door."
    ]
    assert selectors.avoided_counts([authority])[0].avoided == MIN_NORM_OUTCOMES - 1
    with pytest.raises(PermissionDenied):
        services.pathway_outcome_record(
            school=places["other_school"],
            answers=EARLY_HELP_ANSWERS,
            route_taken=Route.EARLY_HELP,
            contacted_front_door=False,
            by=dsl,
        )


def contact(school: object, day: dt.date, n: int) -> Contact:
    return Contact.objects.create(
        contact_id=f"c{n}",
        person_id=f"p{n}",
        authority=school.authority,
        contact_date=day,
        source_code="2A",
        source_school=school,
        outcome="nfa",
    )


CALL = {
    "caller_role": "dsl_lead",
    "category": "threshold",
    "advice_route": "early_help",
    "minutes": "10",
    "advice": "Talked through the early help assessment.",
    "follow_up": "",
}


def test_call_log_warns_about_identifying_details_searches_and_links_contacts(
    places: dict, ssw: object, lead: object, client: Client, sign_in: Callable
) -> None:
    school = places["home_school"]
    sign_in(client, ssw)
    new = reverse("guidance:call_create")
    when = timezone.localtime().replace(microsecond=0) - dt.timedelta(days=10)
    data = {
        **CALL,
        "school": school.pk,
        **date_fields("called_on", when.date()),
        "called_time": when.strftime("%H:%M"),
    }
    data["follow_up"] = "Ring back on 07700 900123."
    response = client.post(new, data)
    assert "This may identify someone" in response.content.decode()
    assert not InformationLineCall.objects.exists()
    response = client.post(new, {**data, "confirm": "follow_up|PHONE|07700 900123"})
    call = InformationLineCall.objects.get()
    assert response.url == reverse("guidance:call_detail", kwargs={"pk": call.pk})
    assert call.confirmed_not_identifying == [
        {"field": "follow_up", "kind": "PHONE", "text": "07700 900123"}
    ]
    (event,) = events("create", "guidance.informationlinecall")
    assert event.detail == {"confirmed_not_identifying": [{"field": "follow_up", "kind": "PHONE"}]}

    day = when.date()
    contact(school, day - dt.timedelta(days=1), 1)  # before the call
    contact(school, day + dt.timedelta(days=5), 2)
    contact(school, day + dt.timedelta(days=31), 3)  # too late
    contact(places["other_school"], day + dt.timedelta(days=2), 4)  # another school
    detail = client.get(response.url)
    assert [c.contact_id for c in detail.context["contacts"]] == ["c2"]

    calls = reverse("guidance:call_list")
    assert len(client.get(calls).context["calls"]) == 1
    assert len(client.get(calls, {"route": "fis"}).context["calls"]) == 0
    assert len(client.get(calls, {"category": "threshold"}).context["calls"]) == 1
    assert len(client.get(calls, {"school": school.pk}).context["calls"]) == 1
    later = (day + dt.timedelta(days=1)).isoformat()
    assert len(client.get(calls, date_fields("date_from", later)).context["calls"]) == 0
    assert len(client.get(calls, date_fields("date_to", day)).context["calls"]) == 1
    assert events("read", "guidance.informationlinecall")

    sign_in(client, lead)
    summary = client.get(reverse("guidance:summary")).context["routes"]
    early_help = next(row for row in summary if row.route is Route.EARLY_HELP)
    assert (early_help.calls, early_help.followed) == (1, 1)


def test_call_handlers_record_only_in_their_la(places: dict, ssw: object) -> None:
    with pytest.raises(PermissionDenied):
        services.line_call_create(
            school=places["other_school"],
            caller_role="dsl_lead",
            called_at=timezone.now(),
            category="other",
            advice_route=Route.FIS,
            minutes=5,
            advice="",
            follow_up="",
            confirmed=(),
            by=ssw,
        )


def test_demo_guidance_is_added_once(places: dict, make_user: Callable[..., object]) -> None:
    make_user(RoleName.LA_LEAD, username="la.lead")
    make_user(RoleName.DSL_LEAD, username="dsl.lead")
    ssw = make_user(RoleName.SSW, username="ssw")
    membership_grant(user=ssw, role=RoleName.SSW, authority=places["other_la"], by="test")
    School = type(places["home_school"])
    School.objects.create(
        urn=990002, name="St Bede's High School", authority=places["home_la"], phase="secondary"
    )
    lines = seed_demo_guidance()
    assert lines[0].startswith("published the demo threshold document for Northmoor")
    assert DocumentVersion.objects.count() == 1
    assert PathwayOutcome.objects.count() == len(OUTCOMES)
    assert InformationLineCall.objects.count() == len(CALLS)
    again = seed_demo_guidance()
    assert all("exists already" in line for line in again)
    assert InformationLineCall.objects.count() == len(CALLS)
