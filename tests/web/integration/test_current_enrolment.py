"""A school's current enrolment is the programme running today, not the latest school year: once
next year's programme exists (schools enrolled ahead), this year's schedule, what's due, the
planning pages, reminders and survey links still work for this year."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from factories.jobs import run_jobs
from factories.sessions import at, enrol_with_ssw
from threshold.model import SessionFormat, SessionMode, SurveyWave
from threshold.surveys import WARR_FEELINGS
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.programme import services
from threshold.web.programme.models import Enrolment, Programme, SupervisionSession
from threshold.web.programme.reminders import reminders_daily
from threshold.web.programme.selectors import current_enrolment, day_text, take_up
from threshold.web.surveys.models import Respondent, Response, Wave
from threshold.web.surveys.services import wave_create

ACTOR = "test"
SITE = "https://threshold.example.gov.uk"


def programme(authority: object, year: str, starts: int, ends: int) -> Programme:
    """A programme from `starts` to `ends` weeks from today."""
    today = timezone.localdate()
    return Programme.objects.create(
        authority=authority,
        school_year=year,
        starts_on=today + dt.timedelta(weeks=starts),
        ends_on=today + dt.timedelta(weeks=ends),
    )


@pytest.fixture
def ssw(make_user: Callable[..., User]) -> User:
    return make_user(RoleName.SSW)


@pytest.fixture
def dsl(make_user: Callable[..., User]) -> User:
    return make_user(RoleName.DSL_LEAD)


@pytest.fixture
def years(places: dict[str, object], ssw: User) -> dict[str, Enrolment]:
    """The home school in this year's programme (randomised to treatment, with its SSW) and
    enrolled ahead, directly and with no SSW yet, in next year's."""
    school = places["home_school"]
    this = enrol_with_ssw(programme(places["home_la"], "2026/27", -10, 30), school, ssw)
    later = programme(places["home_la"], "2027/28", 32, 72)
    services.enrolments_add(programme=later, schools=[school], by=ACTOR)
    return {"this": this, "next": later.enrolments.get(school=school)}


def plan(enrolment: Enrolment, day: dt.date) -> SupervisionSession:
    return services.session_plan(
        enrolment=enrolment,
        scheduled_for=at(day, 10),
        format=SessionFormat.GROUP,
        mode=SessionMode.ONLINE,
        weekend_confirmed=True,
        by=ACTOR,
    )


def test_the_programme_running_today_then_the_next_then_the_last_ended(
    years: dict[str, Enrolment], places: dict[str, object]
) -> None:
    school = places["home_school"]
    this, later = years["this"], years["next"]
    today = timezone.localdate()
    assert current_enrolment(school) == this
    assert current_enrolment(school, today=today) == this
    assert current_enrolment(school, today=this.programme.starts_on) == this
    assert current_enrolment(school, today=this.programme.ends_on) == this
    before = this.programme.starts_on - dt.timedelta(days=1)
    assert current_enrolment(school, today=before) == this  # the next to start
    between = this.programme.ends_on + dt.timedelta(days=1)
    assert current_enrolment(school, today=between) == later  # the next to start
    assert current_enrolment(school, today=later.programme.starts_on) == later
    after = later.programme.ends_on + dt.timedelta(days=1)
    assert current_enrolment(school, today=after) == later  # the one that ended last
    assert current_enrolment(school, school_year="2027/28") == later
    assert current_enrolment(school, school_year="2026/27") == this
    assert current_enrolment(school, school_year="2028/29") is None
    assert current_enrolment(places["other_school"]) is None


def test_of_two_programmes_running_at_once_the_one_that_started_first_until_it_ends(
    years: dict[str, Enrolment], places: dict[str, object]
) -> None:
    today = timezone.localdate()
    Programme.objects.filter(pk=years["next"].programme_id).update(
        starts_on=today - dt.timedelta(weeks=1)
    )
    school = places["home_school"]
    assert current_enrolment(school) == years["this"]
    last_day = years["this"].programme.ends_on
    assert current_enrolment(school, today=last_day) == years["this"]
    assert current_enrolment(school, today=last_day + dt.timedelta(days=1)) == years["next"]


def test_this_years_schedule_and_whats_due_stay_once_next_years_programme_exists(
    years: dict[str, Enrolment],
    places: dict[str, object],
    ssw: User,
    dsl: User,
    sign_in: Callable[..., Client],
) -> None:
    urn = places["home_school"].urn
    session = plan(years["this"], timezone.localdate() + dt.timedelta(weeks=1))
    worksheet = reverse("supervision:worksheet", kwargs={"session_id": session.pk})
    local = timezone.localdate(session.scheduled_for)
    day = f"{local.day} {local:%b %Y}"

    as_dsl = sign_in(Client(), dsl)
    home = as_dsl.get(reverse("core:home")).content.decode()
    assert "Session 1" in home
    assert f'href="{worksheet}"' in home
    schedule = as_dsl.get(reverse("programme:school_schedule", kwargs={"urn": urn}))
    assert "Northmoor 2026/27" in schedule.content.decode()
    assert "Northmoor 2027/28" not in schedule.content.decode()
    assert day in schedule.content.decode()

    as_ssw = sign_in(Client(), ssw)
    schedule = as_ssw.get(reverse("programme:school_schedule", kwargs={"urn": urn}))
    assert day in schedule.content.decode()
    assert as_ssw.get(reverse("programme:session_plan", kwargs={"urn": urn})).status_code == 200
    assert as_ssw.get(reverse("programme:calendar_add", kwargs={"urn": urn})).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_this_years_session_reminder_goes_out_once_next_years_programme_exists(
    years: dict[str, Enrolment], dsl: User, settings: object
) -> None:
    settings.SITE_URL = SITE
    dsl.email = "dsl@example.org"
    dsl.save(update_fields=["email"])
    today = timezone.localdate()
    session = plan(years["this"], today + dt.timedelta(days=2))
    reminders_daily.enqueue(today=today.isoformat())
    run_jobs()
    subjects = [(m.to, m.subject) for m in mail.outbox]
    wanted = f"Supervision session {session.number} on {day_text(today + dt.timedelta(days=2))}"
    assert (["dsl@example.org"], f"{wanted}: Northmoor Academy") in subjects, subjects


def test_a_survey_link_answers_this_years_wave_once_next_year_has_one(
    years: dict[str, Enrolment], dsl: User
) -> None:
    today = timezone.localdate()
    this_wave, _ = wave_create(
        programme=years["this"].programme,
        wave=SurveyWave.BASELINE,
        opens_on=today - dt.timedelta(days=2),
        closes_on=today + dt.timedelta(days=12),
        by=ACTOR,
    )
    wave_create(
        programme=years["next"].programme,
        wave=SurveyWave.BASELINE,
        opens_on=years["next"].programme.starts_on,
        closes_on=years["next"].programme.starts_on + dt.timedelta(days=14),
        by=ACTOR,
    )
    respondent = Respondent.objects.get(user=dsl, school=years["this"].school)
    link = reverse("surveys:respond", kwargs={"token": respondent.token, "wave": "baseline"})
    client = Client()
    assert "is not open" not in client.get(link).content.decode()
    answers = {f"warr_{feeling}": "never" for feeling in WARR_FEELINGS}
    client.post(link, answers | {"confidence": "fairly", "dsl_experience": "3_4"})
    assert Response.objects.get(respondent=respondent).wave == this_wave
    assert Wave.objects.count() == 2


def test_take_up_counts_this_years_programme_not_next_years(
    years: dict[str, Enrolment], make_user: Callable[..., User]
) -> None:
    """Schools enrolled ahead for next year are not yet behind: the LA lead's take-up counts
    the programme running today only."""
    lead = make_user(RoleName.LA_LEAD)
    counted = take_up(user=lead, today=timezone.localdate()).overall.schools
    assert [school.enrolment for school in counted] == [years["this"]]
