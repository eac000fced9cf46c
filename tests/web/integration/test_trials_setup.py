"""Setting a trial up through its services and pages: creation, the schools, power, the
protocol (form and TOML, checked by the CLI's checker), the lock, randomisation (with recovery
when the database step fails after the files are written) and withdrawals."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from factories.forms import date_fields
from threshold.model import InputError
from threshold.trial import (
    LEDGER_NAME,
    load_protocol,
    parse_protocol,
    protocol_status,
    read_units,
    verify_allocation,
)
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.accounts.services import membership_grant, user_create
from threshold.web.audit.models import AuditEvent
from threshold.web.core.forms import MSG_DATE_REAL
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.programme.models import Enrolment, Programme
from threshold.web.programme.services import enrolments_import, programme_create
from threshold.web.trials import files, services
from threshold.web.trials.models import Trial
from threshold.web.trials.protocol_form import MSG_BASELINE_AFTER, MSG_ENDS_BEFORE
from threshold.web.trials.services import TrialError

ACTOR = "test"
DRAW = "4 15 23 31 38 42 7"
FORM = {
    "name": "Supervision for DSLs, Northmoor and Eastvale",
    "registration": "ISRCTN12345678",
    "primary": "nfa_contacts",
    "secondary": ["contacts", "referrals", "referral_nfa", "all_source_contacts"],
    **date_fields("window_start", "2025-09-01"),
    **date_fields("window_end", "2026-07-31"),
    **date_fields("baseline_start", "2024-09-01"),
    **date_fields("baseline_end", "2025-07-31"),
    **date_fields("observed_by", "2026-07-31"),
    "covariates": ["pct_fsm"],
    "subgroups": ["timing"],
    "robustness": ["poisson", "fsm"],
    "public_draw": "UK National Lottery Lotto draw of Saturday 3 October 2026",
    "public_draw_numbers": "7",
    "alpha": "0.05",
    "standard_errors": "hc2",
    "effect_size": "hedges",
    "multiplicity": "holm",
}


@pytest.fixture(autouse=True)
def trials_root(settings: object, tmp_path: Path) -> Path:
    settings.TRIALS_ROOT = tmp_path / "trials"  # type: ignore[attr-defined]
    return tmp_path / "trials"


@pytest.fixture
def world(places: dict[str, LocalAuthority | School]) -> dict[str, object]:
    """A programme in each LA and six schools in each, with pupils and % FSM."""
    today = timezone.localdate()
    programmes = {}
    schools = []
    for key, la in (("home", places["home_la"]), ("other", places["other_la"])):
        programmes[key] = programme_create(
            authority=la,
            school_year="2025/26",
            starts_on=today - dt.timedelta(weeks=2),
            ends_on=today + dt.timedelta(weeks=40),
            by=ACTOR,
        )
        for number in range(6):
            schools.append(
                School.objects.create(
                    urn=int(la.la_code) * 1000 + 100 + number,
                    name=f"{la.name} School {number + 1}",
                    authority=la,
                    phase="primary" if number % 2 else "secondary",
                    pupils_on_roll=300 + 50 * number,
                    pct_fsm=8.5 + 6.25 * number,
                )
            )
    return {"programmes": programmes, "schools": schools}


def make(role: RoleName, la: LocalAuthority | None = None, *, username: str) -> User:
    user = user_create(username=username, password="correct horse battery staple", by=ACTOR)
    membership_grant(user=user, role=role, by=ACTOR, **({"authority": la} if la else {}))
    return user


@pytest.fixture
def evaluator(make_user: Callable[..., User]) -> User:
    return make_user(RoleName.EVALUATOR)


def ledger(trial: Trial, kind: str) -> list[dict[str, object]]:
    """The trial ledger's entries of one kind."""
    lines = (files.trial_folder(trial) / LEDGER_NAME).read_text(encoding="utf-8").splitlines()
    return [e for e in map(json.loads, lines) if e["kind"] == kind]


def new_trial(world: dict[str, object], by: User) -> Trial:
    trial = services.trial_create(
        name="Supervision trial", programmes=world["programmes"].values(), by=by
    )
    services.trial_schools_set(trial=trial, schools=world["schools"], by=by)
    return trial


DATES = ("window_start", "window_end", "baseline_start", "baseline_end", "observed_by")


def form_post(client: Client, trial: Trial, **changes: object) -> object:
    """Post the protocol form with `changes`; a date (one of `DATES`) is given as an ISO
    string, and posted as day, month and year."""
    posted = dict(FORM)
    for key, value in changes.items():
        posted.update(date_fields(key, value) if key in DATES else {key: value})
    return client.post(reverse("trials:trial_protocol", kwargs={"pk": trial.pk}), posted)


def locked_trial(world: dict[str, object], by: User, client: Client) -> Trial:
    trial = new_trial(world, by)
    response = form_post(client, trial)
    assert response.status_code == 302, response.content.decode()
    return services.trial_lock(trial=trial, by=by)


# Creating a trial


def test_evaluator_creates_a_trial_over_two_las(
    client: Client, sign_in: Callable[..., Client], evaluator: User, world: dict[str, object]
) -> None:
    sign_in(client, evaluator)
    page = client.get(reverse("trials:trial_create"))
    assert "Northmoor 2025/26" in page.content.decode()
    assert "Eastvale 2025/26" in page.content.decode()
    response = client.post(
        reverse("trials:trial_create"),
        {
            "name": "Two LAs",
            "programmes": [str(p.pk) for p in world["programmes"].values()],
        },
    )
    trial = Trial.objects.get()
    assert response.url == reverse("trials:trial_schools", kwargs={"pk": trial.pk})
    assert trial.stage == Trial.Stage.DRAFT
    assert set(trial.programmes.all()) == set(world["programmes"].values())
    event = AuditEvent.objects.get(object_type="trials.trial", action="create")
    assert event.actor == evaluator.username
    listing = client.get(reverse("trials:trial_list")).content.decode()
    assert reverse("trials:trial_detail", kwargs={"pk": trial.pk}) in listing


def test_one_programme_per_la(evaluator: User, world: dict[str, object]) -> None:
    home = world["programmes"]["home"]
    later = Programme.objects.create(
        authority=home.authority,
        school_year="2026/27",
        starts_on=dt.date(2026, 9, 1),
        ends_on=dt.date(2027, 7, 31),
    )
    with pytest.raises(TrialError, match="one programme per local authority"):
        services.trial_create(name="Two years", programmes=[home, later], by=evaluator)
    with pytest.raises(TrialError, match=services.MSG_NAME):
        services.trial_create(name="  ", programmes=[home], by=evaluator)


def test_la_lead_creates_trials_of_their_la_only(
    client: Client,
    sign_in: Callable[..., Client],
    world: dict[str, object],
    make_user: Callable[..., User],
) -> None:
    lead = make_user(RoleName.LA_LEAD)
    sign_in(client, lead)
    page = client.get(reverse("trials:trial_create")).content.decode()
    assert "Northmoor 2025/26" in page
    assert "Eastvale 2025/26" not in page
    with pytest.raises(TrialError, match="You cannot run a trial in Eastvale"):
        services.trial_create(name="Both", programmes=world["programmes"].values(), by=lead)


# Who sees and changes a trial


def test_lead_of_another_la_cannot_see_the_trial(
    client: Client,
    sign_in: Callable[..., Client],
    evaluator: User,
    world: dict[str, object],
    places: dict[str, LocalAuthority],
) -> None:
    trial = services.trial_create(
        name="Eastvale only", programmes=[world["programmes"]["other"]], by=evaluator
    )
    sign_in(client, make(RoleName.LA_LEAD, places["home_la"], username="northmoor_lead"))
    assert client.get(reverse("trials:trial_detail", kwargs={"pk": trial.pk})).status_code == 404
    assert client.get(reverse("trials:trial_schools", kwargs={"pk": trial.pk})).status_code == 404
    assert trial not in client.get(reverse("trials:trial_list")).context["trials"]


def test_viewer_sees_but_cannot_change(
    client: Client,
    sign_in: Callable[..., Client],
    evaluator: User,
    world: dict[str, object],
    make_user: Callable[..., User],
) -> None:
    trial = services.trial_create(
        name="Northmoor", programmes=[world["programmes"]["home"]], by=evaluator
    )
    sign_in(client, make_user(RoleName.LA_ANALYST))
    assert client.get(reverse("trials:trial_detail", kwargs={"pk": trial.pk})).status_code == 200
    for name in ("trial_schools", "trial_protocol", "trial_lock", "trial_randomise"):
        url = reverse(f"trials:{name}", kwargs={"pk": trial.pk})
        assert client.post(url, {}).status_code == 403
    assert not trial.units.exists()
    protocol = reverse("trials:trial_protocol", kwargs={"pk": trial.pk})
    assert client.get(protocol).status_code == 403  # the draft is its managers'


def test_lead_cannot_manage_a_trial_spanning_another_la(
    client: Client,
    sign_in: Callable[..., Client],
    evaluator: User,
    world: dict[str, object],
    make_user: Callable[..., User],
) -> None:
    trial = new_trial(world, evaluator)
    sign_in(client, make_user(RoleName.LA_LEAD))
    assert client.get(reverse("trials:trial_detail", kwargs={"pk": trial.pk})).status_code == 200
    url = reverse("trials:trial_schools", kwargs={"pk": trial.pk})
    assert client.post(url, {"all": "1"}).status_code == 403


# Choosing the schools


def test_choose_all_schools_and_enrolled_ones_are_refused(
    client: Client,
    sign_in: Callable[..., Client],
    evaluator: User,
    world: dict[str, object],
    places: dict[str, LocalAuthority | School],
) -> None:
    trial = services.trial_create(
        name="Both", programmes=world["programmes"].values(), by=evaluator
    )
    import pandas as pd

    enrolments_import(
        programme=world["programmes"]["home"],
        allocations=pd.DataFrame(
            {
                "urn": [places["home_school"].urn],
                "block": ["990-high"],
                "arm": ["treatment"],
                "random_number": [0.2],
                "order": [1],
                "withdrawn_on": [None],
            }
        ),
        by=ACTOR,
    )
    sign_in(client, evaluator)
    url = reverse("trials:trial_schools", kwargs={"pk": trial.pk})
    page = client.get(url).content.decode()
    assert (
        "Already enrolled in Northmoor 2025/26 (treatment (offered supervision)): it cannot be"
        in page
    )
    assert "Choose all 13 schools" in page  # 12 + Eastvale College; Northmoor Academy enrolled
    response = client.post(url, {"all": "1"})
    assert response.status_code == 302
    assert trial.units.count() == 13
    assert not trial.units.filter(school=places["home_school"]).exists()
    response = client.post(url, {"schools": [str(places["home_school"].urn)]})
    assert response.status_code == 200
    assert "is already enrolled in Northmoor 2025/26" in response.content.decode()
    assert trial.units.count() == 13
    client.post(url, {"schools": [str(s.urn) for s in world["schools"][:3]]})
    assert trial.units.count() == 3
    event = (
        AuditEvent.objects.filter(object_type="trials.trial", action="update")
        .order_by("sequence")
        .last()
    )
    assert len(event.detail["removed"]) == 10


def test_schools_of_other_las_are_refused(evaluator: User, world: dict[str, object]) -> None:
    trial = services.trial_create(
        name="Northmoor", programmes=[world["programmes"]["home"]], by=evaluator
    )
    with pytest.raises(TrialError, match="which has no programme in this trial"):
        services.trial_schools_set(trial=trial, schools=world["schools"], by=evaluator)


# Power


def test_power_page_shows_the_mdes_and_design_errors(
    client: Client, sign_in: Callable[..., Client], evaluator: User, world: dict[str, object]
) -> None:
    trial = new_trial(world, evaluator)
    sign_in(client, evaluator)
    url = reverse("trials:trial_power", kwargs={"pk": trial.pk})
    page = client.get(url)
    assert page.context["form"].initial["units"] == 12
    assert page.context["form"].initial["blocks"] == 4
    design = {"units": 40, "blocks": 4, "r2": 0.5, "attrition": 0.1, "alpha": 0.05, "power": 0.8}
    page = client.get(url, design)
    result = page.context["result"]
    assert result.effect == pytest.approx(0.6705, abs=0.05)
    assert f"{result.effect:.2f} standard deviations" in page.content.decode()
    page = client.get(url, {**design, "r2": 1.0})
    assert page.context["result"] is None
    assert "r2=1.0 must be from 0 up to (not including) 1" in page.context["form"].errors["r2"][0]
    page = client.get(url, {**design, "units": 6})
    assert "leave" in str(page.context["form"].non_field_errors())


# The protocol


def test_protocol_form_round_trips_through_the_checker(
    client: Client, sign_in: Callable[..., Client], evaluator: User, world: dict[str, object]
) -> None:
    trial = new_trial(world, evaluator)
    sign_in(client, evaluator)
    page = client.get(reverse("trials:trial_protocol", kwargs={"pk": trial.pk}))
    assert page.context["form"].initial["name"] == "Supervision trial"
    response = form_post(client, trial)
    assert response.status_code == 302
    path = files.protocol_path(trial)
    protocol = load_protocol(path)
    assert protocol.name == FORM["name"]
    assert protocol.registration == FORM["registration"]
    assert protocol.primary.name == "nfa_contacts"
    assert protocol.primary.window == (dt.date(2025, 9, 1), dt.date(2026, 7, 31))
    windowed = [o for o in protocol.outcomes if o.window]
    assert all(o.baseline_window == (dt.date(2024, 9, 1), dt.date(2025, 7, 31)) for o in windowed)
    assert next(o for o in protocol.outcomes if o.observed_by).observed_by == dt.date(2026, 7, 31)
    assert protocol.covariates == ("pct_fsm",)
    assert [s.name for s in protocol.subgroups] == ["timing"]
    assert [s.name for s in protocol.robustness] == ["poisson", "fsm"]
    assert protocol.public_draw.numbers == 7
    assert (protocol.standard_errors, protocol.effect_size, protocol.multiplicity) == (
        "hc2",
        "hedges",
        "holm",
    )
    text = path.read_text(encoding="utf-8")
    assert "# Pre-registered analysis plan" in text  # the template's comments survive
    assert "# hc1 (Stata's robust)" in text
    again = client.get(reverse("trials:trial_protocol", kwargs={"pk": trial.pk}))
    initial = again.context["form"].initial
    assert initial["robustness"] == ["poisson", "fsm"]
    assert initial["window_start"] == "2025-09-01"
    # the timing subgroup's windows moved with the outcome window (the template's are 2021/22)
    timing = protocol.subgroups[0].settings["windows"]
    assert timing == [["2025-09-01", "2026-02-28"], ["2026-03-01", "2026-07-31"]]
    # choosing another primary outcome, another subgroup and a robustness check with a window
    form_post(
        client,
        trial,
        primary="referrals",
        subgroups=["dsl_experience", "timing"],
        robustness=["alternative_baseline"],
    )
    protocol = load_protocol(path)
    assert protocol.primary.name == "referrals"
    assert [s.name for s in protocol.subgroups] == ["timing", "dsl_experience"]
    earlier = protocol.robustness[0].settings["baseline_window"]
    assert earlier == ["2023-09-01", "2024-07-31"]
    assert AuditEvent.objects.filter(object_type="trials.trial", action="update").exists()


def test_bad_dates_are_form_errors(
    client: Client, sign_in: Callable[..., Client], evaluator: User, world: dict[str, object]
) -> None:
    trial = new_trial(world, evaluator)
    sign_in(client, evaluator)
    response = form_post(client, trial, **{"window_start-month": "13"})
    assert response.status_code == 200
    assert response.context["form"].errors["window_start"] == [
        MSG_DATE_REAL.format(subject="First day of the outcome window")
    ]
    response = form_post(client, trial, window_end="2025-08-01")
    assert response.context["form"].errors["window_end"] == [
        MSG_ENDS_BEFORE.format(what="outcome window")
    ]
    response = form_post(client, trial, baseline_end="2025-10-01")
    assert MSG_BASELINE_AFTER in response.context["form"].errors["baseline_end"]
    assert "There is a problem" in response.content.decode()
    assert not files.protocol_path(trial).exists()


def test_toml_edited_directly_is_checked_by_the_clis_checker(
    client: Client, sign_in: Callable[..., Client], evaluator: User, world: dict[str, object]
) -> None:
    trial = new_trial(world, evaluator)
    sign_in(client, evaluator)
    url = reverse("trials:trial_protocol_toml", kwargs={"pk": trial.pk})
    text = client.get(url).context["form"].initial["text"]
    broken = text.replace('method = "alternating"', 'method = "coin"').replace(
        'window = ["2021-09-01", "2022-07-31"]', 'window = ["2021-09-01", "2021-07-31"]', 1
    )
    response = client.post(url, {"text": broken})
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert any("randomisation.method: 'coin' must be one of" in e for e in errors)
    assert any("outcome[0].window: ends (2021-07-31) before it starts" in e for e in errors)
    assert "govuk-error-summary" in response.content.decode()
    assert not files.protocol_path(trial).exists()
    response = client.post(url, {"text": "[trial\nname ="})
    assert "is not valid TOML" in str(response.context["form"].non_field_errors())
    response = client.post(url, {"text": text})
    assert "public_draw and public_draw_numbers: give both" in str(
        response.context["form"].non_field_errors()
    )  # the template's draw (2021) is not offered: each trial names its own
    named = text.replace('public_draw = ""', 'public_draw = "Lotto, Saturday 3 October 2026"')
    response = client.post(url, {"text": named.replace("hochberg", "holm", 1)})
    assert response.status_code == 302
    assert parse_protocol(tomllib.loads(files.protocol_path(trial).read_text())).name


# The lock


def test_lock_writes_units_and_records_the_hash(
    client: Client,
    sign_in: Callable[..., Client],
    evaluator: User,
    world: dict[str, object],
    places: dict[str, LocalAuthority],
) -> None:
    trial = new_trial(world, evaluator)
    sign_in(client, evaluator)
    form_post(client, trial)
    lock_url = reverse("trials:trial_lock", kwargs={"pk": trial.pk})
    assert "You cannot undo this" in client.get(lock_url).content.decode()
    response = client.post(lock_url)
    assert response.status_code == 302
    trial.refresh_from_db()
    content = files.protocol_path(trial).read_bytes()
    assert trial.stage == Trial.Stage.LOCKED
    assert trial.protocol_sha256 == hashlib.sha256(content).hexdigest()
    assert trial.locked_at is not None
    status = protocol_status(files.protocol_path(trial))
    assert status.state == "locked"
    assert trial.ledger_head == status.ledger_head.sha256
    units = read_units(files.units_path(trial))
    assert list(units.columns) == list(services.UNIT_COLUMNS)
    assert sorted(units["urn"].astype(int)) == sorted(s.urn for s in world["schools"])
    page = client.get(reverse("trials:trial_detail", kwargs={"pk": trial.pk}))
    assert trial.protocol_sha256 in page.content.decode()
    # no more changes
    response = form_post(client, trial, name="Changed")
    assert response.status_code == 200
    assert files.protocol_path(trial).read_bytes() == content
    schools = reverse("trials:trial_schools", kwargs={"pk": trial.pk})
    assert client.post(schools, {"schools": []}).status_code == 302
    assert trial.units.count() == 12
    with pytest.raises(TrialError, match="locked"):
        services.trial_schools_set(trial=trial, schools=[], by=evaluator)
    # everyone who sees the trial may read the locked protocol
    sign_in(client, make(RoleName.LA_ANALYST, places["other_la"], username="eastvale_analyst"))
    page = client.get(reverse("trials:trial_protocol", kwargs={"pk": trial.pk})).content.decode()
    assert trial.protocol_sha256 in page
    assert 'registration = "ISRCTN12345678"' in page.replace("&quot;", '"')


def test_lock_needs_schools_a_public_draw_and_fsm(
    client: Client, sign_in: Callable[..., Client], evaluator: User, world: dict[str, object]
) -> None:
    trial = services.trial_create(
        name="Both", programmes=world["programmes"].values(), by=evaluator
    )
    with pytest.raises(TrialError, match=services.MSG_NO_PROTOCOL):
        services.trial_lock(trial=trial, by=evaluator)
    sign_in(client, evaluator)
    form_post(client, trial)
    with pytest.raises(TrialError, match="at least 2 schools"):
        services.trial_lock(trial=trial, by=evaluator)
    unknown = world["schools"][0]
    unknown.pct_fsm = None
    unknown.save()
    services.trial_schools_set(trial=trial, schools=world["schools"], by=evaluator)
    with pytest.raises(TrialError, match=r"1 chosen school\(s\) have no % FSM"):
        services.trial_lock(trial=trial, by=evaluator)
    services.trial_schools_set(trial=trial, schools=world["schools"][1:], by=evaluator)
    text = files.protocol_path(trial).read_text()
    without_draw = "\n".join(
        line for line in text.splitlines() if not line.startswith("public_draw")
    )
    services.trial_protocol_save(trial=trial, text=without_draw, by=evaluator)
    response = client.post(reverse("trials:trial_lock", kwargs={"pk": trial.pk}))
    assert response.status_code == 200
    assert "committing the randomisation needs [randomisation] public_draw" in (
        response.content.decode()
    )
    trial.refresh_from_db()
    assert trial.stage == Trial.Stage.DRAFT


def test_a_lock_whose_database_step_failed_is_recorded_on_the_next_attempt(
    client: Client,
    sign_in: Callable[..., Client],
    evaluator: User,
    world: dict[str, object],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    trial = new_trial(world, evaluator)
    sign_in(client, evaluator)
    form_post(client, trial)
    record = services._lock_record
    monkeypatch.setattr(
        services, "_lock_record", lambda **_: (_ for _ in ()).throw(RuntimeError("down"))
    )
    with pytest.raises(RuntimeError):
        services.trial_lock(trial=trial, by=evaluator)
    trial.refresh_from_db()
    assert trial.stage == Trial.Stage.DRAFT
    monkeypatch.setattr(services, "_lock_record", record)
    services.trial_schools_set(trial=trial, schools=world["schools"][:4], by=evaluator)
    with pytest.raises(TrialError, match="locked with another set of schools"):
        services.trial_lock(trial=trial, by=evaluator)
    services.trial_schools_set(trial=trial, schools=world["schools"], by=evaluator)
    trial = services.trial_lock(trial=trial, by=evaluator)
    assert trial.stage == Trial.Stage.LOCKED
    assert len(ledger(trial, "protocol_lock")) == 1
    assert trial.protocol_sha256 == protocol_status(files.protocol_path(trial)).sha256


# Randomisation


def test_randomise_enrols_both_arms_once(
    client: Client, sign_in: Callable[..., Client], evaluator: User, world: dict[str, object]
) -> None:
    sign_in(client, evaluator)
    trial = locked_trial(world, evaluator, client)
    url = reverse("trials:trial_randomise", kwargs={"pk": trial.pk})
    page = client.get(url).content.decode()
    assert "UK National Lottery Lotto draw of Saturday 3 October 2026" in page
    response = client.post(url, {"draw": "4 15 23"})
    assert "gives 7 number(s)" in str(response.context["form"].non_field_errors())
    response = client.post(url, {"draw": DRAW})
    assert response.status_code == 302
    trial.refresh_from_db()
    assert trial.stage == Trial.Stage.RANDOMISED
    assert trial.randomised_at is not None
    verified = verify_allocation(files.allocation_path(trial))
    assert trial.ledger_head == verified.head.sha256
    allocation = read_units(files.allocation_path(trial)).set_index("urn")
    enrolments = Enrolment.objects.filter(school__in=world["schools"]).select_related(
        "school", "programme__authority"
    )
    assert enrolments.count() == 12
    for enrolment in enrolments:
        row = allocation.loc[str(enrolment.school.urn)]
        assert enrolment.programme.authority == enrolment.school.authority
        assert (enrolment.arm, enrolment.block) == (row["arm"], row["block"])
        assert enrolment.random_number == pytest.approx(float(row["random_number"]))
        assert enrolment.allocation_order == int(row["order"])
    for block in {e.block for e in enrolments}:  # alternating: balanced within one school
        arms = [e.arm for e in enrolments if e.block == block]
        assert abs(arms.count("treatment") - arms.count("control")) <= 1
    page = client.get(reverse("trials:trial_detail", kwargs={"pk": trial.pk})).content.decode()
    assert trial.ledger_head in page
    assert f"threshold randomise verify {files.allocation_path(trial)}" in page
    assert "Record withdrawal" in page
    # twice is refused
    response = client.post(url, {"draw": DRAW})
    assert "one lock randomises once" in str(response.context["form"].non_field_errors())
    with pytest.raises(TrialError, match="one lock randomises once"):
        services.trial_randomise(trial=trial, draw=DRAW, by=evaluator)
    assert len(ledger(trial, "randomisation")) == 1
    event = AuditEvent.objects.filter(object_type="trials.trial").order_by("sequence").last()
    assert event.detail["public_draw"] == [4, 15, 23, 31, 38, 42, 7]
    arms = [e.arm for e in enrolments]
    assert event.detail["arms"] == {a: arms.count(a) for a in ("treatment", "control")}


def test_a_crash_between_files_and_database_is_completed_on_the_next_visit(
    client: Client,
    sign_in: Callable[..., Client],
    evaluator: User,
    world: dict[str, object],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sign_in(client, evaluator)
    trial = locked_trial(world, evaluator, client)
    calls = []

    def dies_once(**kwargs: object) -> object:
        calls.append(kwargs)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        return enrolments_import(**kwargs)

    monkeypatch.setattr(services, "enrolments_import", dies_once)
    with pytest.raises(RuntimeError, match="went away"):
        services.trial_randomise(trial=trial, draw=DRAW, by=evaluator)
    trial.refresh_from_db()
    assert trial.stage == Trial.Stage.LOCKED
    assert not Enrolment.objects.filter(school__in=world["schools"]).exists()
    assert files.allocation_path(trial).exists()
    verify_allocation(files.allocation_path(trial))
    page = client.get(reverse("trials:trial_detail", kwargs={"pk": trial.pk}))
    assert "now enrolled from the verified allocation" in page.content.decode()
    trial.refresh_from_db()
    assert trial.stage == Trial.Stage.RANDOMISED
    assert Enrolment.objects.filter(school__in=world["schools"]).count() == 12
    allocation = read_units(files.allocation_path(trial)).set_index("urn")
    for enrolment in Enrolment.objects.filter(school__in=world["schools"]).select_related("school"):
        assert enrolment.arm == allocation.loc[str(enrolment.school.urn), "arm"]
    assert len(ledger(trial, "randomisation")) == 1


def test_a_crash_is_completed_by_randomising_again_without_a_new_draw(
    evaluator: User,
    world: dict[str, object],
    client: Client,
    sign_in: Callable[..., Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sign_in(client, evaluator)
    trial = locked_trial(world, evaluator, client)
    monkeypatch.setattr(
        services, "enrolments_import", lambda **_: (_ for _ in ()).throw(RuntimeError("down"))
    )
    with pytest.raises(RuntimeError):
        services.trial_randomise(trial=trial, draw=DRAW, by=evaluator)
    monkeypatch.setattr(services, "enrolments_import", enrolments_import)
    first = files.allocation_path(trial).read_bytes()
    services.trial_randomise(trial=trial, draw="1 2 3 4 5 6 7", by=evaluator)
    assert files.allocation_path(trial).read_bytes() == first
    trial.refresh_from_db()
    assert trial.stage == Trial.Stage.RANDOMISED


def test_a_tampered_allocation_is_not_recorded(
    evaluator: User,
    world: dict[str, object],
    client: Client,
    sign_in: Callable[..., Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sign_in(client, evaluator)
    trial = locked_trial(world, evaluator, client)
    monkeypatch.setattr(
        services, "enrolments_import", lambda **_: (_ for _ in ()).throw(RuntimeError("down"))
    )
    with pytest.raises(RuntimeError):
        services.trial_randomise(trial=trial, draw=DRAW, by=evaluator)
    path = files.allocation_path(trial)
    path.write_text(path.read_text().replace("treatment", "control", 1))
    with pytest.raises(InputError):
        verify_allocation(path)
    page = client.get(reverse("trials:trial_detail", kwargs={"pk": trial.pk}))
    assert "has been edited since it was randomised" in page.content.decode()
    trial.refresh_from_db()
    assert trial.stage == Trial.Stage.LOCKED


# Withdrawals


def test_withdrawal_is_recorded_checked_and_listed(
    evaluator: User, world: dict[str, object], client: Client, sign_in: Callable[..., Client]
) -> None:
    sign_in(client, evaluator)
    trial = locked_trial(world, evaluator, client)
    trial = services.trial_randomise(trial=trial, draw=DRAW, by=evaluator)
    school = world["schools"][2]
    url = reverse("trials:trial_withdraw", kwargs={"pk": trial.pk, "urn": school.urn})
    today = timezone.localdate()
    response = client.post(
        url,
        {
            **date_fields("withdrawn_on", today + dt.timedelta(days=3)),
            "withdrawal_reason": "The DSL left",
        },
    )
    assert services.MSG_WITHDRAWN_FUTURE in str(response.context["form"].non_field_errors())
    response = client.post(
        url,
        {**date_fields("withdrawn_on", today), "withdrawal_reason": "Mrs Khan, the head, said no"},
    )
    assert "This may identify someone" in response.content.decode()
    enrolment = Enrolment.objects.get(school=school)
    assert enrolment.withdrawn_on is None
    finding = response.context["form"].fields["confirm"].choices[0][0]
    response = client.post(
        url,
        {
            **date_fields("withdrawn_on", today),
            "withdrawal_reason": "Mrs Khan, the head, said no",
            "confirm": [finding],
        },
    )
    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.withdrawn_on == today
    assert enrolment.withdrawal_reason == "Mrs Khan, the head, said no"
    event = AuditEvent.objects.filter(object_type="programme.enrolment").order_by("sequence").last()
    assert event.school_urn == school.urn
    assert event.detail["confirmed_not_identifying"] == [
        {"field": "withdrawal_reason", "kind": "NAME"}
    ]
    page = client.get(reverse("trials:trial_detail", kwargs={"pk": trial.pk})).content.decode()
    assert "Withdrawals (1)" in page
    assert "Mrs Khan, the head, said no" in page
    with pytest.raises(TrialError, match="withdrew on"):
        services.trial_withdraw(
            trial=trial, school=school, withdrawn_on=today, reason="Again", by=evaluator
        )


def test_withdrawal_needs_a_randomised_trial(evaluator: User, world: dict[str, object]) -> None:
    trial = new_trial(world, evaluator)
    with pytest.raises(TrialError, match=services.MSG_NOT_RANDOMISED):
        services.trial_withdraw(
            trial=trial,
            school=world["schools"][0],
            withdrawn_on=timezone.localdate(),
            reason="Left",
            by=evaluator,
        )


def test_the_form_offers_only_analyses_the_service_s_records_support(
    client: Client, sign_in: Callable[..., Client], evaluator: User, world: dict[str, object]
) -> None:
    """The service keeps no urban/rural flag, Ofsted rating, % EAL or % SEN support: the
    template's urban subgroup and its school-characteristics check are neither drafted nor
    offered; the secondary outcomes are chosen, and the primary is always kept."""
    trial = new_trial(world, evaluator)
    sign_in(client, evaluator)
    page = client.get(reverse("trials:trial_protocol", kwargs={"pk": trial.pk}))
    form = page.context["form"]
    assert "urban" not in dict(form.fields["subgroups"].choices)
    assert "school_characteristics" not in dict(form.fields["robustness"].choices)
    assert "dsl_experience" in dict(form.fields["subgroups"].choices)
    assert "urban" not in form.initial["subgroups"]
    response = form_post(client, trial, secondary=["referrals", "nfa_contacts"])
    assert response.status_code == 302
    protocol = load_protocol(files.protocol_path(trial))
    assert [(o.name, o.role) for o in protocol.outcomes] == [
        ("nfa_contacts", "primary"),
        ("referrals", "secondary"),
    ]
    again = client.get(reverse("trials:trial_protocol", kwargs={"pk": trial.pk}))
    assert again.context["form"].initial["secondary"] == ["referrals"]
