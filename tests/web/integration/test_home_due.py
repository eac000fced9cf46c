"""What's due on the home page: the SSW's week, the DSL's next session, surveys and figures,
the LA lead's take-up, agreements, survey responses, front-door freshness and trial health;
each person sees only their own LA's and school's items, in a bounded number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from factories.trial_health import TODAY, build_trial
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.accounts.services import membership_grant
from threshold.web.audit.models import AuditEvent
from threshold.web.core import due
from threshold.web.insights.models import Contact, FrontDoorImport
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.programme.models import Enrolment, Programme, SupervisionSession
from threshold.web.supervision.models import DslWorksheet, SupervisionRecord
from threshold.web.surveys.models import Respondent, Response, Wave

ACTOR = "test"


def at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def programme_in(authority: LocalAuthority) -> Programme:
    today = timezone.localdate()
    return Programme.objects.create(
        authority=authority,
        school_year="2026/27",
        starts_on=today - dt.timedelta(weeks=10),
        ends_on=today + dt.timedelta(weeks=30),
    )


def enrol(programme: Programme, school: School, ssw: User | None, **agreements: str) -> Enrolment:
    signed = {"mou_status": "signed", "supervision_agreement_status": "signed"}
    return Enrolment.objects.create(
        programme=programme, school=school, arm="treatment", ssw=ssw, **(signed | agreements)
    )


def session(enrolment: Enrolment, when: dt.datetime, *, status: str = "", **more: object):
    number = enrolment.sessions.count() + 1
    return SupervisionSession.objects.create(
        enrolment=enrolment,
        ssw=enrolment.ssw,
        number=number,
        scheduled_for=when,
        format="group",
        mode=more.pop("mode", "face_to_face"),
        status=status,
        **more,
    )


def home(client: Client) -> str:
    response = client.get(reverse("core:home"))
    assert response.status_code == 200
    return response.content.decode()


def section(page: str, key: str) -> str:
    """The HTML of one section of what's due (empty when it is not there)."""
    start = page.find(f'data-due="{key}"')
    if start < 0:
        return ""
    return page[start : page.find("</section>", start)]


@pytest.fixture
def ssw(make_user: Callable[..., User]) -> User:
    return make_user(RoleName.SSW)


@pytest.fixture
def other_ssw(places: dict[str, object]) -> User:
    user = User.objects.create(username="other-ssw")
    membership_grant(user=user, role=RoleName.SSW, authority=places["other_la"], by=ACTOR)
    return user


def test_the_ssw_sees_their_week_records_to_write_overdue_schools_and_ad_hoc(
    client: Client,
    sign_in: Callable[..., Client],
    places: dict[str, object],
    ssw: User,
    other_ssw: User,
) -> None:
    today = timezone.localdate()
    home_la = places["home_la"]
    second = School.objects.create(urn=990002, name="St Bede's", authority=home_la, phase="primary")
    programme = programme_in(home_la)
    overdue = enrol(programme, places["home_school"], ssw)
    held = session(overdue, at(today - dt.timedelta(weeks=7), 10), status="held")
    on_plan = enrol(programme, second, ssw)
    written = session(on_plan, at(today - dt.timedelta(weeks=3), 10), status="held")
    SupervisionRecord.objects.create(
        session=written,
        wellbeing="w",
        presentation="p",
        group_reflection="g",
        shared_discussion="s",
        written_by=ssw,
        no_open_case_confirmed=True,
    )
    this_week = session(on_plan, timezone.now() + dt.timedelta(minutes=30), mode="online")
    elsewhere = enrol(programme_in(places["other_la"]), places["other_school"], other_ssw)
    session(elsewhere, at(today - dt.timedelta(weeks=7), 10), status="held")
    session(elsewhere, at(today, 22))
    colleague = User.objects.create(username="colleague")
    membership_grant(user=colleague, role=RoleName.SSW, authority=home_la, by=ACTOR)
    theirs = School.objects.create(urn=990003, name="Moor Lane", authority=home_la, phase="primary")
    not_mine = enrol(programme, theirs, colleague)
    session(not_mine, at(today - dt.timedelta(weeks=7), 10), status="held")

    page = section(home(sign_in(client, ssw)), "ssw")

    assert "Supervising social worker" in page
    record = reverse("supervision:record", kwargs={"session_id": held.pk})
    assert f'href="{record}"' in page
    assert "49 days overdue" in page
    assert reverse("supervision:record", kwargs={"session_id": written.pk}) not in page
    assert "St Bede&#x27;s, online" in page
    assert f"{this_week.scheduled_for.astimezone(timezone.get_current_timezone()):%H:%M}" in page
    plan = reverse("programme:session_plan", kwargs={"urn": places["home_school"].urn})
    assert f'href="{plan}"' in page
    assert "Plan a session" in page
    assert reverse("programme:session_plan", kwargs={"urn": 990002}) not in page
    assert reverse("supervision:ad_hoc_support") in page
    assert "Eastvale" not in page
    assert "Moor Lane" not in page


def test_an_ssw_with_nothing_due_is_told_so_in_words(
    client: Client, sign_in: Callable[..., Client], ssw: User
) -> None:
    page = section(home(sign_in(client, ssw)), "ssw")
    assert due.WEEK_EMPTY in page
    assert due.RECORDS_EMPTY in page
    assert due.OVERDUE_EMPTY in page


@pytest.fixture
def dsl(make_user: Callable[..., User]) -> User:
    return make_user(RoleName.DSL_LEAD)


def test_the_dsl_sees_the_next_session_worksheet_surveys_and_figures(
    client: Client,
    sign_in: Callable[..., Client],
    places: dict[str, object],
    ssw: User,
    other_ssw: User,
    dsl: User,
) -> None:
    today = timezone.localdate()
    school = places["home_school"]
    enrolment = enrol(programme_in(places["home_la"]), school, ssw)
    session(enrolment, at(today - dt.timedelta(weeks=2), 10), status="held")
    later = session(enrolment, at(today + dt.timedelta(weeks=3), 10))
    nearest = session(enrolment, at(today + dt.timedelta(weeks=1), 14), mode="online")
    wave = Wave.objects.create(
        programme=enrolment.programme,
        wave="baseline",
        opens_on=today - dt.timedelta(days=3),
        closes_on=today + dt.timedelta(days=10),
    )
    respondent = Respondent.objects.create(token="T" * 16, school=school, role="lead_dsl", user=dsl)
    for n, outcome in enumerate(("nfa", "nfa", "referred", "information_advice")):
        Contact.objects.create(
            contact_id=f"c{n}",
            person_id=f"p{n}",
            authority=places["home_la"],
            contact_date=today - dt.timedelta(days=n + 1),
            source_code="2A",
            source_school=school,
            outcome=outcome,
        )
    Contact.objects.create(
        contact_id="other",
        person_id="q",
        authority=places["other_la"],
        contact_date=today,
        source_code="2A",
        source_school=places["other_school"],
        outcome="nfa",
    )
    elsewhere = enrol(programme_in(places["other_la"]), places["other_school"], other_ssw)
    session(elsewhere, at(today + dt.timedelta(days=2), 9))

    client = sign_in(client, dsl)
    page = section(home(client), f"school-{school.urn}")

    assert "Session 3" in page  # numbered by date of entry here: the nearest is the third row
    assert f"{nearest.scheduled_for:%Y}" in page
    assert "online" in page
    worksheet = reverse("supervision:worksheet", kwargs={"session_id": nearest.pk})
    assert f'href="{worksheet}"' in page
    assert "Not written yet" in page
    assert reverse("supervision:worksheet", kwargs={"session_id": later.pk}) not in page
    answer = reverse("surveys:respond", kwargs={"token": respondent.token, "wave": "baseline"})
    assert f'href="{answer}"' in page
    assert "4 contacts to the front door, 2 ended in no further action, 0 referrals" in page
    assert reverse("insights:school", kwargs={"urn": school.urn}) in page
    assert "Eastvale" not in page
    assert AuditEvent.objects.filter(
        actor_id=dsl.pk, action="read", school_urn=school.urn, object_type="organisations.school"
    ).exists()

    DslWorksheet.objects.create(session=nearest, written_by=dsl, situation="s", wanted="w")
    Response.objects.create(respondent=respondent, wave=wave, submitted_on=today)
    page = section(home(client), f"school-{school.urn}")
    assert "Change your worksheet" in page
    assert answer not in page
    assert due.SURVEYS_EMPTY in page


@pytest.mark.parametrize(
    ("change", "words"),
    [({"arm": "control"}, due.CONTROL), ({"withdrawn_on": dt.date(2026, 1, 5)}, due.WITHDRAWN)],
)
def test_a_dsl_of_a_control_or_withdrawn_school_has_no_session_due(
    client: Client,
    sign_in: Callable[..., Client],
    places: dict[str, object],
    ssw: User,
    dsl: User,
    change: dict[str, object],
    words: str,
) -> None:
    school = places["home_school"]
    enrolment = enrol(programme_in(places["home_la"]), school, ssw)
    session(enrolment, at(timezone.localdate() + dt.timedelta(weeks=1), 10))
    Enrolment.objects.filter(pk=enrolment.pk).update(**change)
    page = section(home(sign_in(client, dsl)), f"school-{school.urn}")
    assert escape(words) in page
    assert "Prepare your worksheet" not in page


def test_a_dsl_of_a_school_not_enrolled_is_told_nothing_is_due(
    client: Client, sign_in: Callable[..., Client], places: dict[str, object], dsl: User
) -> None:
    page = section(home(sign_in(client, dsl)), f"school-{places['home_school'].urn}")
    assert due.NOT_ENROLLED in page
    assert due.SURVEYS_EMPTY in page
    assert due.FIGURES_NONE in page


@pytest.fixture
def lead(make_user: Callable[..., User]) -> User:
    return make_user(RoleName.LA_LEAD)


def thirty_schools(places: dict[str, object], ssw: User) -> list[Enrolment]:
    """Thirty schools in the home LA's programme: the first five have agreements unsigned,
    ten have held a session (four of them overdue the next), the rest have had none."""
    today = timezone.localdate()
    programme = programme_in(places["home_la"])
    enrolments = []
    for n in range(30):
        school = School.objects.create(
            urn=990100 + n, name=f"School {n:02d}", authority=places["home_la"], phase="primary"
        )
        unsigned = {"mou_status": "sent"} if n < 5 else {}
        enrolments.append(enrol(programme, school, ssw, **unsigned))
    for n, enrolment in enumerate(enrolments[:10]):
        weeks = 8 if n < 4 else 2
        session(enrolment, at(today - dt.timedelta(weeks=weeks), 10), status="held")
    return enrolments


def test_the_la_lead_sees_take_up_agreements_surveys_and_freshness_in_bounded_queries(
    client: Client,
    sign_in: Callable[..., Client],
    places: dict[str, object],
    ssw: User,
    other_ssw: User,
    lead: User,
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    today = timezone.localdate()
    enrolments = thirty_schools(places, ssw)
    wave = Wave.objects.create(
        programme=enrolments[0].programme,
        wave="baseline",
        opens_on=today - dt.timedelta(days=3),
        closes_on=today + dt.timedelta(days=10),
    )
    for n, enrolment in enumerate(enrolments[:20]):
        respondent = Respondent.objects.create(
            token=f"R{n:015d}", school=enrolment.school, role="lead_dsl"
        )
        if n < 6:
            Response.objects.create(respondent=respondent, wave=wave, submitted_on=today)
    imported = FrontDoorImport.objects.create(
        authority=places["home_la"],
        file_name="contacts.csv",
        file_sha256="0" * 64,
        format="csv",
        imported_by=ACTOR,
        records=1,
        loaded=1,
        quarantined=0,
    )
    FrontDoorImport.objects.filter(pk=imported.pk).update(
        imported_at=timezone.now() - dt.timedelta(days=60)
    )
    elsewhere = programme_in(places["other_la"])
    enrol(elsewhere, places["other_school"], other_ssw, mou_status="declined")
    client = sign_in(client, lead)
    home(client)  # warm the caches (sessions, content types)

    with django_assert_max_num_queries(30):
        page = section(home(client), "la-990")

    assert "Northmoor" in page
    assert "No session yet" in page
    assert "20 schools" in page
    assert "Overdue a session" in page
    assert "4 schools overdue" in page
    assert reverse("programme:take_up") in page
    for enrolment in enrolments[:5]:
        edit = reverse("programme:enrolment_edit", kwargs={"pk": enrolment.pk})
        assert f'href="{edit}"' in page
    assert "Mou: sent, awaiting signature" not in page
    assert "MOU: sent, awaiting signature" in page
    assert reverse("programme:enrolment_edit", kwargs={"pk": enrolments[5].pk}) not in page
    assert "30% answered (6 of 20 people invited)" in page
    assert reverse("surveys:monitor", kwargs={"pk": wave.pk}) in page
    assert f"Older than {due.STALE_DAYS} days" in page
    assert reverse("insights:authority", kwargs={"la_code": "990"}) in page
    assert "Eastvale" not in page
    assert "la-991" not in home(client)
    assert AuditEvent.objects.filter(
        actor_id=lead.pk, action="read", object_type="surveys.wave", object_id=str(wave.pk)
    ).exists()


def test_the_la_lead_sees_each_warning_of_their_randomised_trials(
    places: dict[str, object], ssw: User, lead: User, make_user: Callable[..., User]
) -> None:
    evaluator = make_user(RoleName.EVALUATOR)
    built = build_trial(places["home_la"], ssw, created_by=evaluator)
    (section_,) = due.la_lead_sections(lead, today=TODAY)
    (trials,) = [b for b in section_.blocks if b.heading == due.TRIALS_HEADING]
    health = reverse("trials:health", kwargs={"trial_pk": built.trial.pk})
    assert trials.rows
    assert all(row.href == health for row in trials.rows)
    topics = {row.key for row in trials.rows}
    assert f"{built.trial.name}: contamination" in topics
    assert AuditEvent.objects.filter(
        actor_id=lead.pk, object_type="trials.trial", object_id=str(built.trial.pk)
    ).exists()
    other_lead = User.objects.create(username="other-lead")
    membership_grant(user=other_lead, role=RoleName.LA_LEAD, authority=places["other_la"], by=ACTOR)
    (theirs,) = due.la_lead_sections(other_lead, today=TODAY)
    (their_trials,) = [b for b in theirs.blocks if b.heading == due.TRIALS_HEADING]
    assert their_trials.rows == []


def test_someone_with_two_roles_sees_each_roles_section(
    client: Client,
    sign_in: Callable[..., Client],
    places: dict[str, object],
    lead: User,
) -> None:
    membership_grant(user=lead, role=RoleName.SSW, authority=places["home_la"], by=ACTOR)
    page = home(sign_in(client, lead))
    assert section(page, "ssw")
    assert section(page, "la-990")
    assert page.index("What's due") < page.index("What you can do")


def test_people_with_no_work_of_this_kind_see_no_whats_due(
    client: Client, sign_in: Callable[..., Client], make_user: Callable[..., User]
) -> None:
    page = home(sign_in(client, make_user(RoleName.EVALUATOR)))
    assert "What's due" not in page
