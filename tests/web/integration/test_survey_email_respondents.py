"""People invited to the surveys by e-mail (without an account) keep one token per school: the
same address, however it is typed, invited at a later wave gets the same link, so their
answers link between waves in the analysis export; invitations and chasers reach them at that
address; once they have an account the token becomes the account's. The address is kept only
to reach them: no page an LA lead sees, no export and no audit event holds it."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from factories.jobs import run_jobs
from threshold.model import SurveyRole, SurveyWave
from threshold.surveys import WARR_FEELINGS, wave_linkage
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.accounts.services import membership_grant, user_create
from threshold.web.audit.models import AuditEvent
from threshold.web.organisations.models import School
from threshold.web.people.services import invitation_accept, person_invite
from threshold.web.programme.models import Programme
from threshold.web.programme.reminders import reminders_daily
from threshold.web.programme.services import enrolments_add
from threshold.web.reminders.models import SentReminder
from threshold.web.surveys import selectors, services
from threshold.web.surveys.exports import export_token, survey_responses_table
from threshold.web.surveys.models import InvitationSent, Respondent, Response, Wave
from threshold.web.surveys.views import MSG_PERSON_REINVITED

ACTOR = "test"
ADDRESS = "officer@example.org"
TYPED = (" Officer@Example.ORG ", "officer@EXAMPLE.org\t")
"""The same address as an LA lead might type it at two waves."""
SITE = "https://threshold.example.gov.uk"
ANSWERS = {
    **{f"warr_{feeling}": "occasionally" for feeling in WARR_FEELINGS},
    "confidence": "fairly",
    "dsl_experience": "3_4",
}
ENDLINE = ANSWERS | {"usefulness": "very", "use_of_time": "good", "recommend": "probably_yes"}
LINK = re.compile(r"/survey/([A-Z0-9]+)/(baseline|endline)/")


@pytest.fixture
def programme(places: dict[str, object], make_user: Callable[..., User]) -> Programme:
    """Northmoor's programme without a trial, this school year: the home school (a lead DSL
    with an account) and St Bede's enrolled directly."""
    home = places["home_la"]
    bedes = School.objects.create(urn=990002, name="St Bede's", authority=home, phase="primary")
    today = timezone.localdate()
    programme = Programme.objects.create(
        authority=home,
        school_year="2026/27",
        starts_on=today - dt.timedelta(days=60),
        ends_on=today + dt.timedelta(days=200),
    )
    enrolments_add(programme=programme, schools=[places["home_school"], bedes], by=ACTOR)
    make_user(RoleName.DSL_LEAD)
    return programme


@pytest.fixture
def lead_user(make_user: Callable[..., User]) -> User:
    return make_user(RoleName.LA_LEAD)


@pytest.fixture
def lead(lead_user: User, sign_in: Callable[..., Client], client: Client) -> Client:
    return sign_in(client, lead_user)


def wave_open(programme: Programme, wave: SurveyWave, *, opened_days_ago: int = 1) -> Wave:
    today = timezone.localdate()
    created, _ = services.wave_create(
        programme=programme,
        wave=wave,
        opens_on=today - dt.timedelta(days=opened_days_ago),
        closes_on=today + dt.timedelta(days=14),
        by=ACTOR,
    )
    return created


def wave_close(wave: Wave) -> None:
    """Move `wave` into the past (it has closed)."""
    today = timezone.localdate()
    Wave.objects.filter(pk=wave.pk).update(
        opens_on=today - dt.timedelta(days=40), closes_on=today - dt.timedelta(days=20)
    )


def add_person(lead: Client, wave: Wave, email: str, role: str = "safeguarding_team") -> str:
    page = lead.post(
        reverse("surveys:invitees", kwargs={"pk": wave.pk}),
        {"action": "person", "school": "990002", "role": role, "email": email},
        follow=True,
    )
    assert page.status_code == 200
    return html.unescape(page.content.decode())


def linked_token(message: mail.EmailMessage) -> tuple[str, str]:
    """(token, wave) of the survey link in `message`."""
    found = LINK.search(message.body)
    assert found is not None, message.body
    return found.group(1), found.group(2)


def test_the_same_address_at_two_waves_keeps_one_token_and_links_the_answers(
    programme: Programme, lead: Client
) -> None:
    baseline = wave_open(programme, SurveyWave.BASELINE)
    first = add_person(lead, baseline, TYPED[0])
    assert "2 people invited: 1 DSL with an account, 1 added by e-mail." in first
    token, wave = linked_token(mail.outbox[-1])
    assert (wave, mail.outbox[-1].to) == ("baseline", [TYPED[0].strip()])
    respondent = Respondent.objects.get(token=token)
    assert respondent.email == ADDRESS  # kept normalised, to reach them again
    answering = Client()  # the person, not signed in: the link is their credential
    answering.post(reverse("surveys:respond", kwargs={"token": token, "wave": "baseline"}), ANSWERS)

    wave_close(baseline)
    endline = wave_open(programme, SurveyWave.ENDLINE)
    second = add_person(lead, endline, TYPED[1], role="deputy_dsl")
    assert MSG_PERSON_REINVITED.split("{")[0] in second
    assert "2 people invited: 1 DSL with an account, 1 added by e-mail." in second
    again, wave = linked_token(mail.outbox[-1])
    assert (again, wave) == (token, "endline")
    assert Respondent.objects.filter(school__urn=990002).count() == 1
    answering.post(reverse("surveys:respond", kwargs={"token": token, "wave": "endline"}), ENDLINE)

    assert Response.objects.filter(respondent=respondent).count() == 2
    exported = survey_responses_table()
    assert list(exported["respondent_token"]) == [export_token(token)] * 2
    assert sorted(exported["wave"]) == ["baseline", "endline"]
    assert wave_linkage(exported).to_dict() == {
        "both": 1,
        "baseline_only": 0,
        "endline_only": 0,
        "duplicates": 0,
    }
    # A third time at the same wave is refused: they have had this wave's link.
    refused = add_person(lead, endline, ADDRESS)
    assert "already has a link for St Bede's, and it has been e-mailed to them" in refused
    assert len(mail.outbox) == 2


def test_one_address_at_two_schools_is_two_tokens(
    programme: Programme, lead: Client, places: dict[str, object]
) -> None:
    wave = wave_open(programme, SurveyWave.BASELINE)
    add_person(lead, wave, ADDRESS)
    home = places["home_school"]
    services.respondent_invite(
        wave=wave,
        school=home,
        role=SurveyRole.SAFEGUARDING_TEAM,
        email=ADDRESS.upper(),
        link=lambda r: r.token,
        by=ACTOR,
    )
    tokens = dict(Respondent.objects.filter(email=ADDRESS).values_list("school__urn", "token"))
    assert set(tokens) == {990002, home.urn}
    assert len(set(tokens.values())) == 2


def test_no_page_an_la_lead_sees_shows_the_address(
    programme: Programme, lead: Client, places: dict[str, object]
) -> None:
    wave = wave_open(programme, SurveyWave.BASELINE)
    add_person(lead, wave, TYPED[0])
    token, _ = linked_token(mail.outbox[-1])
    Client().post(reverse("surveys:respond", kwargs={"token": token, "wave": "baseline"}), ANSWERS)
    pages = [
        reverse("core:home"),
        reverse("surveys:wave_list"),
        reverse("surveys:monitor", kwargs={"pk": wave.pk}),
        reverse("surveys:invitees", kwargs={"pk": wave.pk}),
        reverse("surveys:results", kwargs={"programme_pk": programme.pk}),
        reverse("programme:programme_detail", kwargs={"pk": programme.pk}),
        reverse("audit:event_list"),
        reverse("audit:event_download") + "?format=csv",
    ]
    for url in pages:
        response = lead.get(url)
        assert response.status_code == 200, url
        text = response.content.decode("utf-8-sig").casefold()
        assert ADDRESS not in text, url
        assert token.casefold() not in text, url
    assert "officer" not in str(survey_responses_table().to_dict()).casefold()
    for event in AuditEvent.objects.all():
        assert ADDRESS not in f"{event.object_id} {event.detail}".casefold()


def test_e_mailing_a_wave_reaches_people_invited_by_e_mail_at_an_earlier_wave(
    programme: Programme, lead: Client
) -> None:
    baseline = wave_open(programme, SurveyWave.BASELINE)
    add_person(lead, baseline, ADDRESS)
    token, _ = linked_token(mail.outbox[-1])
    wave_close(baseline)
    endline = wave_open(programme, SurveyWave.ENDLINE)
    User.objects.filter(username="dsl_lead").update(email="dsl@example.org")
    mail.outbox.clear()
    page = lead.post(reverse("surveys:invite", kwargs={"pk": endline.pk}), follow=True)
    assert "2 invitations e-mailed; 0 had been sent before; 0 people have no" in (
        html.unescape(page.content.decode())
    )
    to_officer = [m for m in mail.outbox if m.to == [ADDRESS]]
    assert len(to_officer) == 1
    assert linked_token(to_officer[0]) == (token, "endline")
    assert InvitationSent.objects.filter(wave=endline, respondent__token=token).exists()


def test_a_dsl_given_an_account_later_keeps_the_token_sent_to_their_address(
    programme: Programme, lead: Client, lead_user: User
) -> None:
    baseline = wave_open(programme, SurveyWave.BASELINE)
    add_person(lead, baseline, TYPED[0])
    token, _ = linked_token(mail.outbox[-1])
    bedes = School.objects.get(urn=990002)
    person = person_invite(
        first_name="Olu",
        last_name="Officer",
        email="OFFICER@example.org",
        role=RoleName.DSL_DEPUTY,
        school=bedes,
        link=str,
        by=lead_user,
    )
    assert Respondent.objects.get(token=token).user is None
    invitation_accept(invitation=person.invitations.get(), password="a long pass phrase 42")
    assert Respondent.objects.get(token=token).user == person
    assert Respondent.objects.filter(school=bedes).count() == 1
    # Their link is under Your surveys, and inviting the DSLs issues them no second one.
    assert services.respondents_issue(programme=programme, by=ACTOR) == 0
    assert [i.href for i in selectors.invitation_list(user=person)] == [
        reverse("surveys:respond", kwargs={"token": token, "wave": "baseline"})
    ]


def test_inviting_the_dsls_gives_an_earlier_e_mailed_token_to_the_new_account(
    programme: Programme, lead: Client
) -> None:
    baseline = wave_open(programme, SurveyWave.BASELINE)
    add_person(lead, baseline, ADDRESS)
    token, _ = linked_token(mail.outbox[-1])
    deputy = user_create(username="deputy", password="x" * 16, by=ACTOR)
    deputy.email = "Officer@Example.org"
    deputy.save(update_fields=["email"])
    membership_grant(
        user=deputy, role=RoleName.DSL_DEPUTY, school=School.objects.get(urn=990002), by=ACTOR
    )
    page = lead.post(
        reverse("surveys:invitees", kwargs={"pk": baseline.pk}), {"action": "dsls"}, follow=True
    ).content.decode()
    assert "DSLs given their link now: 0. 2 people invited: 2 DSLs with accounts" in page
    assert Respondent.objects.get(user=deputy).token == token


@pytest.mark.django_db(transaction=True)
def test_chasers_reach_people_invited_by_e_mail_who_have_not_answered(
    programme: Programme, settings: object
) -> None:
    settings.SITE_URL = SITE
    wave = wave_open(programme, SurveyWave.BASELINE, opened_days_ago=7)
    bedes = School.objects.get(urn=990002)
    invited = {
        address: services.respondent_invite(
            wave=wave,
            school=bedes,
            role=SurveyRole.SAFEGUARDING_TEAM,
            email=address,
            link=lambda r: r.token,
            by=ACTOR,
        ).respondent
        for address in (TYPED[0], "answered@example.org")
    }
    services.response_submit(respondent=invited["answered@example.org"], wave=wave, answers=ANSWERS)
    dsl = User.objects.get(username="dsl_lead")
    dsl.email = "dsl@example.org"
    dsl.save(update_fields=["email"])
    mail.outbox.clear()
    reminders_daily.enqueue(today=timezone.localdate().isoformat())
    run_jobs()
    chased = {tuple(m.to): m for m in mail.outbox}
    assert set(chased) == {(ADDRESS,), ("dsl@example.org",)}
    to_officer = chased[(ADDRESS,)].body
    token = invited[TYPED[0]].token
    assert f"{SITE}/survey/{token}/baseline/" in to_officer
    assert "Northmoor invited you to the survey at this address" in to_officer
    assert "/reminders/" not in to_officer  # no choices page without an account
    assert f"{SITE}/surveys/mine/" in chased[("dsl@example.org",)].body
    assert list(SentReminder.objects.values_list("key", flat=True)) == [
        f"survey-chaser:wave-{wave.pk}:day-7"
    ]
    logged = " ".join(f"{e.object_id} {e.detail}" for e in AuditEvent.objects.all()).casefold()
    assert ADDRESS not in logged
    assert token.casefold() not in logged
