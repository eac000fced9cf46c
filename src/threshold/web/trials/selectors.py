"""Reads of trials: which a user sees and may change (evaluators everywhere, LA staff the trials
of their LA's programmes; managing a trial needs the permission in every LA it spans), and for
setting one up: the schools that may be chosen, the allocation (the trial's enrolments),
withdrawals, the blocks the design will have and the protocol's state on file."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet

from threshold.model import InputError
from threshold.trial import LedgerHead, protocol_status
from threshold.web.accounts.authorisation import has_permission, holds_everywhere
from threshold.web.accounts.permissions import Permission
from threshold.web.organisations.models import LocalAuthority, School, SchoolStatus
from threshold.web.programme.models import Enrolment
from threshold.web.trials import files
from threshold.web.trials.models import Trial


def trial_authorities(trial: Trial) -> list[LocalAuthority]:
    """The LAs whose programmes the trial evaluates."""
    return list(LocalAuthority.objects.filter(programmes__trials=trial).distinct())


def trial_list(*, user: AbstractBaseUser) -> QuerySet[Trial]:
    """The trials `user` may see: all with `trials.view` everywhere, else those touching an LA
    where they hold it."""
    trials = Trial.objects.prefetch_related("programmes__authority")
    if holds_everywhere(user, Permission.TRIALS_VIEW):
        return trials
    places = [
        la.pk
        for la in LocalAuthority.objects.filter(programmes__trials__isnull=False).distinct()
        if has_permission(user, Permission.TRIALS_VIEW, authority=la)
    ]
    return trials.filter(programmes__authority__in=places).distinct()


def trial_allows(user: AbstractBaseUser, trial: Trial, permission: Permission) -> bool:
    """Whether `user` holds `permission` for `trial`: everywhere, or in every LA it spans (a
    trial with no programme yet: everywhere only). `trials.view` needs one of its LAs."""
    if holds_everywhere(user, permission):
        return True
    places = trial_authorities(trial)
    held = [has_permission(user, permission, authority=la) for la in places]
    if permission is Permission.TRIALS_VIEW:
        return any(held)
    return bool(held) and all(held)


@dataclass(frozen=True)
class Candidate:
    """A school of the trial's LAs: whether it is chosen, and why it cannot be (if so)."""

    school: School
    chosen: bool
    refusal: str = ""


def trial_candidates(trial: Trial) -> list[Candidate]:
    """Every open school of the trial's LAs, with those already enrolled in the LA's programme
    marked (they cannot be randomised again)."""
    programmes = list(trial.programmes.select_related("authority"))
    enrolled = {
        e.school_id: e
        for e in Enrolment.objects.filter(programme__in=programmes).select_related("programme")
    }
    chosen = set(trial.units.values_list("school_id", flat=True))
    schools = (
        School.objects.filter(
            authority__in=[p.authority_id for p in programmes], status=SchoolStatus.OPEN
        )
        .select_related("authority")
        .order_by("authority__name", "name")
    )
    return [
        Candidate(
            school,
            school.pk in chosen,
            f"Already enrolled in {enrolled[school.pk].programme} "
            f"({enrolled[school.pk].get_arm_display().lower()})"
            if school.pk in enrolled
            else "",
        )
        for school in schools
    ]


def trial_schools(trial: Trial) -> QuerySet[School]:
    """The schools chosen for the trial."""
    return School.objects.filter(trial_units__trial=trial).select_related("authority")


def design_blocks(trial: Trial) -> int:
    """Blocks of the evaluation's design for the chosen schools: LA × high/low % FSM."""
    authorities = {s.authority_id for s in trial_schools(trial)} or {
        p.authority_id for p in trial.programmes.all()
    }
    return 2 * len(authorities)


def trial_allocation(trial: Trial) -> QuerySet[Enrolment]:
    """The trial's allocation: the enrolments of its schools in its programmes."""
    return (
        Enrolment.objects.filter(
            programme__in=trial.programmes.all(), school__trial_units__trial=trial
        )
        .select_related("school__authority", "programme")
        .order_by("school__authority__name", "block", "allocation_order")
    )


def trial_withdrawals(trial: Trial) -> QuerySet[Enrolment]:
    """The trial's schools that withdrew, earliest first."""
    return trial_allocation(trial).filter(withdrawn_on__isnull=False).order_by("withdrawn_on")


@dataclass(frozen=True)
class ProtocolOnFile:
    """The protocol's state in the trial's folder (`state` as `threshold protocol status`:
    locked, unlocked, altered; `missing` when not saved yet; `broken` with the problem)."""

    state: str
    sha256: str = ""
    locked_at: str | None = None
    head: LedgerHead | None = None
    problem: str = ""


def protocol_on_file(trial: Trial) -> ProtocolOnFile:
    path = files.protocol_path(trial)
    if not path.exists():
        return ProtocolOnFile("missing")
    try:
        status = protocol_status(path)
    except InputError as error:
        return ProtocolOnFile("broken", problem=str(error))
    return ProtocolOnFile(status.state, status.sha256, status.locked_at, status.ledger_head)
