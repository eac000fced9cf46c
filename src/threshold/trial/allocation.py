"""Randomising a units file with a record in the trial ledger, and verifying it later.

Randomising the same units table again is refused unless `rerandomise` is set with a reason;
the re-randomisation, its reason and the allocation it supersedes are then recorded, so
re-randomising until the balance looks good is always visible.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from threshold.model import InputError, neutralise_formulas, restore_formulas
from threshold.trial.ledger import (
    append_entry,
    chain_failures,
    ledger_path,
    read_entries,
    relative,
    sha256,
)
from threshold.trial.randomisation import RandomisationSpec, randomise

KIND = "randomisation"

MSG_UNREADABLE = "{path}: cannot read the units table ({reason})"
MSG_ALREADY_RANDOMISED = (
    "{path} was already randomised on {when} (seed {seed}, allocation {allocation}); "
    'randomising again is refused. If you must, rerun with --rerandomise --reason "…": '
    "the re-randomisation and its reason are recorded in {ledger}"
)
MSG_REASON_REQUIRED = '--rerandomise needs --reason "…" saying why the trial is randomised again'
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
MSG_NOT_REPRODUCED = "re-running the recorded randomisation does not reproduce {path}"


@dataclass(frozen=True)
class Randomised:
    allocation: pd.DataFrame
    entry: dict[str, object]
    path: Path


def read_units(path: Path) -> pd.DataFrame:
    """A units table from CSV (any columns; blanks are missing; the escapes Threshold writes
    before formula-like text removed, `restore_formulas`), or a clear error."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise InputError(MSG_UNREADABLE.format(path=path, reason=error)) from None
    return restore_formulas(frame).replace("", None)


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
    input_hash = sha256(units_path.read_bytes())
    earlier = [e for e in read_entries(out.parent, KIND) if e["input_sha256"] == input_hash]
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
    try:
        allocation = _allocation_table(units, spec, seed)
    except InputError as error:
        raise InputError(f"{units_path}: {error}") from None
    content = _csv_bytes(allocation)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(content)
    record = {
        "allocation": out.name,
        "input": relative(units_path, out.parent),
        "input_sha256": input_hash,
        "output_sha256": sha256(content),
        "seed": seed,
        "spec": spec.to_dict(),
        "software": software,
        "reason": reason if rerandomise else None,
        "supersedes": earlier[-1]["output_sha256"] if earlier else None,
    }
    return Randomised(allocation, append_entry(out.parent, KIND, record, now=now), out)


def verify_allocation(path: Path) -> dict[str, object]:
    """Check an allocation against the ledger: the chain is intact, the file is unedited, the
    input is unchanged and the recorded randomisation reproduces it. Raises InputError listing
    every failure; returns the ledger entry when all pass."""
    failures = chain_failures(path.parent)
    mine = [e for e in read_entries(path.parent, KIND) if e["allocation"] == path.name]
    if not mine:
        raise InputError(MSG_NOT_IN_LEDGER.format(path=path, ledger=ledger_path(path.parent)))
    entry = mine[-1]
    actual = sha256(path.read_bytes()) if path.exists() else "missing"
    recorded = str(entry["output_sha256"])
    if actual != recorded:
        failures.append(
            MSG_OUTPUT_EDITED.format(path=path, actual=actual[:12], recorded=recorded[:12])
        )
    source = path.parent / str(entry["input"])
    if not source.exists():
        failures.append(MSG_INPUT_MISSING.format(input=source))
    elif (input_hash := sha256(source.read_bytes())) != entry["input_sha256"]:
        failures.append(
            MSG_INPUT_CHANGED.format(
                input=source, actual=input_hash[:12], recorded=str(entry["input_sha256"])[:12]
            )
        )
    else:
        spec = RandomisationSpec.from_dict(entry["spec"])  # type: ignore[arg-type]
        again = _csv_bytes(_allocation_table(read_units(source), spec, int(entry["seed"])))  # type: ignore[arg-type]
        if sha256(again) != recorded:
            failures.append(MSG_NOT_REPRODUCED.format(path=path))
    if failures:
        raise InputError("verification failed:\n- " + "\n- ".join(failures))
    return entry


def _allocation_table(units: pd.DataFrame, spec: RandomisationSpec, seed: int) -> pd.DataFrame:
    allocation = randomise(units, spec, np.random.default_rng(seed))
    return allocation.rename(columns={"unit": spec.unit})


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    neutralise_formulas(frame).to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue().encode("utf-8")
