"""`seed-demo`'s trial: Northmoor's programme extended to its schools not yet in it, drafted
so that the demo evaluator can lock and randomise it; made once."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from threshold.trial import load_protocol
from threshold.web.programme.models import Enrolment
from threshold.web.trials import files, services
from threshold.web.trials.demo import NAME
from threshold.web.trials.models import Trial


@pytest.mark.django_db
def test_the_demo_trial_is_drafted_once_and_can_be_locked_and_randomised(
    settings: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.TRIALS_ROOT = tmp_path / "trials"
    settings.FRONTDOOR_STORE_ROOT = tmp_path / "frontdoor"
    monkeypatch.setenv("THRESHOLD_DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo", stdout=io.StringIO())
    trial = Trial.objects.get(name=NAME)
    assert (trial.stage, trial.created_by.username) == (Trial.Stage.DRAFT, "evaluator")
    chosen = {unit.school.urn for unit in trial.units.select_related("school")}
    enrolled = set(Enrolment.objects.values_list("school__urn", flat=True))
    assert len(chosen) == 10
    assert not chosen & enrolled
    protocol = load_protocol(files.protocol_path(trial))
    programme = trial.programmes.get()
    assert protocol.primary.window[0] == programme.starts_on.replace(month=9, day=1)
    call_command("seed_demo", stdout=io.StringIO())
    assert Trial.objects.count() == 1
    evaluator = trial.created_by
    services.trial_lock(trial=trial, by=evaluator)
    randomised = services.trial_randomise(trial=trial, draw="1 2 3 4 5 6 7", by=evaluator)
    assert randomised.stage == Trial.Stage.RANDOMISED
    arms = Enrolment.objects.filter(school__urn__in=chosen).values_list("arm", flat=True)
    assert sorted(set(arms)) == ["control", "treatment"]
