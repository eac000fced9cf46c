"""Trial health: take-up by arm against plan, contamination, survey response by arm with the
gap's interval (checked against statsmodels called here on the same counts), withdrawals,
front-door freshness and gaps, warnings as thresholds are crossed or not, the degenerate cases
in words, scoping, the audited read, and the weekly e-mail (once a week, to the right people,
counts only)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from statsmodels.stats.proportion import confint_proportions_2indep

from factories.jobs import run_jobs
from factories.trial_health import (
    TODAY,
    WITHDRAWAL_REASON,
    BuiltTrial,
    build_trial,
)
from threshold.trial import template
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.accounts.services import membership_grant, user_create
from threshold.web.audit.models import AuditEvent
from threshold.web.jobs.schedules import schedule_tick
from threshold.web.jobs.selectors import failed_jobs
from threshold.web.organisations.models import LocalAuthority
from threshold.web.surveys.models import Respondent, Response, Wave
from threshold.web.trials import health as h
from threshold.web.trials import health_views
from threshold.web.trials.files import protocol_path
from threshold.web.trials.management.commands.trial_health_mail import MSG_SITE_URL
from threshold.web.trials.models import Trial
from threshold.web.trials.tasks import ACTOR as TASK_ACTOR
from threshold.web.trials.tasks import MSG_NO_SITE_URL, trial_health_mail_weekly

ACTOR = "test"
SITE = "https://threshold.example.org"


@pytest.fixture(autouse=True)
def _trials_root(settings: object, tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.TRIALS_ROOT = tmp_path / "trials"
    monkeypatch.setattr(health_views, "today", lambda: TODAY)


@pytest.fixture
def built(places: dict[str, object], make_user: Callable[..., User]) -> BuiltTrial:
    ssw = make_user(RoleName.SSW)
    evaluator = make_user(RoleName.EVALUATOR)
    return build_trial(places["home_la"], ssw, created_by=evaluator)


def test_take_up_by_arm_against_plan_and_contamination(built: BuiltTrial) -> None:
    take_up = h.trial_health(built.trial, today=TODAY).take_up
    assert take_up.treatment_schools == 4  # T5 withdrew
    assert take_up.control_schools == 3
    assert [s.name for s in take_up.no_session] == ["T3 School"]
    assert {s.name: (s.held, s.expected) for s in take_up.behind} == {
        "T2 School": (1, 3),
        "T3 School": (0, 3),
    }
    assert (take_up.on_plan, take_up.held, take_up.expected) == (2, 8, 12)
    assert take_up.on_plan_pct == 50
    assert take_up.contaminated == (("C1 School", 1),)


def test_response_rates_by_arm_and_the_gap_against_statsmodels(built: BuiltTrial) -> None:
    health = h.trial_health(built.trial, today=TODAY)
    baseline, endline = health.responses
    treatment, control = baseline.arms
    # Withdrawn C3's two people (one responded) are left out.
    assert (treatment.invited, treatment.responded) == (20, 15)
    assert (control.invited, control.responded) == (20, 8)
    assert (treatment.rate_pct, control.rate_pct) == (75, 40)
    low, high = confint_proportions_2indep(15, 20, 8, 20, method="newcomb", compare="diff")
    assert baseline.gap_points == pytest.approx(35)
    assert baseline.ci_low == pytest.approx(100 * low)
    assert baseline.ci_high == pytest.approx(100 * high)
    wald = confint_proportions_2indep(15, 20, 8, 20, method="wald", compare="diff")
    assert baseline.ci_low != pytest.approx(100 * wald[0])  # the interval is Newcombe's
    assert endline.arms == ()
    assert endline.note == h.WAVE_NOT_OPEN.format(opens="2 June 2025")


def test_withdrawals_by_arm_with_dates_and_reasons(built: BuiltTrial) -> None:
    treatment, control = h.trial_health(built.trial, today=TODAY).withdrawals
    assert [(w.school, w.on, w.reason) for w in treatment.withdrawals] == [
        ("T5 School", dt.date(2024, 11, 4), WITHDRAWAL_REASON)
    ]
    assert [(w.school, w.on) for w in control.withdrawals] == [("C3 School", dt.date(2024, 12, 2))]


def test_front_door_freshness_and_gaps(built: BuiltTrial) -> None:
    (data,) = h.trial_health(built.trial, today=TODAY).data
    assert data.latest_record == dt.date(2024, 12, 20)
    assert data.age_days == 26
    assert data.last_import is not None
    assert data.gaps == ("November 2024",)


def test_gaps_follow_the_protocols_windows(built: BuiltTrial) -> None:
    path = protocol_path(built.trial)
    path.parent.mkdir(parents=True)
    path.write_text(template(), encoding="utf-8")
    assert h.trial_windows(built.trial) == [
        (dt.date(2020, 9, 1), dt.date(2021, 7, 31)),
        (dt.date(2021, 9, 1), dt.date(2022, 7, 31)),
    ]
    (data,) = h.trial_health(built.trial, today=TODAY).data
    assert len(data.gaps) == 22  # no contacts then: the template's windows are years ago
    assert (data.gaps[0], data.gaps[-1]) == ("September 2020", "July 2022")
    assert "August 2021" not in data.gaps


def topics(health: h.Health) -> list[str]:
    return [alert.topic for alert in health.alerts]


def test_warnings_when_thresholds_are_crossed(built: BuiltTrial) -> None:
    trial = built.trial
    health = h.trial_health(trial, today=TODAY)
    assert topics(health) == ["take-up", "contamination", "survey response", "front-door data"]
    texts = [alert.text for alert in health.alerts]
    assert texts[0] == h.WARN_TAKE_UP.format(on_plan_pct=50, on_plan=2, schools=4, threshold=80)
    assert "35 percentage points" in texts[2]
    assert texts[2].endswith(h.ACT_CLOSED)  # the baseline closed on 31 October
    during = h.trial_health(trial, today=dt.date(2024, 10, 20))
    assert next(a.text for a in during.alerts if a.topic == "survey response").endswith(h.ACT_OPEN)
    assert texts[3] == h.WARN_GAPS.format(authority="Northmoor", months="November 2024")
    trial.data_age_warning_days = 20
    trial.save()
    health = h.trial_health(trial, today=TODAY)
    assert h.WARN_DATA_AGE.format(
        authority="Northmoor", age=26, latest="20 December 2024", threshold=20
    ) in [alert.text for alert in health.alerts]


def test_no_warning_when_thresholds_are_not_crossed(built: BuiltTrial) -> None:
    trial = built.trial
    trial.take_up_warning_pct = 50  # 50% on plan is not below 50%
    trial.response_gap_warning_points = 35  # a 35-point gap is not more than 35
    trial.save()
    health = h.trial_health(trial, today=TODAY)
    assert "take-up" not in topics(health)
    assert "survey response" not in topics(health)
    trial.take_up_warning_pct = 51
    trial.response_gap_warning_points = 34
    trial.save()
    health = h.trial_health(trial, today=TODAY)
    assert "take-up" in topics(health)
    assert "survey response" in topics(health)


def test_before_randomisation_there_is_nothing_by_arm(
    places: dict[str, object], make_user: Callable[..., User]
) -> None:
    evaluator = make_user(RoleName.EVALUATOR)
    built = build_trial(
        places["home_la"], make_user(RoleName.SSW), created_by=evaluator, stage=Trial.Stage.LOCKED
    )
    health = h.trial_health(built.trial, today=TODAY)
    assert not health.randomised
    assert health.take_up is None
    assert health.responses == ()
    assert health.responses_note == h.NOT_RANDOMISED
    assert health.headlines() == [h.NOT_RANDOMISED]
    assert len(health.data) == 1  # the front door is still checked


def test_degenerate_cases_are_stated_in_words(
    places: dict[str, object], make_user: Callable[..., User]
) -> None:
    evaluator = make_user(RoleName.EVALUATOR)
    trial = Trial.objects.create(name="Empty", created_by=evaluator, stage=Trial.Stage.RANDOMISED)
    # No programme yet: no LA, no arms, no wave.
    health = h.trial_health(trial, today=TODAY)
    assert health.take_up.note == h.NO_TREATMENT
    assert health.take_up.on_plan_pct is None
    assert health.responses_note == h.NO_WAVE
    assert health.data == ()
    assert health.alerts == ()
    assert health.headlines()[0] == h.NO_TREATMENT


def test_an_arm_with_no_one_invited(built: BuiltTrial) -> None:
    control = [built.schools[c] for c in ("C1", "C2", "C3")]
    Response.objects.filter(respondent__school__in=control).delete()
    Respondent.objects.filter(school__in=control).delete()
    baseline, _ = h.trial_health(built.trial, today=TODAY).responses
    assert baseline.arms[1].invited == 0
    assert baseline.gap_points is None
    assert baseline.note == h.NO_ONE_INVITED.format(arm="control")


def test_fewer_than_five_responses_in_an_arm_are_hidden_and_not_compared(
    built: BuiltTrial,
) -> None:
    treatment = [built.schools[c] for c in ("T1", "T2", "T3", "T4")]
    kept = Response.objects.filter(respondent__school__in=treatment).order_by("pk")
    Response.objects.exclude(pk__in=[r.pk for r in kept[:5]]).filter(
        respondent__school__in=treatment
    ).delete()
    baseline, _ = h.trial_health(built.trial, today=TODAY).responses
    assert baseline.arms[0].responded == 5
    assert baseline.gap_points is not None
    Response.objects.filter(pk=kept.first().pk).delete()
    baseline, _ = h.trial_health(built.trial, today=TODAY).responses
    treatment_row, control_row = baseline.arms
    assert treatment_row.responded is None
    assert treatment_row.rate_pct is None
    assert control_row.responded == 8
    assert baseline.gap_points is None
    assert baseline.ci_low is None
    assert baseline.note == h.TOO_FEW_TO_COMPARE.format(small=5)
    assert "survey response" not in topics(h.trial_health(built.trial, today=TODAY))


def test_an_la_with_no_front_door_data_is_warned(
    places: dict[str, object], make_user: Callable[..., User]
) -> None:
    evaluator = make_user(RoleName.EVALUATOR)
    built = build_trial(places["home_la"], make_user(RoleName.SSW), created_by=evaluator)
    built.trial.programmes.add(
        built.programme.__class__.objects.create(
            authority=places["other_la"],
            school_year="2024/25",
            starts_on=dt.date(2024, 9, 2),
            ends_on=dt.date(2025, 7, 18),
        )
    )
    health = h.trial_health(built.trial, today=TODAY)
    eastvale = next(d for d in health.data if d.la_code == "991")
    assert eastvale.latest_record is None
    assert eastvale.gaps == ()
    assert h.WARN_NO_DATA.format(authority="Eastvale") in [a.text for a in health.alerts]


# The page


def lead_of(authority: LocalAuthority, username: str) -> User:
    user = user_create(username=username, password="x" * 16, by=ACTOR, email=f"{username}@la.test")
    membership_grant(user=user, role=RoleName.LA_LEAD, authority=authority, by=ACTOR)
    return user


def test_the_page_shows_warnings_first_then_tables_and_is_audited(
    built: BuiltTrial, client: Client, sign_in: Callable[..., Client], make_user: Callable
) -> None:
    lead = make_user(RoleName.LA_LEAD)
    sign_in(client, lead)
    before = AuditEvent.objects.count()
    page = client.get(reverse("trials:health", kwargs={"trial_pk": built.trial.pk}))
    assert page.status_code == 200
    text = page.content.decode()
    assert text.index("4 warnings") < text.index("Take-up</h2>") < text.index("Survey response")
    assert "T3 School" in text
    assert "November 2024" in text
    assert escape(WITHDRAWAL_REASON) in text
    assert not any(token in text for token in built.tokens)
    event = AuditEvent.objects.order_by("-sequence").first()
    assert AuditEvent.objects.count() == before + 1
    assert (event.action, event.object_type, event.object_id, event.actor) == (
        "read",
        "trials.trial",
        str(built.trial.pk),
        "la_lead",
    )
    assert event.authority_code == "990"
    assert event.detail == {"what": "trial health"}


def test_an_la_lead_of_another_la_gets_404(
    built: BuiltTrial, client: Client, sign_in: Callable[..., Client], places: dict
) -> None:
    sign_in(client, lead_of(places["other_la"], "eastvale_lead"))
    page = client.get(reverse("trials:health", kwargs={"trial_pk": built.trial.pk}))
    assert page.status_code == 404


def test_the_page_before_randomisation_says_so(
    places: dict[str, object],
    make_user: Callable[..., User],
    client: Client,
    sign_in: Callable[..., Client],
) -> None:
    evaluator = make_user(RoleName.EVALUATOR)
    built = build_trial(
        places["home_la"], make_user(RoleName.SSW), created_by=evaluator, stage=Trial.Stage.DRAFT
    )
    sign_in(client, evaluator)
    page = client.get(reverse("trials:health", kwargs={"trial_pk": built.trial.pk}))
    text = page.content.decode()
    assert "has not been randomised yet" in text
    assert "Take-up</h2>" not in text
    assert "Front-door data" in text


# The weekly e-mail


@pytest.fixture
def people(places: dict[str, object]) -> dict[str, User]:
    def person(username: str, role: RoleName, **where: object) -> User:
        user = user_create(
            username=username, password="x" * 16, by=ACTOR, email=f"{username}@x.test"
        )
        membership_grant(user=user, role=role, by=ACTOR, **where)
        return user

    return {
        "evaluator": person("eve_evaluator", RoleName.EVALUATOR),
        "lead": person("nina_lead", RoleName.LA_LEAD, authority=places["home_la"]),
        "other_lead": person("omar_lead", RoleName.LA_LEAD, authority=places["other_la"]),
        "ssw": person("sam_ssw", RoleName.SSW, authority=places["home_la"]),
        "analyst": person("ann_analyst", RoleName.LA_ANALYST, authority=places["home_la"]),
    }


def test_the_mail_goes_once_a_week_to_evaluators_and_the_trials_la_leads(
    people: dict[str, User], places: dict[str, object]
) -> None:
    built = build_trial(places["home_la"], people["ssw"], created_by=people["evaluator"])
    user_create(username="no_address", password="x" * 16, by=ACTOR)
    draft = Trial.objects.create(name="Draft", created_by=people["evaluator"])
    draft.programmes.add(built.programme)
    quiet = Trial.objects.create(
        name="Quiet", created_by=people["evaluator"], stage="randomised", health_email=False
    )
    quiet.programmes.add(built.programme)
    run = h.trial_health_mail(today=TODAY, site_url=SITE + "/", by=ACTOR)
    assert run.mailed == (built.trial.name,)
    assert run.messages == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["eve_evaluator@x.test", "nina_lead@x.test"]
    message = mail.outbox[0]
    assert message.subject == "Trial health: Northmoor supervision trial (week 2025-W03)"
    link = f"{SITE}/trials/{built.trial.pk}/health/"
    assert link in message.body
    assert "Take-up is behind plan" in message.body
    assert "2 of 4 treatment schools on plan" in message.body
    assert "Endline (June–July) survey: This wave opens on 2 June 2025" in message.body
    # Nothing person-level: no respondent's token, no user's name or address.
    assert not any(token in message.body for token in built.tokens)
    assert not any(u.username in message.body for u in people.values())
    # Again the same week (Sunday): nothing sent; the next Monday: sent again.
    again = h.trial_health_mail(today=dt.date(2025, 1, 19), site_url=SITE, by=ACTOR)
    assert again.mailed == ()
    assert again.already == (built.trial.name,)
    assert len(mail.outbox) == 2
    h.trial_health_mail(today=dt.date(2025, 1, 20), site_url=SITE, by=ACTOR)
    assert len(mail.outbox) == 4
    events = AuditEvent.objects.filter(object_type=h.MAIL_ACTOR_OBJECT).order_by("sequence")
    assert [e.object_id for e in events] == [
        f"{built.trial.pk}/2025-W03",
        f"{built.trial.pk}/2025-W04",
    ]
    assert events[0].detail["recipients"] == 2


def test_the_command_needs_the_site_address_and_runs_the_mail(
    people: dict[str, User], places: dict[str, object]
) -> None:
    build_trial(places["home_la"], people["ssw"], created_by=people["evaluator"])
    with pytest.raises(CommandError, match="--site-url must be"):
        call_command("trial_health_mail", "--site-url", "threshold.example.org")
    assert MSG_SITE_URL.startswith("--site-url must be")
    call_command("trial_health_mail", "--site-url", SITE, "--date", "2025-01-15")
    call_command("trial_health_mail", "--site-url", SITE, "--date", "2025-01-16")
    assert len(mail.outbox) == 2
    assert Wave.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_sends_the_weekly_mail_through_a_real_worker(
    people: dict[str, User], places: dict[str, object], settings: object
) -> None:
    settings.SITE_URL = SITE
    built = build_trial(places["home_la"], people["ssw"], created_by=people["evaluator"])
    monday = dt.datetime(2026, 11, 30, 7, 30, tzinfo=ZoneInfo("Europe/London"))
    schedule_tick(now=monday - dt.timedelta(weeks=1))  # the first tick: no backlog
    assert "trial-health" in {run.name for run in schedule_tick(now=monday)}
    run_jobs()
    assert sorted(m.to[0] for m in mail.outbox) == ["eve_evaluator@x.test", "nina_lead@x.test"]
    assert f"{SITE}/trials/{built.trial.pk}/health/" in mail.outbox[0].body
    assert AuditEvent.objects.filter(actor=TASK_ACTOR, object_type=h.MAIL_ACTOR_OBJECT).exists()


@pytest.mark.django_db(transaction=True)
def test_without_the_site_address_the_weekly_job_fails_saying_what_to_set(
    people: dict[str, User], places: dict[str, object], settings: object
) -> None:
    settings.SITE_URL = ""
    build_trial(places["home_la"], people["ssw"], created_by=people["evaluator"])
    trial_health_mail_weekly.enqueue()
    run_jobs()
    assert mail.outbox == []
    [failed] = failed_jobs()
    assert failed.error.endswith(MSG_NO_SITE_URL)
