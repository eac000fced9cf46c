"""Writes of a trial, from creation to randomisation and withdrawals. Each is audited.

The protocol, units, allocation and ledger are files in the trial's folder, kept as the CLI
keeps them (`threshold.web.trials.files`), written by the core's own functions: so
`threshold protocol status` and `threshold randomise verify` check what the service did.

Locking and randomising write files (the ledger is append-only) and then the database. Files
cannot join a database transaction, so each of these is done in that order and made resumable:
when the files are written and the database step fails, the next attempt (or the trial page's
next visit, `trial_randomisation_resume`) completes the database from the verified files,
never by locking or randomising again."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import tomllib
from collections.abc import Collection, Iterable
from importlib.metadata import version
from pathlib import Path

import pandas as pd
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from threshold.model import InputError
from threshold.trial import (
    lock_protocol,
    parse_protocol,
    protocol_status,
    randomise_committed,
    read_units,
    verify_allocation,
)
from threshold.web.accounts.authorisation import has_permission
from threshold.web.accounts.permissions import Permission
from threshold.web.audit.models import AuditAction
from threshold.web.audit.services import Actor, record_event, target_of
from threshold.web.organisations.models import School, SchoolStatus
from threshold.web.programme.models import Enrolment, Programme
from threshold.web.programme.services import ProgrammeError, enrolments_import
from threshold.web.supervision.services import check_texts, confirmations_detail
from threshold.web.trials import files
from threshold.web.trials.models import Trial, TrialSchool

MSG_NAME = "Enter the trial's name"
MSG_NO_PROGRAMMES = "Choose the programme of at least one local authority"
MSG_ONE_PER_LA = "Choose one programme per local authority: {authority} has more than one ({years})"
MSG_NOT_YOURS = "You cannot run a trial in {authority}: choose only your LA's programmes"
MSG_NOT_DRAFT = "The trial's protocol is locked: {what} can no longer be changed"
MSG_NOT_IN_TRIAL_LA = (
    "{school} is in {authority}, which has no programme in this trial: add only schools of "
    "the trial's local authorities"
)
MSG_CLOSED = "{school} is closed: a closed school cannot be randomised"
MSG_ENROLLED = (
    "{school} is already enrolled in {programme} (arm {arm}), so it cannot be randomised again"
)
MSG_TOO_FEW_SCHOOLS = "Choose at least 2 schools before locking the protocol"
MSG_NO_PROTOCOL = "Save the protocol before locking it"
MSG_MISSING_CHARACTERISTIC = (
    "{count} chosen school(s) have no {what} (for example {school}), which the protocol's "
    "randomisation needs: correct the register (GIAS import) or leave them out"
)
MSG_LOCKED_OTHER_SCHOOLS = (
    "The protocol was locked with another set of schools ({units}); choose the schools that "
    "were locked, or amend the protocol with the CLI"
)
MSG_NOT_LOCKED = "Lock the protocol before randomising"
MSG_ALREADY_RANDOMISED = "The trial was randomised on {when}: one lock randomises once"
MSG_NOT_RANDOMISED = "Schools can withdraw only after the trial is randomised"
MSG_NOT_ALLOCATED = "{school} was not allocated in this trial"
MSG_ALREADY_WITHDRAWN = "{school} withdrew on {date} already"
MSG_WITHDRAWN_FUTURE = "The withdrawal date must be today or earlier"
MSG_WITHDRAWN_EARLY = "The withdrawal date must be on or after the randomisation ({date})"
MSG_REASON = "Say why the school withdrew"
MSG_NO_PROGRAMME_FOR = "{school} is in {authority}, which has no programme in this trial"

UNIT_COLUMNS = ("urn", "la_code", "phase", "pupils_on_roll", "pct_fsm")
"""The units file's columns: what the evaluation's randomisation (and its checks) use."""
CHARACTERISTIC_NAMES = {"pupils_on_roll": "pupils on roll", "pct_fsm": "% FSM", "phase": "phase"}


class TrialError(ValueError):
    """A trial write that cannot be done as asked; the message says why and the fix."""


def software() -> str:
    """What the ledger records as the software that locked or randomised."""
    return f"threshold {version('threshold')} (web)"


def _where(trial: Trial) -> dict[str, object]:
    codes = sorted({p.authority.la_code for p in trial.programmes.select_related("authority")})
    return {"authority_code": codes[0] if len(codes) == 1 else ""}


def _audit(trial: Trial, action: AuditAction, by: Actor, **detail: object) -> None:
    record_event(by=by, action=action, **target_of(trial), **_where(trial), detail=detail)


def _require_draft(trial: Trial, what: str) -> None:
    if trial.stage != Trial.Stage.DRAFT:
        raise TrialError(MSG_NOT_DRAFT.format(what=what))


@transaction.atomic
def trial_create(*, name: str, programmes: Iterable[Programme], by: AbstractBaseUser) -> Trial:
    """A draft trial of `programmes` (one per LA, each in an LA where `by` manages trials)."""
    name = name.strip()
    if not name:
        raise TrialError(MSG_NAME)
    chosen = list(programmes)
    if not chosen:
        raise TrialError(MSG_NO_PROGRAMMES)
    by_authority: dict[int, list[Programme]] = {}
    for programme in chosen:
        by_authority.setdefault(programme.authority_id, []).append(programme)
    for same in by_authority.values():
        if len(same) > 1:
            years = ", ".join(sorted(p.school_year for p in same))
            raise TrialError(
                MSG_ONE_PER_LA.format(authority=same[0].authority.shown_name, years=years)
            )
    for programme in chosen:
        if not has_permission(by, Permission.TRIALS_MANAGE, authority=programme.authority):
            raise TrialError(MSG_NOT_YOURS.format(authority=programme.authority.shown_name))
    trial = Trial.objects.create(name=name, created_by=by)
    trial.programmes.set(chosen)
    _audit(trial, AuditAction.CREATE, by, name=name, programmes=[str(p) for p in chosen])
    return trial


def trial_programme(trial: Trial, school: School) -> Programme | None:
    """The trial's programme in the school's LA."""
    return next((p for p in trial.programmes.all() if p.authority_id == school.authority_id), None)


@transaction.atomic
def trial_schools_set(*, trial: Trial, schools: Iterable[School], by: Actor) -> Trial:
    """Choose the trial's schools (replacing the choice): open schools of its LAs not already
    enrolled in the LA's programme. Only while the protocol is a draft."""
    _require_draft(trial, "the schools")
    chosen = list(schools)
    programmes = {p.authority_id: p for p in trial.programmes.select_related("authority")}
    enrolled = {
        e.school_id: e
        for e in Enrolment.objects.filter(
            programme__in=programmes.values(), school__in=chosen
        ).select_related("programme__authority")
    }
    for school in chosen:
        if school.authority_id not in programmes:
            raise TrialError(
                MSG_NOT_IN_TRIAL_LA.format(school=school, authority=school.authority.shown_name)
            )
        if school.status == SchoolStatus.CLOSED:
            raise TrialError(MSG_CLOSED.format(school=school))
        if school.pk in enrolled:
            enrolment = enrolled[school.pk]
            raise TrialError(
                MSG_ENROLLED.format(school=school, programme=enrolment.programme, arm=enrolment.arm)
            )
    before = set(trial.units.values_list("school__urn", flat=True))
    after = {school.urn for school in chosen}
    trial.units.exclude(school__in=chosen).delete()
    TrialSchool.objects.bulk_create(
        [TrialSchool(trial=trial, school=s) for s in chosen if s.urn not in before]
    )
    if before != after:
        _audit(
            trial,
            AuditAction.UPDATE,
            by,
            schools=len(after),
            added=sorted(after - before),
            removed=sorted(before - after),
        )
    return trial


def check_protocol_text(text: str) -> list[str]:
    """The problems the CLI's checker finds in a protocol's text (none: it is valid)."""
    try:
        parse_protocol(tomllib.loads(text), source="the protocol")
    except tomllib.TOMLDecodeError as error:
        return [f"The protocol is not valid TOML: {error}"]
    except InputError as error:
        first, *problems = str(error).split("\n- ")
        return problems or [first]
    return []


def _write_atomically(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(content)
    os.replace(partial, path)


@transaction.atomic
def trial_protocol_save(*, trial: Trial, text: str, by: Actor) -> Trial:
    """Save the protocol's text to the trial's folder if the CLI's checker passes it (else
    TrialError listing the problems, one a line). Only while it is a draft."""
    _require_draft(trial, "the protocol")
    problems = check_protocol_text(text)
    if problems:
        raise TrialError("\n".join(problems))
    content = text.replace("\r\n", "\n").encode("utf-8")
    path = files.protocol_path(trial)
    if path.exists() and path.read_bytes() == content:
        return trial
    _write_atomically(path, content)
    _audit(trial, AuditAction.UPDATE, by, protocol_sha256=_sha256(content))
    return trial


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def units_table(trial: Trial) -> pd.DataFrame:
    """The chosen schools as the units file holds them."""
    rows = [
        {
            "urn": unit.school.urn,
            "la_code": unit.school.authority.la_code,
            "phase": unit.school.phase,
            "pupils_on_roll": unit.school.pupils_on_roll,
            "pct_fsm": unit.school.pct_fsm,
        }
        for unit in trial.units.select_related("school__authority").order_by("school__urn")
    ]
    return pd.DataFrame(rows, columns=list(UNIT_COLUMNS))


def _units_bytes(units: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    units.astype({"pupils_on_roll": "Int64"}).to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue().encode("utf-8")


def _check_characteristics(trial: Trial, units: pd.DataFrame, needed: Collection[str]) -> None:
    for column in needed:
        if column in units.columns and units[column].isna().any():
            missing = units.loc[units[column].isna(), "urn"]
            school = trial.units.get(school__urn=int(missing.iloc[0])).school
            raise TrialError(
                MSG_MISSING_CHARACTERISTIC.format(
                    count=len(missing),
                    what=CHARACTERISTIC_NAMES.get(column, column),
                    school=school,
                )
            )


def trial_lock(*, trial: Trial, by: Actor) -> Trial:
    """Write the units file and lock the protocol with it (committing the randomisation), then
    record the lock. If the files were locked before but not recorded, record that lock."""
    _require_draft(trial, "the protocol")
    path, units_path = files.protocol_path(trial), files.units_path(trial)
    if not path.exists():
        raise TrialError(MSG_NO_PROTOCOL)
    units = units_table(trial)
    if len(units) < 2:
        raise TrialError(MSG_TOO_FEW_SCHOOLS)
    try:
        protocol = parse_protocol(tomllib.loads(path.read_text(encoding="utf-8")))
        spec = protocol.randomisation
        _check_characteristics(
            trial, units, [*spec.block_by, *filter(None, [spec.median_split, spec.cluster])]
        )
        content = _units_bytes(units)
        status = protocol_status(path)
        if status.state == "locked":  # by an earlier request whose database step failed
            if not units_path.exists() or units_path.read_bytes() != content:
                raise TrialError(MSG_LOCKED_OTHER_SCHOOLS.format(units=units_path))
        else:
            _write_atomically(units_path, content)
            lock_protocol(path, software=software(), units=units_path)
        status = protocol_status(path)
    except InputError as error:
        raise TrialError(str(error)) from None
    return _lock_record(
        trial=trial,
        status_sha=status.sha256,
        when=status.locked_at,
        head=status.ledger_head.sha256 if status.ledger_head else "",
        by=by,
    )


@transaction.atomic
def _lock_record(*, trial: Trial, status_sha: str, when: str | None, head: str, by: Actor) -> Trial:
    trial.stage = Trial.Stage.LOCKED
    trial.protocol_sha256 = status_sha
    trial.locked_at = dt.datetime.fromisoformat(when) if when else timezone.now()
    trial.ledger_head = head
    trial.save(update_fields=["stage", "protocol_sha256", "locked_at", "ledger_head"])
    _audit(trial, AuditAction.UPDATE, by, locked=status_sha, ledger_head=head)
    return trial


def randomised_on_file(trial: Trial) -> bool:
    """Whether the trial's folder holds a randomisation under its recorded lock (so the
    database must record it, and it must not be randomised again)."""
    path = files.protocol_path(trial)
    if not trial.protocol_sha256 or not path.exists():
        return False
    try:
        status = protocol_status(path)
    except InputError:
        return False
    bound = status.randomisation
    return bool(bound and bound.get("protocol_sha256") == trial.protocol_sha256)


def trial_randomise(*, trial: Trial, draw: str, by: Actor) -> Trial:
    """Randomise the locked units with the public draw's numbers (the files: allocation and
    ledger), verify the allocation, and enrol every school in its LA's programme with its arm
    (one transaction). Refused when the trial was randomised already."""
    if trial.stage == Trial.Stage.RANDOMISED:
        raise TrialError(MSG_ALREADY_RANDOMISED.format(when=trial.randomised_at))
    if trial.stage != Trial.Stage.LOCKED:
        raise TrialError(MSG_NOT_LOCKED)
    if randomised_on_file(trial):
        return trial_randomisation_resume(trial=trial, by=by)
    try:
        randomise_committed(
            files.units_path(trial),
            files.protocol_path(trial),
            draw=draw,
            out=files.allocation_path(trial),
            software=software(),
        )
    except InputError as error:
        raise TrialError(str(error)) from None
    return trial_randomisation_resume(trial=trial, by=by)


def trial_randomisation_resume(*, trial: Trial, by: Actor) -> Trial:
    """Record the verified allocation in the trial's folder: enrol each school and mark the
    trial randomised. Used right after randomising, and to finish a randomisation whose
    database step failed after its files were written."""
    try:
        verified = verify_allocation(files.allocation_path(trial))
        allocation = read_units(files.allocation_path(trial))
    except InputError as error:
        raise TrialError(str(error)) from None
    return _allocation_record(
        trial=trial,
        allocation=allocation,
        head=verified.head.sha256,
        draw=[int(n) for n in verified.entry.get("public_draw", [])],  # type: ignore[attr-defined]
        by=by,
    )


@transaction.atomic
def _allocation_record(
    *, trial: Trial, allocation: pd.DataFrame, head: str, draw: list[int], by: Actor
) -> Trial:
    trial = Trial.objects.select_for_update().get(pk=trial.pk)
    if trial.stage == Trial.Stage.RANDOMISED:
        return trial
    schools = {
        s.urn: s
        for s in School.objects.filter(urn__in=[int(u) for u in allocation["urn"]]).select_related(
            "authority"
        )
    }
    table = allocation.assign(withdrawn_on=None)
    groups: dict[int, list[int]] = {}
    for index, urn in enumerate(table["urn"]):
        school = schools[int(urn)]
        programme = trial_programme(trial, school)
        if programme is None:
            raise TrialError(
                MSG_NO_PROGRAMME_FOR.format(school=school, authority=school.authority.shown_name)
            )
        groups.setdefault(programme.pk, []).append(index)
    programmes = {p.pk: p for p in trial.programmes.select_related("authority")}
    try:
        for pk, rows in groups.items():
            enrolments_import(
                programme=programmes[pk], allocations=table.iloc[rows].reset_index(drop=True), by=by
            )
    except ProgrammeError as error:
        raise TrialError(str(error)) from None
    trial.stage = Trial.Stage.RANDOMISED
    trial.randomised_at = timezone.now()
    trial.ledger_head = head
    trial.save(update_fields=["stage", "randomised_at", "ledger_head"])
    arms = table["arm"].value_counts().to_dict()
    _audit(
        trial,
        AuditAction.UPDATE,
        by,
        randomised=True,
        public_draw=draw,
        ledger_head=head,
        arms={str(k): int(v) for k, v in arms.items()},
    )
    return trial


@transaction.atomic
def trial_withdraw(
    *,
    trial: Trial,
    school: School,
    withdrawn_on: dt.date,
    reason: str,
    confirmed: Collection[str] = (),
    by: Actor,
) -> Enrolment:
    """Record that a randomised school withdrew: the date and why (checked for identifying
    details). Its allocation stays: it is analysed in its arm."""
    if trial.stage != Trial.Stage.RANDOMISED:
        raise TrialError(MSG_NOT_RANDOMISED)
    programme = trial_programme(trial, school)
    enrolment = (
        Enrolment.objects.select_for_update()
        .select_related("school__authority")
        .filter(programme=programme, school=school, school__trial_units__trial=trial)
        .first()
    )
    if programme is None or enrolment is None:
        raise TrialError(MSG_NOT_ALLOCATED.format(school=school))
    if enrolment.withdrawn_on is not None:
        raise TrialError(
            MSG_ALREADY_WITHDRAWN.format(school=school, date=enrolment.withdrawn_on.isoformat())
        )
    if withdrawn_on > timezone.localdate():
        raise TrialError(MSG_WITHDRAWN_FUTURE)
    randomised = timezone.localdate(trial.randomised_at) if trial.randomised_at else None
    if randomised and withdrawn_on < randomised:
        raise TrialError(MSG_WITHDRAWN_EARLY.format(date=randomised.isoformat()))
    reason = reason.strip()
    if not reason:
        raise TrialError(MSG_REASON)
    confirmations = check_texts(Enrolment, {"withdrawal_reason": reason}, confirmed)
    enrolment.withdrawn_on = withdrawn_on
    enrolment.withdrawal_reason = reason
    enrolment.save(update_fields=["withdrawn_on", "withdrawal_reason"])
    record_event(
        by=by,
        action=AuditAction.UPDATE,
        **target_of(enrolment),
        authority_code=school.authority.la_code,
        school_urn=school.urn,
        detail={
            "trial": trial.pk,
            "withdrawn_on": withdrawn_on.isoformat(),
            **confirmations_detail(confirmations),
        },
    )
    return enrolment
