"""The allocation ledger: every randomisation recorded next to its allocation, verifiable, and
re-randomisation refused unless a reason is given — and then recorded for all to see.

The ledger is `randomisation-ledger.jsonl` in the allocation's directory: one JSON object a
line, append-only, each carrying the SHA-256 of the line before it, so an edited or deleted
entry breaks the chain. An entry records the allocation file, the input file and its hash, the
seed, the method and parameters, the software version, the time and the allocation's hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from threshold.model.errors import InputError
from threshold.trial.randomisation import RandomisationSpec, randomise

LEDGER_NAME = "randomisation-ledger.jsonl"

MSG_UNREADABLE = "{path}: cannot read the units table ({reason})"
MSG_ALREADY_RANDOMISED = (
    "{path} was already randomised on {when} (seed {seed}, allocation {allocation}); "
    'randomising again is refused. If you must, rerun with --rerandomise --reason "…": '
    "the re-randomisation and its reason are recorded in {ledger}"
)
MSG_REASON_REQUIRED = '--rerandomise needs --reason "…" saying why the trial is randomised again'
MSG_NOT_IN_LEDGER = "{path} is not recorded in {ledger}; it was not made by `threshold randomise`"
MSG_CHAIN_BROKEN = (
    "{ledger} line {line} has been edited or a line before it removed (hash chain broken)"
)
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
MSG_NOT_REPRODUCED = "re-running the recorded randomisation does not reproduce {path}"


@dataclass(frozen=True)
class LedgerEntry:
    """One randomisation, as recorded."""

    allocation: str
    input: str
    input_sha256: str
    output_sha256: str
    seed: int
    spec: dict[str, object]
    software: str
    created: str
    reason: str | None
    supersedes: str | None
    previous_sha256: str

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True)
class Randomised:
    allocation: pd.DataFrame
    entry: LedgerEntry
    path: Path


def read_units(path: Path) -> pd.DataFrame:
    """A units table from CSV (any columns; blanks are missing), or a clear error."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig").replace(
            "", None
        )
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise InputError(MSG_UNREADABLE.format(path=path, reason=error)) from None


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
    """Randomise the units in `units_path`, write the allocation to `out` and record it."""
    if rerandomise and not (reason and reason.strip()):
        raise InputError(MSG_REASON_REQUIRED)
    units = read_units(units_path)
    input_hash = _sha256(units_path.read_bytes())
    ledger = out.parent / LEDGER_NAME
    entries = _read_ledger(ledger)
    earlier = [e for e in entries if e.input_sha256 == input_hash]
    if earlier and not rerandomise:
        last = earlier[-1]
        raise InputError(
            MSG_ALREADY_RANDOMISED.format(
                path=units_path,
                when=last.created,
                seed=last.seed,
                allocation=last.allocation,
                ledger=ledger,
            )
        )
    try:
        allocation = _allocation_table(units, spec, seed)
    except InputError as error:
        raise InputError(f"{units_path}: {error}") from None
    content = _csv_bytes(allocation)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(content)
    entry = LedgerEntry(
        allocation=out.name,
        input=_relative(units_path, out.parent),
        input_sha256=input_hash,
        output_sha256=_sha256(content),
        seed=seed,
        spec=spec.to_dict(),
        software=software,
        created=(now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        reason=reason if rerandomise else None,
        supersedes=earlier[-1].output_sha256 if earlier else None,
        previous_sha256=_sha256(_ledger_text(ledger).encode()) if entries else "",
    )
    with ledger.open("a", encoding="utf-8") as handle:
        handle.write(entry.to_json() + "\n")
    return Randomised(allocation, entry, out)


def verify_allocation(path: Path) -> LedgerEntry:
    """Check an allocation against its ledger: the chain is intact, the file is unedited, the
    input is unchanged and the recorded randomisation reproduces it. Raises InputError listing
    every failure; returns the entry when all pass."""
    ledger = path.parent / LEDGER_NAME
    entries = _read_ledger(ledger)
    failures = _chain_failures(ledger)
    mine = [e for e in entries if e.allocation == path.name]
    if not mine:
        raise InputError(MSG_NOT_IN_LEDGER.format(path=path, ledger=ledger))
    entry = mine[-1]
    actual = _sha256(path.read_bytes()) if path.exists() else "missing"
    if actual != entry.output_sha256:
        failures.append(
            MSG_OUTPUT_EDITED.format(
                path=path, actual=actual[:12], recorded=entry.output_sha256[:12]
            )
        )
    source = path.parent / entry.input
    if not source.exists():
        failures.append(MSG_INPUT_MISSING.format(input=source))
    else:
        input_hash = _sha256(source.read_bytes())
        if input_hash != entry.input_sha256:
            failures.append(
                MSG_INPUT_CHANGED.format(
                    input=source, actual=input_hash[:12], recorded=entry.input_sha256[:12]
                )
            )
        else:
            spec = RandomisationSpec(
                **{
                    **entry.spec,
                    "block_by": tuple(entry.spec["block_by"]),
                    "ratio": tuple(entry.spec["ratio"]),
                }
            )
            again = _csv_bytes(_allocation_table(read_units(source), spec, entry.seed))
            if _sha256(again) != entry.output_sha256:
                failures.append(MSG_NOT_REPRODUCED.format(path=path))
    if failures:
        raise InputError("verification failed:\n- " + "\n- ".join(failures))
    return entry


def _ledger_text(ledger: Path) -> str:
    """The ledger's whole text (empty if there is no ledger yet)."""
    return ledger.read_text(encoding="utf-8") if ledger.exists() else ""


def _allocation_table(units: pd.DataFrame, spec: RandomisationSpec, seed: int) -> pd.DataFrame:
    allocation = randomise(units, spec, np.random.default_rng(seed))
    return allocation.rename(columns={"unit": spec.unit})


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue().encode("utf-8")


def _read_ledger(ledger: Path) -> list[LedgerEntry]:
    text = _ledger_text(ledger)
    return [LedgerEntry(**json.loads(line)) for line in text.splitlines() if line.strip()]


def _chain_failures(ledger: Path) -> list[str]:
    lines = _ledger_text(ledger).splitlines(keepends=True)
    failures = []
    for number, line in enumerate(lines, start=1):
        recorded = json.loads(line)["previous_sha256"]
        expected = _sha256("".join(lines[: number - 1]).encode()) if number > 1 else ""
        if recorded != expected:
            failures.append(MSG_CHAIN_BROKEN.format(ledger=ledger, line=number))
    return failures


def _relative(path: Path, base: Path) -> str:
    """`path` relative to `base`, so an allocation and its input can move together."""
    return os.path.relpath(path.resolve(), base.resolve())


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
