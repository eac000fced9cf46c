"""DSL surveys: one token per person reused at every wave, one response per wave through the
public link, audit events that never link a response to a person, response monitoring with
small counts suppressed and its warning, and the contract export."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from factories.forms import date_fields
from threshold.model import TABLES, SurveyRole, check_directory, read_table
from threshold.surveys import WARR_FEELINGS, WARR_STEM, wave_linkage
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.accounts.services import membership_grant, user_create
from threshold.web.audit.models import AuditAction, AuditEvent
from threshold.web.audit.selectors import AuditFilters, audit_event_list
from threshold.web.organisations.models import School
from threshold.web.programme.demo import seed_demo_programme
from threshold.web.programme.models import Enrolment, Programme
from threshold.web.surveys import selectors, services
from threshold.web.surveys.demo import seed_demo_surveys
from threshold.web.surveys.exports import contract_tables, export_token
from threshold.web.surveys.forms import MSG_WARR_REQUIRED
from threshold.web.surveys.models import Respondent, Response, Wave
from threshold.web.surveys.views import MSG_THANKS, MSG_TOO_FEW_TO_COMPARE, SUPPRESSED

ACTOR = "test"
TOKEN = re.compile(TABLES["survey_responses"].fields[0].pattern)
ANSWERS = {
    **{f"warr_{feeling}": "occasionally" for feeling in WARR_FEELINGS},
    "confidence": "fairly",
    "dsl_experience": "3_4",
}
WARNING = "Response rates differ between the arms"


@pytest.fixture
def programme(places: dict[str, object], make_user: Callable[..., User]) -> Programme:
    """Northmoor's programme: the home school (treatment, lead DSL) and a control school
    (a deputy DSL)."""
    home = places["home_la"]
    control = School.objects.create(
        urn=990002, name="St Bede's High School", authority=home, phase="secondary"
    )
    programme = Programme.objects.create(
        authority=home,
        school_year="2024/25",
        starts_on=dt.date(2024, 9, 2),
        ends_on=dt.date(2025, 7, 18),
    )
    for order, (school, arm) in enumerate(
        ((places["home_school"], "treatment"), (control, "control")), start=1
    ):
        Enrolment.objects.create(
            programme=programme,
            school=school,
            arm=arm,
            block="990-high",
            random_number=order / 10,
            allocation_order=order,
        )
    make_user(RoleName.DSL_LEAD)
    deputy = user_create(username="deputy", password="x" * 16, by=ACTOR)
    membership_grant(user=deputy, role=RoleName.DSL_DEPUTY, school=control, by=ACTOR)
    return programme


def open_wave(programme: Programme, wave: str = "baseline") -> Wave:
    today = timezone.localdate()
    created, _ = services.wave_create(
        programme=programme,
        wave=wave,
        opens_on=today - dt.timedelta(days=1),
        closes_on=today + dt.timedelta(days=14),
        by=ACTOR,
    )
    return created


def link(respondent: Respondent, wave: str = "baseline") -> str:
    return reverse("surveys:respond", kwargs={"token": respondent.token, "wave": wave})


def test_one_token_per_person_reused_at_every_wave(programme: Programme) -> None:
    _, issued = services.wave_create(
        programme=programme,
        wave="baseline",
        opens_on=dt.date(2024, 10, 1),
        closes_on=dt.date(2024, 10, 31),
        by=ACTOR,
    )
    tokens = dict(Respondent.objects.values_list("user__username", "token"))
    assert issued == 2
    assert set(tokens) == {"dsl_lead", "deputy"}
    assert all(TOKEN.fullmatch(token) for token in tokens.values())
    assert len(set(tokens.values())) == 2
    _, issued_again = services.wave_create(
        programme=programme,
        wave="endline",
        opens_on=dt.date(2025, 6, 2),
        closes_on=dt.date(2025, 7, 11),
        by=ACTOR,
    )
    assert issued_again == 0
    assert dict(Respondent.objects.values_list("user__username", "token")) == tokens
    assert Respondent.objects.get(user__username="deputy").role == "deputy_dsl"


def test_a_wave_is_created_once_with_ordered_dates(programme: Programme) -> None:
    open_wave(programme)
    with pytest.raises(ValidationError, match="already has a baseline survey"):
        open_wave(programme)
    with pytest.raises(ValidationError, match="close on or after"):
        services.wave_create(
            programme=programme,
            wave="endline",
            opens_on=dt.date(2025, 7, 1),
            closes_on=dt.date(2025, 6, 1),
            by=ACTOR,
        )


def test_answering_through_the_link_once_per_wave_and_linking_waves(
    programme: Programme, client: Client
) -> None:
    open_wave(programme)
    respondent = Respondent.objects.get(user__username="dsl_lead")
    page = client.get(link(respondent))
    assert page.status_code == 200
    assert WARR_STEM in page.content.decode()
    assert "Would you recommend" not in page.content.decode()  # not at baseline
    incomplete = client.post(link(respondent), {"warr_tense": "never"})
    assert MSG_WARR_REQUIRED.format(feeling="worried") in incomplete.content.decode()
    assert not Response.objects.exists()
    done = client.post(link(respondent), ANSWERS, follow=True)
    assert MSG_THANKS in done.content.decode()
    assert "You have already answered this survey" in done.content.decode()
    again = client.post(link(respondent), ANSWERS | {"warr_tense": "never"})
    assert "You have already answered this survey" in again.content.decode()
    assert Response.objects.get().warr_tense == "occasionally"
    with pytest.raises(ValidationError, match="already answered"):
        services.response_submit(respondent=respondent, wave=Wave.objects.get(), answers=ANSWERS)

    open_wave(programme, "endline")
    endline = client.get(link(respondent, "endline")).content.decode()
    assert "Would you recommend" in endline  # a treatment school, at endline
    answers = ANSWERS | {"usefulness": "very", "use_of_time": "good", "recommend": "probably_yes"}
    client.post(link(respondent, "endline"), answers)
    exported = contract_tables()["survey_responses"]
    assert wave_linkage(exported).to_dict() == {
        "both": 1,
        "baseline_only": 0,
        "endline_only": 0,
        "duplicates": 0,
    }
    assert Response.objects.get(wave__wave="endline").recommend == "probably_yes"


def test_control_schools_are_not_asked_about_supervision(
    programme: Programme, client: Client
) -> None:
    open_wave(programme, "endline")
    deputy = Respondent.objects.get(user__username="deputy")
    assert "Would you recommend" not in client.get(link(deputy, "endline")).content.decode()


def test_unknown_links_and_closed_waves(programme: Programme, client: Client) -> None:
    services.wave_create(
        programme=programme,
        wave="baseline",
        opens_on=dt.date(2024, 10, 1),
        closes_on=dt.date(2024, 10, 31),
        by=ACTOR,
    )
    respondent = Respondent.objects.get(user__username="dsl_lead")
    assert client.get(link(respondent)).status_code == 200
    assert "This survey is not open" in client.get(link(respondent)).content.decode()
    assert client.post(link(respondent), ANSWERS).status_code == 200
    assert not Response.objects.exists()
    assert client.get(link(respondent, "endline")).status_code == 404  # no endline yet
    assert client.get(link(respondent, "midline")).status_code == 404
    bogus = reverse("surveys:respond", kwargs={"token": "A" * 20, "wave": "baseline"})
    assert client.get(bogus).status_code == 404


def enrol(programme: Programme, arm: str, schools: int, first_urn: int) -> list[Respondent]:
    """`schools` more schools of the programme's LA in `arm`, each with one invited person
    without an account."""
    respondents = []
    for urn in range(first_urn, first_urn + schools):
        school = School.objects.create(
            urn=urn, name=f"School {urn}", authority=programme.authority, phase="primary"
        )
        Enrolment.objects.create(programme=programme, school=school, arm=arm)
        respondents.append(
            services.respondent_add(school=school, role=SurveyRole.LEAD_DSL, by=ACTOR)
        )
    return respondents


def test_the_audit_log_never_links_a_response_to_its_respondent(
    programme: Programme,
    client: Client,
    make_user: Callable[..., User],
    sign_in: Callable[..., Client],
) -> None:
    wave = open_wave(programme)
    dsl = User.objects.get(username="dsl_lead")
    respondent = Respondent.objects.get(user=dsl)
    sign_in(client, dsl)
    client.get(reverse("surveys:invitations"))
    client.post(link(respondent), ANSWERS)
    client.get(link(respondent))
    client.get(reverse("surveys:invitations"))
    client.logout()
    lead = make_user(RoleName.LA_LEAD)
    sign_in(client, lead)
    client.get(reverse("surveys:monitor", kwargs={"pk": wave.pk}))
    seen = list(audit_event_list(filters=AuditFilters(authority_codes=["990"])))
    page = client.get(reverse("audit:event_list")).content.decode()
    assert all(f'<td class="govuk-table__cell">{e.sequence}</td>' in page for e in seen)
    assert "surveys.response " not in page
    assert services.RESPONDENT_ACTOR not in page
    for event in seen:  # everything the LA lead's log shows
        fields = [event.actor, event.object_type, event.object_id, str(event.detail)]
        assert not any(respondent.token[:4] in field for field in fields)
        assert event.object_type != "surveys.response"
        assert event.actor != services.RESPONDENT_ACTOR  # its time is not beside the DSL's
        assert event.actor != "dsl_lead" or not event.object_type.startswith("surveys.")
    created = AuditEvent.objects.get(actor=services.RESPONDENT_ACTOR)
    assert (created.action, created.object_type, created.object_id) == (
        AuditAction.CREATE,
        "surveys.wave",
        str(wave.pk),
    )
    assert (created.actor_id, created.authority_code, created.school_urn) == (None, "", None)
    assert created.detail == {"wave": "baseline", "created": "a response"}
    assert not AuditEvent.objects.filter(object_type="surveys.response").exists()
    assert AuditEvent.objects.filter(object_type="surveys.respondent").count() == 2


def test_small_counts_of_responses_are_not_shown(
    programme: Programme,
    client: Client,
    make_user: Callable[..., User],
    sign_in: Callable[..., Client],
) -> None:
    wave = open_wave(programme)
    client.post(link(Respondent.objects.get(user__username="dsl_lead")), ANSWERS)
    lead = make_user(RoleName.LA_LEAD)
    result = selectors.monitoring(wave=wave, by=lead)
    arms = {row["arm"]: row for row in result.by_arm}
    assert [arms[arm]["schools_responded"] for arm in ("treatment", "control")] == [None, None]
    assert [arms[arm]["responded"] for arm in ("treatment", "control")] == [None, None]
    assert [row["responded"] for row in result.by_school] == [None, None]
    assert [row["invited"] for row in result.by_school] == [1, 1]
    assert result.differential is None
    page = sign_in(client, lead).get(reverse("surveys:monitor", kwargs={"pk": wave.pk}))
    text = page.content.decode()
    assert text.count(f'<td class="govuk-table__cell govuk-table__cell--numeric">{SUPPRESSED}') == 6
    assert MSG_TOO_FEW_TO_COMPARE.format(small=5) in text
    assert "100%" not in text
    assert WARNING not in text
    reads = AuditEvent.objects.filter(
        action=AuditAction.READ, actor="la_lead", object_type="surveys.wave"
    )
    assert [read.detail for read in reads] == [{"what": "response monitoring"}] * 2


def test_monitoring_warns_when_arms_differ(
    programme: Programme,
    client: Client,
    make_user: Callable[..., User],
    sign_in: Callable[..., Client],
) -> None:
    wave = open_wave(programme)
    enrol(programme, "control", 6, 990100)
    for respondent in enrol(programme, "treatment", 6, 990200):
        services.response_submit(respondent=respondent, wave=wave, answers=ANSWERS)
    for respondent in Respondent.objects.filter(school__urn__in=range(990100, 990105)):
        services.response_submit(respondent=respondent, wave=wave, answers=ANSWERS)
    lead = make_user(RoleName.LA_LEAD)
    result = selectors.monitoring(wave=wave, by=lead)
    arms = {row["arm"]: row for row in result.by_arm}
    assert (arms["treatment"]["schools_responded"], arms["control"]["schools_responded"]) == (6, 5)
    assert (arms["treatment"]["school_rate"], arms["control"]["school_rate"]) == (86, 71)
    assert result.differential.warn
    assert result.not_invited == []
    page = sign_in(client, lead).get(reverse("surveys:monitor", kwargs={"pk": wave.pk}))
    text = page.content.decode()
    assert WARNING in text
    assert "86% of treatment schools and 71% of control schools" in text
    assert "St Bede&#x27;s High School" in text
    assert "dsl_lead" not in text
    assert "deputy" not in text.replace("deputy DSL", "")


def test_kept_response_rates_change_as_soon_as_someone_answers(
    programme: Programme, make_user: Callable[..., User]
) -> None:
    wave = open_wave(programme)
    enrol(programme, "control", 5, 990100)
    treated = enrol(programme, "treatment", 5, 990200)
    lead = make_user(RoleName.LA_LEAD)

    def responded() -> dict[str, object]:
        return {
            row["arm"]: row["schools_responded"]
            for row in selectors.monitoring(wave=wave, by=lead).by_arm
        }

    assert responded() == responded() == {"treatment": None, "control": None}
    for respondent in treated:
        services.response_submit(respondent=respondent, wave=wave, answers=ANSWERS)
    assert responded()["treatment"] == 5


def test_no_warning_when_arms_respond_alike(
    programme: Programme,
    client: Client,
    make_user: Callable[..., User],
    sign_in: Callable[..., Client],
) -> None:
    wave = open_wave(programme)
    enrol(programme, "control", 5, 990100)
    enrol(programme, "treatment", 5, 990200)
    for urn, arm in ((990300, "control"), (990301, "treatment")):
        school = School.objects.create(
            urn=urn, name=f"Uninvited {urn}", authority=programme.authority, phase="primary"
        )
        Enrolment.objects.create(programme=programme, school=school, arm=arm)
    for respondent in Respondent.objects.all():
        client.post(link(respondent), ANSWERS)
    page = sign_in(client, make_user(RoleName.EVALUATOR)).get(
        reverse("surveys:monitor", kwargs={"pk": wave.pk})
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert WARNING not in text
    assert "Difference in school response rates" in text
    assert "<li>Uninvited 990300 (control)</li>" in text


def test_monitoring_is_limited_to_ones_las(
    programme: Programme, places: dict[str, object], client: Client, sign_in: Callable[..., Client]
) -> None:
    wave = open_wave(programme)
    other = user_create(username="other.lead", password="x" * 16, by=ACTOR)
    membership_grant(user=other, role=RoleName.LA_LEAD, authority=places["other_la"], by=ACTOR)
    assert (
        sign_in(client, other).get(reverse("surveys:monitor", kwargs={"pk": wave.pk})).status_code
        == 404
    )


def test_la_lead_starts_a_survey_and_dsl_sees_their_link(
    programme: Programme,
    client: Client,
    make_user: Callable[..., User],
    sign_in: Callable[..., Client],
) -> None:
    today = timezone.localdate()
    sign_in(client, make_user(RoleName.LA_LEAD))
    response = client.post(
        reverse("surveys:wave_create"),
        {
            "programme": programme.pk,
            "wave": "baseline",
            **date_fields("opens_on", today),
            **date_fields("closes_on", today + dt.timedelta(days=7)),
        },
        follow=True,
    )
    assert "2 new people were given their link" in response.content.decode()
    client.logout()
    sign_in(client, User.objects.get(username="dsl_lead"))
    mine = client.get(reverse("surveys:invitations")).content.decode()
    token = Respondent.objects.get(user__username="dsl_lead").token
    assert link(Respondent.objects.get(token=token)) in mine
    assert Respondent.objects.get(user__username="deputy").token not in mine


def test_invitations_are_emailed_once_whether_or_not_people_answered(
    programme: Programme,
    client: Client,
    make_user: Callable[..., User],
    sign_in: Callable[..., Client],
    mailoutbox: list,
) -> None:
    wave = open_wave(programme)
    lead = Respondent.objects.get(user__username="dsl_lead")
    deputy = Respondent.objects.get(user__username="deputy")
    User.objects.filter(username="dsl_lead").update(email="lead@school.example")
    services.respondent_add(school=lead.school, role=SurveyRole.DEPUTY_DSL, by=ACTOR)  # no address
    services.response_submit(respondent=deputy, wave=wave, answers=ANSWERS)  # has answered
    User.objects.filter(username="deputy").update(email="deputy@school.example")
    sign_in(client, make_user(RoleName.LA_LEAD))
    page = client.post(reverse("surveys:invite", kwargs={"pk": wave.pk}), follow=True)
    # The counts do not depend on who has answered: they would tell who did.
    assert "2 invitations e-mailed; 0 had been sent before; 1 people" in page.content.decode()
    assert len(mailoutbox) == 2
    assert sorted(mail.to[0] for mail in mailoutbox) == [
        "deputy@school.example",
        "lead@school.example",
    ]
    to_lead = next(mail for mail in mailoutbox if mail.to == ["lead@school.example"])
    assert f"http://testserver{link(lead)}" in to_lead.body
    assert deputy.token not in to_lead.body
    again = client.post(reverse("surveys:invite", kwargs={"pk": wave.pk}), follow=True)
    assert "0 invitations e-mailed; 2 had been sent before" in again.content.decode()
    assert len(mailoutbox) == 2
    events = AuditEvent.objects.filter(object_type="surveys.wave", action=AuditAction.UPDATE)
    details = [event.detail for event in events.order_by("sequence")]
    assert details == [
        {"invitations_sent": 2, "without_address": 1},
        {"invitations_sent": 0, "without_address": 1},
    ]
    event = events.order_by("sequence").last()
    assert "lead@school.example" not in str(event.detail)
    client.logout()
    sign_in(client, make_user(RoleName.EVALUATOR))
    refused = client.post(reverse("surveys:invite", kwargs={"pk": wave.pk}))
    assert refused.status_code == 403


def test_export_passes_the_contract(programme: Programme, client: Client, tmp_path: Path) -> None:
    open_wave(programme)
    for respondent in Respondent.objects.all():
        client.post(link(respondent), ANSWERS)
    out = tmp_path / "export"
    call_command("delivery_export", str(out))
    assert check_directory(out) == []
    table = read_table(out, "survey_responses")
    assert sorted(table["urn"]) == [990001, 990002]
    assert set(table["role"]) == {"lead_dsl", "deputy_dsl"}
    assert set(table["warr_tense"]) == {"occasionally"}
    tokens = Respondent.objects.values_list("token", flat=True)
    assert set(table["respondent_token"]) == {export_token(token) for token in tokens}
    assert not set(table["respondent_token"]) & set(tokens)  # the export opens no one's link


def test_seed_demo_surveys_adds_an_uneven_baseline_once(places: dict[str, object]) -> None:
    for urn, authority in ((990002, "home_la"), (990003, "home_la"), (991002, "other_la")):
        School.objects.create(
            urn=urn, name=f"School {urn}", authority=places[authority], phase="secondary"
        )
    deputy = user_create(username="dsl.deputy", password="x" * 16, by=ACTOR)
    membership_grant(user=deputy, role=RoleName.DSL_DEPUTY, school=places["home_school"], by=ACTOR)
    seed_demo_programme(by=ACTOR)
    assert seed_demo_surveys(by=ACTOR)[0].endswith("2 responses")
    assert "already" in seed_demo_surveys(by=ACTOR)[0]
    lead = user_create(username="lead", password="x" * 16, by=ACTOR)
    result = selectors.monitoring(wave=Wave.objects.get(), by=lead)
    assert [row["invited"] for row in result.by_school] == [2, 1, 1]
    assert result.differential is None  # too few schools to compare without identifying
