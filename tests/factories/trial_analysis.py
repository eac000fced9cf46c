"""A trial built from a synthetic world: its LAs, schools, programmes and allocation in the
database, the protocol written (and locked) in the trial's folder, and each LA's messy exports
imported through the service's front door (so every store has a recorded version)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from threshold.frontdoor import load_profile
from threshold.pipeline import build_world
from threshold.synth import MESSY_PROFILE, World, WorldConfig
from threshold.trial import lock_protocol, template
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.accounts.services import membership_grant, user_create
from threshold.web.insights.services import frontdoor_import
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.programme.models import Enrolment, Programme
from threshold.web.trials.files import protocol_path
from threshold.web.trials.models import Trial, TrialSchool

PASSWORD = "correct horse battery staple"


def small_world(directory: Path) -> tuple[World, Path]:
    """The smallest synthetic world (44 schools in 11 LAs) with each LA's messy exports."""
    built, _ = build_world(WorldConfig(seed=11, n_schools=44), directory, messy=True)
    return built, directory / "messy"


def primary_only_protocol() -> str:
    """The evaluation's protocol with its primary outcome only (the service holds no urban or
    rural flag, and this world's survey is too small for the secondary outcomes)."""
    text = template()
    return text[: text.index('[[outcome]]\nname = "contacts"')]


def write_protocol(trial: Trial, *, lock: bool) -> Path:
    path = protocol_path(trial)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(primary_only_protocol(), encoding="utf-8")
    if lock:
        lock_protocol(path, software="threshold test")
        trial.stage = Trial.Stage.LOCKED
        trial.save()
    return path


def evaluator(username: str = "eva") -> User:
    user = user_create(username=username, password=PASSWORD, by="test")
    user.email = f"{username}@example.org"
    user.save()
    membership_grant(user=user, role=RoleName.EVALUATOR, by="test")
    return user


def world_programmes(world: tuple[World, Path]) -> list[Programme]:
    """The world's LAs that sent front-door exports, their schools (with pupils on roll and
    % FSM) and each LA's 2021/22 programme, in the database: nothing enrolled yet."""
    tables = world[0].tables
    exported = {path.stem.removeprefix("contacts_") for path in world[1].glob("contacts_*.csv")}
    programmes = []
    for la in tables["local_authorities"].itertuples():
        if la.la_code not in exported:  # an LA without front-door data is left out
            continue
        authority = LocalAuthority.objects.create(la_code=la.la_code, name=la.la_name)
        programmes.append(
            Programme.objects.create(
                authority=authority,
                school_year="2021/22",
                starts_on=dt.date(2021, 9, 1),
                ends_on=dt.date(2022, 7, 31),
            )
        )
    for school in tables["schools"].itertuples():
        if school.la_code in exported:
            School.objects.create(
                urn=school.urn,
                name=school.name,
                authority=LocalAuthority.objects.get(la_code=school.la_code),
                phase=school.phase,
                pupils_on_roll=school.pupils_on_roll,
                pct_fsm=school.pct_fsm,
            )
    return programmes


def import_world_exports(world: tuple[World, Path], authority: LocalAuthority) -> None:
    """The LA's messy contacts export (through the synthetic world's profile) and its SSD
    referrals extract, if it has one, imported through the service's front door."""
    code = authority.la_code
    frontdoor_import(
        authority=authority,
        path=world[1] / f"contacts_{code}.csv",
        format="mapped",
        profile=load_profile(MESSY_PROFILE),
        by="test",
    )
    referrals = world[1] / f"referrals_{code}.csv"
    if referrals.is_file():
        frontdoor_import(authority=authority, path=referrals, format="ssd", by="test")


def world_trial(world: tuple[World, Path], *, lock: bool = True, imports: bool = True) -> Trial:
    """The world's LAs, schools, programmes and allocation in the database, as one trial of
    all its schools, its protocol written (and locked), each LA's exports imported."""
    trial = Trial.objects.create(name="Synthetic trial", created_by=evaluator())
    trial.programmes.set(world_programmes(world))
    allocations = world[0].tables["allocations"].set_index("urn")
    for saved in School.objects.select_related("authority"):
        TrialSchool.objects.create(trial=trial, school=saved)
        allocated = allocations.loc[saved.urn]
        Enrolment.objects.create(
            programme=saved.authority.programmes.get(),
            school=saved,
            arm=allocated["arm"],
            block=allocated["block"],
            random_number=allocated["random_number"],
            allocation_order=allocated["order"],
            withdrawn_on=None if pd.isna(allocated["withdrawn_on"]) else allocated["withdrawn_on"],
        )
    write_protocol(trial, lock=lock)
    if imports:
        for authority in LocalAuthority.objects.all():
            import_world_exports(world, authority)
    return trial
