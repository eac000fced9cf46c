"""A survey wave reaches someone: the DSLs of the enrolled schools are invited when it is made
(and again on demand), and the LA lead adds people without accounts by e-mail. The pages say
how many are invited, never who has answered; addresses are kept only to reach people (never
shown or logged)."""

from __future__ import annotations

import datetime as dt
import html
import re
import smtplib
from collections.abc import Callable

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from factories.forms import date_fields
from threshold.model import SurveyRole
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.accounts.services import membership_grant, user_create
from threshold.web.audit.models import AuditEvent
from threshold.web.organisations.models import School
from threshold.web.programme.models import Programme
from threshold.web.programme.services import enrolments_add
from threshold.web.surveys import services
from threshold.web.surveys.forms import MSG_PERSON_EMAIL_INVALID, MSG_PERSON_ROLE
from threshold.web.surveys.models import InvitationSent, Respondent, Wave

ACTOR = "test"
ADDRESS = "safeguarding.officer@example.org"


@pytest.fixture
def programme(places: dict[str, object], make_user: Callable[..., User]) -> Programme:
    """Northmoor's programme without a trial: the home school and St Bede's enrolled directly;
    a lead DSL at the home school and a deputy at St Bede's."""
    home = places["home_la"]
    bedes = School.objects.create(urn=990002, name="St Bede's", authority=home, phase="primary")
    programme = Programme.objects.create(
        authority=home,
        school_year="2024/25",
        starts_on=dt.date(2024, 9, 2),
        ends_on=dt.date(2025, 7, 18),
    )
    enrolments_add(programme=programme, schools=[places["home_school"], bedes], by=ACTOR)
    make_user(RoleName.DSL_LEAD)
    deputy = user_create(username="deputy", password="x" * 16, by=ACTOR)
    membership_grant(user=deputy, role=RoleName.DSL_DEPUTY, school=bedes, by=ACTOR)
    return programme


@pytest.fixture
def lead(make_user: Callable[..., User], sign_in: Callable[..., Client], client: Client) -> Client:
    return sign_in(client, make_user(RoleName.LA_LEAD))


@pytest.fixture
def wave(programme: Programme) -> Wave:
    today = timezone.localdate()
    created, _ = services.wave_create(
        programme=programme,
        wave="baseline",
        opens_on=today - dt.timedelta(days=1),
        closes_on=today + dt.timedelta(days=14),
        by=ACTOR,
    )
    return created


def people(wave: Wave) -> str:
    return reverse("surveys:invitees", kwargs={"pk": wave.pk})


def without_tokens(page: str) -> str:
    """The page without its CSRF tokens and script nonces (which differ at every request)."""
    return re.sub(r'(name="csrfmiddlewaretoken" value|nonce)="[^"]*"', "", page)


def add_person(lead: Client, wave: Wave, **fields: str) -> object:
    data = {"action": "person", "school": "990002", "role": "safeguarding_team", "email": ADDRESS}
    return lead.post(people(wave), data | fields, follow=True)


def test_making_a_wave_says_how_many_are_invited(programme: Programme, lead: Client) -> None:
    today = timezone.localdate()
    response = lead.post(
        reverse("surveys:wave_create"),
        {
            "programme": programme.pk,
            "wave": "baseline",
            **date_fields("opens_on", today),
            **date_fields("closes_on", today + dt.timedelta(days=14)),
        },
        follow=True,
    )
    page = response.content.decode()
    assert "2 new people were given their link" in page
    assert "2 people invited: 2 DSLs with accounts, 0 added by e-mail." in page
    assert "People invited: add the DSLs or a person by e-mail" in page


def test_the_dsls_of_the_enrolled_schools_are_invited_on_demand(
    wave: Wave, lead: Client, places: dict[str, object]
) -> None:
    newcomer = user_create(username="new_deputy", password="x" * 16, by=ACTOR)
    membership_grant(
        user=newcomer, role=RoleName.DSL_DEPUTY, school=places["home_school"], by=ACTOR
    )
    page = lead.post(people(wave), {"action": "dsls"}, follow=True).content.decode()
    assert "DSLs given their link now: 1. 3 people invited: 3 DSLs with accounts" in page
    assert Respondent.objects.filter(user=newcomer).count() == 1
    again = lead.post(people(wave), {"action": "dsls"}, follow=True).content.decode()
    assert "DSLs given their link now: 0. 3 people invited" in again


def test_a_person_without_an_account_is_e_mailed_their_link_and_counted(
    wave: Wave, lead: Client
) -> None:
    page = add_person(lead, wave).content.decode()
    assert "3 people invited: 2 DSLs with accounts, 1 added by e-mail." in page
    respondent = Respondent.objects.get(user__isnull=True)
    assert respondent.school.urn == 990002
    assert respondent.role == SurveyRole.SAFEGUARDING_TEAM
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [ADDRESS]
    assert f"/survey/{respondent.token}/baseline/" in mail.outbox[0].body
    assert InvitationSent.objects.filter(wave=wave, respondent=respondent).exists()
    logged = [str(e.detail) for e in AuditEvent.objects.all()]
    assert not any(ADDRESS in text or respondent.token in text for text in logged)
    assert AuditEvent.objects.filter(
        object_type="surveys.wave", detail__added_by_email=True, school_urn=990002
    ).exists()


def test_an_address_of_an_account_is_linked_to_it_and_not_invited_twice(
    wave: Wave, lead: Client
) -> None:
    deputy = User.objects.get(username="deputy")
    deputy.email = "Deputy@Example.org"
    deputy.save()
    token = Respondent.objects.get(user=deputy).token
    sent = add_person(lead, wave, email=" deputy@example.org", role="deputy_dsl")
    assert "They already had a link for St Bede" in html.unescape(sent.content.decode())
    assert "2 people invited: 2 DSLs with accounts, 0 added by e-mail." in sent.content.decode()
    (message,) = mail.outbox
    assert f"/survey/{token}/baseline/" in message.body
    refused = add_person(lead, wave, email="deputy@example.org", role="deputy_dsl")
    assert "already has a link for St Bede" in html.unescape(refused.content.decode())
    assert len(mail.outbox) == 1
    officer = user_create(username="officer", password="x" * 16, by=ACTOR)
    officer.email = ADDRESS
    officer.save()
    page = add_person(lead, wave).content.decode()
    assert "3 people invited: 3 DSLs with accounts, 0 added by e-mail." in page
    assert Respondent.objects.get(user=officer).school.urn == 990002


class FailingBackend(BaseEmailBackend):
    """An e-mail server that refuses every message."""

    def send_messages(self, email_messages: object) -> int:
        raise smtplib.SMTPServerDisconnected("the server went away")


def test_when_the_e_mail_cannot_be_sent_no_one_is_invited(
    wave: Wave, lead: Client, settings: object
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    events = AuditEvent.objects.count()
    page = html.unescape(add_person(lead, wave).content.decode())
    assert services.MSG_PERSON_NOT_SENT in page
    assert "2 people invited: 2 DSLs with accounts, 0 added by e-mail." in page
    assert not Respondent.objects.filter(user__isnull=True).exists()
    assert AuditEvent.objects.count() == events + 1  # only the read of the counts


def test_the_form_names_each_missing_or_wrong_field(wave: Wave, lead: Client) -> None:
    page = html.unescape(add_person(lead, wave, role="", email="not-an-address").content.decode())
    assert MSG_PERSON_ROLE in page
    assert MSG_PERSON_EMAIL_INVALID in page
    assert not Respondent.objects.filter(user__isnull=True).exists()
    assert not mail.outbox


def test_a_withdrawn_school_is_not_offered_and_refused_by_the_service(
    wave: Wave, lead: Client
) -> None:
    wave.programme.enrolments.filter(school__urn=990002).update(withdrawn_on=timezone.localdate())
    page = add_person(lead, wave).content.decode()
    assert "Select the person" in page
    school = School.objects.get(urn=990002)
    with pytest.raises(Exception, match="not enrolled in Northmoor 2024/25"):
        services.respondent_invite(
            wave=wave,
            school=school,
            role=SurveyRole.SAFEGUARDING_TEAM,
            email=ADDRESS,
            link=str,
            by=ACTOR,
        )
    assert not Respondent.objects.filter(user__isnull=True).exists()


def test_the_page_never_shows_who_has_answered(wave: Wave, lead: Client) -> None:
    add_person(lead, wave)
    before = lead.get(people(wave)).content.decode()
    respondent = Respondent.objects.get(user__isnull=True)
    answers = {f"warr_{f}": "never" for f in ("tense", "worried", "uneasy")}
    answers |= {f"warr_{f}": "never" for f in ("depressed", "gloomy", "miserable")}
    answers |= {"confidence": "fairly", "dsl_experience": "3_4"}
    services.response_submit(respondent=respondent, wave=wave, answers=answers)
    after = lead.get(people(wave)).content.decode()
    assert without_tokens(before) == without_tokens(after)


def test_another_las_lead_cannot_reach_the_wave(
    wave: Wave, places: dict[str, object], sign_in: Callable[..., Client], client: Client
) -> None:
    other = user_create(username="eastvale_lead", password="x" * 16, by=ACTOR)
    membership_grant(user=other, role=RoleName.LA_LEAD, authority=places["other_la"], by=ACTOR)
    sign_in(client, other)
    assert client.get(people(wave)).status_code == 404
    assert client.post(people(wave), {"action": "dsls"}).status_code == 404
