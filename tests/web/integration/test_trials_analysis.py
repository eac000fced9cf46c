"""A trial's analysis from the service's records: the trial's contract tables, a run in the
background with the real worker on a synthetic world whose LAs' exports were imported through
the service, exploratory and confirmatory runs, failures, downloads and the command."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from factories.jobs import run_jobs
from factories.trial_analysis import primary_only_protocol, small_world, world_trial, write_protocol
from threshold.model import TABLES
from threshold.pipeline import PipelineConfig, run_pipeline
from threshold.synth import World
from threshold.trial import lock_protocol
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.audit.models import AuditEvent
from threshold.web.insights.services import authority_state
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.programme.models import Enrolment, Programme, SupervisionSession
from threshold.web.trials import analysis
from threshold.web.trials.analysis_tables import trial_tables
from threshold.web.trials.files import protocol_path, run_folder, trial_folder
from threshold.web.trials.models import AnalysisRun, Trial, TrialSchool

DRAWS = 100


@pytest.fixture(autouse=True)
def folders(settings: object, tmp_path: Path) -> None:
    settings.FRONTDOOR_STORE_ROOT = tmp_path / "frontdoor"
    settings.TRIALS_ROOT = tmp_path / "trials"
    settings.TRIAL_ANALYSIS_DRAWS = DRAWS


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[World, Path]:
    return small_world(tmp_path_factory.mktemp("world"))


def signed_in(user: User, sign_in: Callable[..., Client]) -> Client:
    return sign_in(Client(), user)


# trial_tables ---------------------------------------------------------------------------------


def test_trial_tables_are_the_trials_schools_allocation_and_delivery(
    places: dict[str, object], make_user: Callable[..., User]
) -> None:
    home, other = places["home_la"], places["other_la"]
    inside = places["home_school"]
    withdrawn = School.objects.create(
        urn=990002, name="Northmoor High", authority=home, phase="secondary", pupils_on_roll=900
    )
    outside = School.objects.create(
        urn=990003, name="Northmoor Grammar", authority=home, phase="secondary"
    )
    ssw = make_user(RoleName.SSW)
    away_ssw = make_user(RoleName.SSW, username="away_ssw")
    away_ssw.memberships.update(authority=other)
    this_year = Programme.objects.create(
        authority=home,
        school_year="2021/22",
        starts_on=dt.date(2021, 9, 1),
        ends_on=dt.date(2022, 7, 31),
    )
    last_year = Programme.objects.create(
        authority=home,
        school_year="2020/21",
        starts_on=dt.date(2020, 9, 1),
        ends_on=dt.date(2021, 7, 31),
    )
    trial = Trial.objects.create(name="Northmoor trial", created_by=ssw)
    trial.programmes.add(this_year)
    for school in (inside, withdrawn):
        TrialSchool.objects.create(trial=trial, school=school)
    enrolled = Enrolment.objects.create(
        programme=this_year,
        school=inside,
        arm="treatment",
        block="990-high",
        random_number=0.4,
        allocation_order=1,
    )
    Enrolment.objects.create(
        programme=this_year,
        school=withdrawn,
        arm="control",
        block="990-high",
        random_number=0.7,
        allocation_order=2,
        withdrawn_on=dt.date(2022, 1, 10),
        withdrawal_reason="Merged",
    )
    Enrolment.objects.create(programme=this_year, school=outside, arm="treatment", block="x")
    earlier = Enrolment.objects.create(programme=last_year, school=inside, arm="treatment")
    when = timezone.make_aware(dt.datetime(2021, 10, 5, 10))
    held = {
        "ssw": ssw,
        "number": 1,
        "scheduled_for": when,
        "format": "group",
        "mode": "in_person",
        "status": "held",
        "attendees": 3,
        "duration_minutes": 90,
    }
    kept = SupervisionSession.objects.create(enrolment=enrolled, **held)
    SupervisionSession.objects.create(enrolment=earlier, **held)

    tables = trial_tables(trial)

    for name, frame in tables.items():
        assert list(frame.columns) == list(TABLES[name].columns), name
    assert tables["schools"]["urn"].tolist() == [990001, 990002]
    assert tables["schools"].set_index("urn").loc[990002, "pupils_on_roll"] == 900
    allocation = tables["allocations"].set_index("urn")
    assert allocation.index.tolist() == [990001, 990002]  # not the school outside the trial
    assert allocation.loc[990002, "withdrawn_on"] == dt.date(2022, 1, 10)
    assert pd.isna(allocation.loc[990001, "withdrawn_on"])
    assert allocation.loc[990001, ["arm", "block", "order"]].tolist() == [
        "treatment",
        "990-high",
        1,
    ]
    assert tables["sessions"]["session_id"].tolist() == [str(kept.pk)]  # not last year's
    assert tables["local_authorities"]["la_code"].tolist() == ["990"]
    assert tables["ssws"]["ssw_id"].tolist() == [f"ssw-{ssw.pk}"]  # not the other LA's SSW
    assert tables["data_gaps"].empty


# runs end to end ------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_confirmatory_run_in_the_background_matches_the_pipeline(world, tmp_path) -> None:
    trial = world_trial(world)
    by = trial.created_by
    run = analysis.analysis_run_create(
        trial=trial, exploratory=False, site_url="https://threshold.example/", by=by
    )
    assert AnalysisRun.objects.get(pk=run.pk).status == AnalysisRun.Status.QUEUED

    run_jobs()

    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.DONE, run.error
    assert (run.stage, run.fraction) == ("done", 1.0)
    assert run.finished_at is not None
    path = protocol_path(trial)
    assert run.protocol_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    stores = {la.la_code: authority_state(la) for la in LocalAuthority.objects.all()}
    assert {s["la_code"]: s["version"] for s in run.data_cut["stores"]} == {
        code: store.version for code, store in stores.items()
    }
    assert all(s["imported_at"] for s in run.data_cut["stores"])
    assert run.data_cut["draws"] == DRAWS
    # the same tables and stores, straight through the pipeline
    piped = run_pipeline(
        PipelineConfig(
            protocol=path, tables=trial_tables(trial), stores=tuple(stores.values()), draws=DRAWS
        )
    )
    direct = piped.primary
    inference = piped.results.randomisation_inference
    assert run.primary["randomisation_p_value"] == pytest.approx(inference["p_value"])
    assert run.primary["randomisation_draws"] == DRAWS
    assert run.primary["coef"] == pytest.approx(direct.coef)
    assert run.primary["ci_low"] == pytest.approx(direct.ci_low)
    assert run.primary["p_value"] == pytest.approx(direct.p_value)
    assert run.primary["glass_delta"] == pytest.approx(direct.glass_delta)
    assert run.primary["n"] == direct.n_treatment + direct.n_control > 30
    # the report and the tables it read are in the run's folder
    folder = run_folder(run)
    results = json.loads((folder / "report" / "results.json").read_text(encoding="utf-8"))
    assert results["confirmatory"] is True
    assert results["randomisation_inference"]["draws"] == DRAWS
    assert (folder / "tables" / "allocations.csv").is_file()
    # told by e-mail, with a link; reading and finishing audited
    assert mail.outbox[-1].to == [by.email]
    assert f"https://threshold.example/trials/runs/{run.pk}/" in mail.outbox[-1].body
    events = AuditEvent.objects.filter(object_type="trials.analysisrun", object_id=str(run.pk))
    assert {e.action for e in events} == {"create", "read", "update"}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_exploratory_run_on_a_draft_is_labelled(world, sign_in) -> None:
    trial = world_trial(world, lock=False)
    client = signed_in(trial.created_by, sign_in)
    page = client.get(reverse("trials:run_list", kwargs={"trial_pk": trial.pk}))
    assert escape(analysis.MSG_UNLOCKED) in page.content.decode()
    assert 'value="confirmatory" aria-describedby="kind-confirmatory-hint" disabled' in (
        page.content.decode()
    )
    response = client.post(
        reverse("trials:run_create", kwargs={"trial_pk": trial.pk}), {"kind": "exploratory"}
    )
    run = AnalysisRun.objects.get()
    assert response.url == reverse("trials:run_detail", kwargs={"pk": run.pk})
    run_jobs()
    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.DONE, run.error
    assert run.exploratory
    results = json.loads((run_folder(run) / "report" / "results.json").read_text())
    assert results["confirmatory"] is False
    assert "EXPLORATORY" in (run_folder(run) / "report" / "report.html").read_text()
    detail = client.get(reverse("trials:run_detail", kwargs={"pk": run.pk})).content.decode()
    assert "EXPLORATORY analysis" in detail
    listing = client.get(reverse("trials:run_list", kwargs={"trial_pk": trial.pk}))
    assert "EXPLORATORY" in listing.content.decode()
    assert mail.outbox[-1].subject.startswith("EXPLORATORY analysis")


def test_a_confirmatory_run_on_an_unlocked_protocol_is_refused(
    places, make_user, sign_in, settings, tmp_path
) -> None:
    settings.TRIALS_ROOT = tmp_path / "trials"
    user = make_user(RoleName.EVALUATOR)
    trial = Trial.objects.create(name="Draft trial", created_by=user)
    with pytest.raises(analysis.AnalysisRefused, match="no protocol yet"):
        analysis.analysis_run_create(trial=trial, exploratory=True, site_url="", by=user)
    write_protocol(trial, lock=False)
    with pytest.raises(analysis.AnalysisRefused) as refused:
        analysis.analysis_run_create(trial=trial, exploratory=False, site_url="", by=user)
    assert str(refused.value) == analysis.MSG_UNLOCKED
    client = signed_in(user, sign_in)
    response = client.post(
        reverse("trials:run_create", kwargs={"trial_pk": trial.pk}), {"kind": "confirmatory"}
    )
    assert response.status_code == 400
    assert escape(analysis.MSG_UNLOCKED) in response.content.decode()
    assert not AnalysisRun.objects.exists()
    # locked, then altered: refused again, with when it was locked
    lock_protocol(protocol_path(trial), software="threshold test")
    assert analysis.refusal(trial, exploratory=False) == ""
    protocol_path(trial).write_text(primary_only_protocol() + "\n# changed\n")
    assert analysis.refusal(trial, exploratory=False).startswith(
        "The trial's protocol has changed since it was locked on "
    )


@pytest.mark.django_db(transaction=True)
def test_a_failing_run_records_the_plain_message(world) -> None:
    trial = world_trial(world, imports=False)
    run = analysis.analysis_run_create(
        trial=trial, exploratory=False, site_url="https://threshold.example/", by=trial.created_by
    )
    run_jobs()
    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.FAILED
    first = min(LocalAuthority.objects.values_list("la_code", flat=True))
    assert run.error == analysis.MSG_RUN_FAILED.format(
        reason=analysis.MSG_NO_STORE.format(
            la=", ".join(sorted(LocalAuthority.objects.values_list("la_code", flat=True)))
        )
    )
    assert first in run.error
    assert "Traceback" not in run.error
    assert mail.outbox[-1].subject.endswith("failed")
    assert run.error in mail.outbox[-1].body


# pages and downloads --------------------------------------------------------------------------


def finished_run(trial: Trial, by: User, *, exploratory: bool = False) -> AnalysisRun:
    """A run recorded as done, with its report files written by hand."""
    run = AnalysisRun.objects.create(
        trial=trial,
        requested_by=by,
        exploratory=exploratory,
        status="done",
        stage="done",
        fraction=1.0,
        protocol_sha256="ab" * 32,
        primary={
            "outcome": "nfa_contacts",
            "coef": -0.001,
            "ci_low": -0.002,
            "ci_high": 0.0,
            "p_value": 0.04,
            "glass_delta": -0.2,
            "glass_ci_low": -0.4,
            "glass_ci_high": 0.0,
            "n_treatment": 20,
            "n_control": 20,
            "n": 40,
        },
        finished_at=timezone.now(),
    )
    report = run_folder(run) / "report"
    report.mkdir(parents=True)
    for name in ("report.html", "report.docx", "results.json", "report.md"):
        (report / name).write_bytes(f"contents of {name}".encode())
    (trial_folder(trial) / "secret.txt").write_text("not for download")
    return run


def test_downloads_have_their_types_are_audited_and_scoped(
    places, make_user, sign_in, settings, tmp_path
) -> None:
    settings.TRIALS_ROOT = tmp_path / "trials"
    user = make_user(RoleName.EVALUATOR)
    home = Programme.objects.create(
        authority=places["home_la"],
        school_year="2021/22",
        starts_on=dt.date(2021, 9, 1),
        ends_on=dt.date(2022, 7, 31),
    )
    away = Programme.objects.create(
        authority=places["other_la"],
        school_year="2021/22",
        starts_on=dt.date(2021, 9, 1),
        ends_on=dt.date(2022, 7, 31),
    )
    trial = Trial.objects.create(name="Home trial", created_by=user)
    trial.programmes.add(home)
    elsewhere = Trial.objects.create(name="Away trial", created_by=user)
    elsewhere.programmes.add(away)
    run = finished_run(trial, user)
    other_run = finished_run(elsewhere, user)
    client = signed_in(user, sign_in)
    types = {
        "html": "text/html; charset=utf-8",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "json": "application/json",
    }
    for kind, content_type in types.items():
        response = client.get(reverse("trials:run_file", kwargs={"pk": run.pk, "kind": kind}))
        assert response.status_code == 200
        assert response["Content-Type"] == content_type
        assert "attachment" in response["Content-Disposition"]
        name = analysis.DOWNLOADS[kind][0]
        assert b"".join(response.streaming_content) == f"contents of {name}".encode()
        assert (
            AuditEvent.objects.filter(
                action="read",
                object_type="trials.analysisrun",
                object_id=str(run.pk),
                detail__file=name,
            ).count()
            == 1
        )
    for kind in ("md", "secret", "tables", "figures"):
        response = client.get(reverse("trials:run_file", kwargs={"pk": run.pk, "kind": kind}))
        assert response.status_code == 404
    assert client.get(f"/trials/runs/{run.pk}/..%2F..%2Fsecret.txt/").status_code == 404
    # an LA analyst analyses their LA's trials only; an LA lead does not analyse
    analyst = make_user(RoleName.LA_ANALYST)
    client = signed_in(analyst, sign_in)
    url = reverse("trials:run_file", kwargs={"pk": run.pk, "kind": "json"})
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content)  # read through the client: closing it by hand
    # would send request_finished, which closes the database connection on PostgreSQL
    for name, kwargs in (
        ("trials:run_file", {"pk": other_run.pk, "kind": "json"}),
        ("trials:run_detail", {"pk": other_run.pk}),
        ("trials:run_list", {"trial_pk": elsewhere.pk}),
    ):
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 403
    assert client.get(reverse("trials:run_detail", kwargs={"pk": run.pk})).status_code == 200
    lead = signed_in(make_user(RoleName.LA_LEAD), sign_in)
    assert lead.get(url).status_code == 403
    assert lead.get(reverse("trials:run_list", kwargs={"trial_pk": trial.pk})).status_code == 403
    # a run not finished offers nothing
    run.status = AnalysisRun.Status.RUNNING
    run.save()
    assert client.get(url).status_code == 404


def test_the_run_pages_show_the_estimate_and_the_choice(
    places, make_user, sign_in, settings, tmp_path
) -> None:
    settings.TRIALS_ROOT = tmp_path / "trials"
    user = make_user(RoleName.EVALUATOR)
    trial = Trial.objects.create(name="Home trial", created_by=user)
    write_protocol(trial, lock=True)
    run = finished_run(trial, user, exploratory=True)
    client = signed_in(user, sign_in)
    listing = client.get(reverse("trials:run_list", kwargs={"trial_pk": trial.pk}))
    text = listing.content.decode()
    assert "abababababab" in text  # the protocol's short hash
    assert "nfa_contacts: -0.001 (95% CI -0.002 to 0), p = 0.04" in text
    assert "EXPLORATORY" in text
    assert 'value="confirmatory" aria-describedby="kind-confirmatory-hint" checked' in text
    response = client.post(reverse("trials:run_create", kwargs={"trial_pk": trial.pk}), {})
    assert response.status_code == 400
    assert "Choose whether the analysis is confirmatory or exploratory" in response.content.decode()
    detail = client.get(reverse("trials:run_detail", kwargs={"pk": run.pk})).content.decode()
    assert "40 (20 treatment, 20 control)" in detail
    assert reverse("trials:run_file", kwargs={"pk": run.pk, "kind": "docx"}) in detail


# the command ----------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_command_runs_the_analysis_and_prints_the_estimate(world, capsys) -> None:
    trial = world_trial(world)
    call_command("trial_analyse", str(trial.pk), "--by", trial.created_by.username)
    out = capsys.readouterr().out
    run = AnalysisRun.objects.get()
    assert run.status == AnalysisRun.Status.DONE
    assert run.task_id == ""  # ran here, not in the background
    assert f"Confirmatory analysis of trial {trial.pk} (Synthetic trial): run {run.pk}" in out
    assert "Measuring outcomes and fitting the models" in out
    assert analysis.estimate_text(run.primary) in out
    assert "100%  Finished" in out
    with pytest.raises(CommandError, match="user 'nobody' is not in Threshold"):
        call_command("trial_analyse", str(trial.pk), "--by", "nobody")
    with pytest.raises(CommandError, match="trial 999 is not in Threshold"):
        call_command("trial_analyse", "999")
    protocol_path(trial).write_text(primary_only_protocol() + "\n# changed\n")
    with pytest.raises(CommandError, match="has changed since it was locked"):
        call_command("trial_analyse", str(trial.pk))


def test_a_run_whose_job_stopped_shows_as_failed(places, make_user, sign_in) -> None:
    user = make_user(RoleName.EVALUATOR)
    trial = Trial.objects.create(name="Home trial", created_by=user)
    write_protocol(trial, lock=True)
    run = analysis.analysis_run_create(trial=trial, exploratory=False, site_url="", by=user)
    client = signed_in(user, sign_in)
    url = reverse("trials:run_detail", kwargs={"pk": run.pk})
    waiting = client.get(url).content.decode()
    assert "Waiting to start" in waiting
    assert escape(analysis.MSG_RUN_FAULT) not in waiting
    DBTaskResult.objects.filter(id=run.task_id).update(status=TaskResultStatus.FAILED)
    stopped = client.get(url).content.decode()
    assert escape(analysis.MSG_RUN_FAULT) in stopped
    assert "Check progress" not in stopped
