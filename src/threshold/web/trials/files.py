"""A trial's folder: its protocol, units, allocation and ledger as the CLI keeps them (so that
`threshold protocol status` and `threshold randomise verify` check them too), and its runs."""

from __future__ import annotations

from pathlib import Path

from threshold.web.core.files import data_root
from threshold.web.trials.models import AnalysisRun, Trial

PROTOCOL = "protocol.toml"
UNITS = "units.csv"
ALLOCATION = "allocation.csv"
RUNS = "runs"


def trials_root() -> Path:
    """Where trials' folders live: settings.TRIALS_ROOT, else THRESHOLD_TRIALS, else beside a
    SQLite database file (`threshold.trials/`), else `var/trials` in the repository."""
    return data_root(
        setting="TRIALS_ROOT", variable="THRESHOLD_TRIALS", suffix=".trials", default="var/trials"
    )


def trial_folder(trial: Trial) -> Path:
    return trials_root() / f"trial-{trial.pk}"


def protocol_path(trial: Trial) -> Path:
    return trial_folder(trial) / PROTOCOL


def units_path(trial: Trial) -> Path:
    return trial_folder(trial) / UNITS


def allocation_path(trial: Trial) -> Path:
    return trial_folder(trial) / ALLOCATION


def run_folder(run: AnalysisRun) -> Path:
    return trial_folder(run.trial) / RUNS / f"run-{run.pk}"
