"""Randomising a units file with a record in the trial ledger, and verifying it later.

A trial is randomised under its locked protocol's commitment (`randomise_committed`): the lock
recorded the plan and the units file's SHA-256 before anyone could see an allocation, and the
seed is derived from those two hashes and the numbers of the public draw the plan names, held
after the lock. One lock randomises once; randomising again needs an amended plan with a new
draw, so it is always visible. `verify_allocation` recomputes the seed and the allocation from
the lock, never trusting the randomisation's own ledger line.

`randomise_file` is the exploratory, unbound mode for non-trial uses: the seed is chosen, and
nothing shows it was not chosen after looking. It is refused in a trial's ledger.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from threshold.model import InputError, neutralise_formulas
from threshold.trial.ledger import (
    PROTOCOL_LOCK,
    RANDOMISATION,
    LedgerHead,
    append_entry,
    chain_failures,
    head,
    ledger_path,
    read_entries,
    relative,
    sha256,
)
from threshold.trial.protocol import (
    PublicDraw,
    committing_lock,
    load_protocol,
    parse_protocol,
    protocol_status,
)
from threshold.trial.randomisation import RandomisationSpec, randomise, read_units

SEED_HEX_DIGITS = 16
"""The seed is the first 16 hex digits (64 bits) of the commitment's SHA-256, as a number."""

MSG_ALREADY_RANDOMISED = (
    "{path} was already randomised on {when} (seed {seed}, allocation {allocation}); "
    'randomising again is refused. If you must, rerun with --rerandomise --reason "…": '
    "the re-randomisation and its reason are recorded in {ledger}"
)
MSG_REASON_REQUIRED = '--rerandomise needs --reason "…" saying why the trial is randomised again'
MSG_TRIAL_LEDGER = (
    "{ledger} belongs to a trial whose locked protocol commits its randomisation; an "
    "exploratory (unbound) randomisation cannot be recorded there: choose another --out"
)
MSG_NOT_LOCKED = (
    "{protocol} is {state}: lock it with `threshold protocol lock {protocol} --units UNITS.csv` "
    "before randomising"
)
MSG_NO_COMMITMENT = (
    "{protocol} is locked without committing its randomisation: lock it with "
    "`threshold protocol lock {protocol} --units UNITS.csv` (an amendment, if it is already "
    "locked) before randomising, or randomise with --exploratory for a non-trial use"
)
MSG_BESIDE_PROTOCOL = (
    "the allocation must be written beside {protocol}, so that one ledger records the lock and "
    "the randomisation: use --out {suggested}"
)
MSG_UNITS_NOT_COMMITTED = (
    "{path} is not the units file committed when {protocol} was locked "
    "(SHA-256 {actual}, committed {committed}: {units})"
)
MSG_DRAW_COUNT = (
    "the public draw ({description}) gives {expected} number(s); {given!r} holds {count}"
)
MSG_COMMITMENT_USED = (
    "the lock of {protocol} (SHA-256 {sha}) was already used to randomise {allocation} on {when}; "
    "one lock randomises once. To randomise again, amend the protocol with a new public draw "
    '(`threshold protocol lock --amend --reason "…"`) and randomise under that lock'
)
MSG_NOT_IN_LEDGER = "{path} is not recorded in {ledger}; it was not made by `threshold randomise`"
MSG_OUTPUT_EDITED = (
    "{path} has been edited since it was randomised (SHA-256 {actual}, recorded {recorded})"
)
MSG_INPUT_CHANGED = (
    "the units table {input} has changed since randomisation "
    "(SHA-256 {actual}, recorded {recorded})"
)
MSG_INPUT_MISSING = (
    "the units table {input} recorded in the ledger is missing; "
    "it is needed to re-run the randomisation"
)
MSG_NOT_REPRODUCED = "re-running the committed randomisation does not reproduce {path}"
MSG_UNBOUND_IN_TRIAL = (
    "{path} was randomised without a commitment (exploratory), but this ledger's protocol lock "
    "commits the trial's randomisation"
)
MSG_NO_COMMITTING_LOCK = (
    "ledger entry {line} claims the commitment of protocol SHA-256 {sha}, but no lock before it "
    "commits a randomisation with that protocol"
)
MSG_LOCKED_TEXT = (
    "the protocol kept by the lock at ledger entry {line} does not match its SHA-256 or names "
    "no public draw"
)
MSG_INPUT_NOT_COMMITTED = (
    "the units randomised (SHA-256 {actual}) are not those the lock committed (SHA-256 {committed})"
)
MSG_SPEC_NOT_COMMITTED = (
    "the randomisation recorded ({recorded}) is not the locked plan's ({locked})"
)
MSG_SEED_NOT_COMMITTED = (
    "the seed recorded ({recorded}) is not the one the lock's commitment gives for the public "
    "draw {numbers} ({derived}): the allocation was not drawn under the commitment, or its "
    "ledger line was rewritten"
)
MSG_RANDOMISED_TWICE = (
    "ledger entry {line} randomises under the lock that entry {earlier} already used; "
    "one lock randomises once"
)


@dataclass(frozen=True)
class Randomised:
    allocation: pd.DataFrame
    entry: dict[str, object]
    path: Path
    head: LedgerHead


@dataclass(frozen=True)
class Verified:
    """A verified allocation: its ledger entry, the public draw whose numbers seeded it (None:
    an exploratory, unbound randomisation) and the ledger's head."""

    entry: dict[str, object]
    draw: PublicDraw | None
    head: LedgerHead


def derive_seed(protocol_sha256: str, units_sha256: str, numbers: Sequence[int]) -> int:
    """The committed seed: SHA-256 of the protocol's and the units file's SHA-256 and the draw's
    numbers, separated by single spaces, its first 16 hex digits read as a number."""
    message = " ".join([protocol_sha256, units_sha256, *map(str, numbers)])
    return int(sha256(message.encode())[:SEED_HEX_DIGITS], 16)


def draw_numbers(text: str, draw: PublicDraw) -> tuple[int, ...]:
    """The whole numbers in `text`, in order (anything else ignored, so "04, 10" and "4 10"
    agree), which must be as many as the draw gives."""
    numbers = tuple(int(n) for n in re.findall(r"\d+", text))
    if len(numbers) != draw.numbers:
        raise InputError(
            MSG_DRAW_COUNT.format(
                description=draw.description, expected=draw.numbers, given=text, count=len(numbers)
            )
        )
    return numbers


def randomise_committed(
    units_path: Path,
    protocol_path: Path,
    *,
    draw: str,
    out: Path,
    software: str,
    now: dt.datetime | None = None,
) -> Randomised:
    """Randomise the committed units by the locked plan, seeded by its commitment and the public
    draw's numbers (`draw`); write the allocation to `out` (beside the protocol) and record it."""
    protocol = load_protocol(protocol_path)
    status = protocol_status(protocol_path)
    if status.state != "locked":
        raise InputError(MSG_NOT_LOCKED.format(protocol=protocol_path, state=status.state))
    directory = protocol_path.parent
    lock = committing_lock(directory, status.sha256)
    if lock is None or protocol.public_draw is None:
        raise InputError(MSG_NO_COMMITMENT.format(protocol=protocol_path))
    if out.parent.resolve() != directory.resolve():
        raise InputError(
            MSG_BESIDE_PROTOCOL.format(protocol=protocol_path, suggested=directory / out.name)
        )
    units_hash = sha256(units_path.read_bytes()) if units_path.is_file() else "missing"
    if units_hash != lock["units_sha256"]:
        raise InputError(
            MSG_UNITS_NOT_COMMITTED.format(
                path=units_path,
                protocol=protocol_path,
                actual=units_hash[:12],
                committed=str(lock["units_sha256"])[:12],
                units=lock["units"],
            )
        )
    earlier = read_entries(directory, RANDOMISATION)
    used = [e for e in earlier if e.get("protocol_sha256") == lock["sha256"]]
    if used:
        raise InputError(
            MSG_COMMITMENT_USED.format(
                protocol=protocol_path,
                sha=str(lock["sha256"])[:12],
                allocation=used[0]["allocation"],
                when=used[0]["created"],
            )
        )
    numbers = draw_numbers(draw, protocol.public_draw)
    seed = derive_seed(str(lock["sha256"]), str(lock["units_sha256"]), numbers)
    record = {
        "protocol": relative(protocol_path, directory),
        "protocol_sha256": lock["sha256"],
        "public_draw": list(numbers),
        "reason": None,
        "supersedes": earlier[-1]["output_sha256"] if earlier else None,
    }
    return _write(units_path, protocol.randomisation, seed, out, software, record, now)


def randomise_file(
    units_path: Path,
    spec: RandomisationSpec,
    *,
    seed: int,
    out: Path,
    software: str,
    reason: str | None = None,
    rerandomise: bool = False,
    now: dt.datetime | None = None,
) -> Randomised:
    """Exploratory, unbound: randomise the units in `units_path` with a chosen seed, write the
    allocation to `out` and record it. Refused where a lock commits a trial's randomisation."""
    if rerandomise and not (reason and reason.strip()):
        raise InputError(MSG_REASON_REQUIRED)
    if any("units_sha256" in e for e in read_entries(out.parent, PROTOCOL_LOCK)):
        raise InputError(MSG_TRIAL_LEDGER.format(ledger=ledger_path(out.parent)))
    input_hash = sha256(units_path.read_bytes()) if units_path.is_file() else ""
    earlier = [
        e for e in read_entries(out.parent, RANDOMISATION) if e["input_sha256"] == input_hash
    ]
    if earlier and not rerandomise:
        last = earlier[-1]
        raise InputError(
            MSG_ALREADY_RANDOMISED.format(
                path=units_path,
                when=last["created"],
                seed=last["seed"],
                allocation=last["allocation"],
                ledger=ledger_path(out.parent),
            )
        )
    record = {
        "exploratory": True,
        "reason": reason if rerandomise else None,
        "supersedes": earlier[-1]["output_sha256"] if earlier else None,
    }
    return _write(units_path, spec, seed, out, software, record, now)


def verify_allocation(path: Path) -> Verified:
    """Check an allocation against the ledger: the chain is intact, the file is unedited, the
    input is unchanged and, for a trial, that the lock before it committed these units and this
    plan, that the seed is the commitment's for the recorded public draw, that the lock was not
    used before, and that the committed randomisation reproduces the file. Raises InputError
    listing every failure."""
    directory = path.parent
    failures = chain_failures(directory)
    entries = read_entries(directory)
    mine = [
        (line, e)
        for line, e in enumerate(entries, start=1)
        if e["kind"] == RANDOMISATION and e["allocation"] == path.name
    ]
    if not mine:
        raise InputError(MSG_NOT_IN_LEDGER.format(path=path, ledger=ledger_path(directory)))
    line, entry = mine[-1]
    actual = sha256(path.read_bytes()) if path.exists() else "missing"
    recorded = str(entry["output_sha256"])
    if actual != recorded:
        failures.append(
            MSG_OUTPUT_EDITED.format(path=path, actual=actual[:12], recorded=recorded[:12])
        )
    spec = RandomisationSpec.from_dict(entry["spec"])  # type: ignore[arg-type]
    seed = int(entry["seed"])  # type: ignore[call-overload]
    draw = None
    if entry.get("protocol_sha256"):
        if committed := _committed(entries, line, entry, failures):
            draw, spec, seed = committed
    elif any("units_sha256" in e for e in entries if e["kind"] == PROTOCOL_LOCK):
        failures.append(MSG_UNBOUND_IN_TRIAL.format(path=path))
    source = directory / str(entry["input"])
    if not source.exists():
        failures.append(MSG_INPUT_MISSING.format(input=source))
    elif (input_hash := sha256(source.read_bytes())) != entry["input_sha256"]:
        failures.append(
            MSG_INPUT_CHANGED.format(
                input=source, actual=input_hash[:12], recorded=str(entry["input_sha256"])[:12]
            )
        )
    elif sha256(_csv_bytes(_allocation_table(read_units(source), spec, seed))) != recorded:
        failures.append(MSG_NOT_REPRODUCED.format(path=path))
    if failures:
        raise InputError("verification failed:\n- " + "\n- ".join(failures))
    return Verified(entry, draw, head(directory))


def _committed(
    entries: list[dict[str, object]],
    line: int,
    entry: dict[str, object],
    failures: list[str],
) -> tuple[PublicDraw, RandomisationSpec, int] | None:
    """The public draw, plan and seed that the lock before ledger entry `line` commits it to,
    adding to `failures` wherever the entry departs from them (None: no such lock)."""
    sha = str(entry["protocol_sha256"])
    locks = [
        (number, e)
        for number, e in enumerate(entries[: line - 1], start=1)
        if e["kind"] == PROTOCOL_LOCK and e["sha256"] == sha and "units_sha256" in e
    ]
    if not locks:
        failures.append(MSG_NO_COMMITTING_LOCK.format(line=line, sha=sha[:12]))
        return None
    lock_line, lock = locks[-1]
    text = str(lock["text"])
    protocol = (
        parse_protocol(tomllib.loads(text), source=f"the protocol kept at entry {lock_line}")
        if sha256(text.encode()) == sha
        else None
    )
    if protocol is None or protocol.public_draw is None:
        failures.append(MSG_LOCKED_TEXT.format(line=lock_line))
        return None
    draw, spec = protocol.public_draw, protocol.randomisation
    if spec.to_dict() != entry["spec"]:
        failures.append(
            MSG_SPEC_NOT_COMMITTED.format(recorded=entry["spec"], locked=spec.to_dict())
        )
    units = str(lock["units_sha256"])
    if entry["input_sha256"] != units:
        failures.append(
            MSG_INPUT_NOT_COMMITTED.format(
                actual=str(entry["input_sha256"])[:12], committed=units[:12]
            )
        )
    numbers = [int(n) for n in entry["public_draw"]]  # type: ignore[attr-defined]
    if len(numbers) != draw.numbers:
        failures.append(
            MSG_DRAW_COUNT.format(
                description=draw.description,
                expected=draw.numbers,
                given=" ".join(map(str, numbers)),
                count=len(numbers),
            )
        )
    seed = derive_seed(sha, units, numbers)
    if entry["seed"] != seed:
        failures.append(
            MSG_SEED_NOT_COMMITTED.format(
                recorded=entry["seed"], numbers=" ".join(map(str, numbers)), derived=seed
            )
        )
    failures += [
        MSG_RANDOMISED_TWICE.format(line=line, earlier=number)
        for number, e in enumerate(entries[: line - 1], start=1)
        if e["kind"] == RANDOMISATION and e.get("protocol_sha256") == sha
    ][:1]
    return draw, spec, seed


def _write(
    units_path: Path,
    spec: RandomisationSpec,
    seed: int,
    out: Path,
    software: str,
    record: dict[str, object],
    now: dt.datetime | None,
) -> Randomised:
    """Randomise, write the allocation and append its ledger entry (with `record`)."""
    units = read_units(units_path)
    try:
        allocation = _allocation_table(units, spec, seed)
    except InputError as error:
        raise InputError(f"{units_path}: {error}") from None
    content = _csv_bytes(allocation)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(content)
    entry = append_entry(
        out.parent,
        RANDOMISATION,
        {
            "allocation": out.name,
            "input": relative(units_path, out.parent),
            "input_sha256": sha256(units_path.read_bytes()),
            "output_sha256": sha256(content),
            "seed": seed,
            "spec": spec.to_dict(),
            "software": software,
            **record,
        },
        now=now,
    )
    return Randomised(allocation, entry, out, head(out.parent))


def _allocation_table(units: pd.DataFrame, spec: RandomisationSpec, seed: int) -> pd.DataFrame:
    allocation = randomise(units, spec, np.random.default_rng(seed))
    return allocation.rename(columns={"unit": spec.unit})


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    neutralise_formulas(frame).to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue().encode("utf-8")
