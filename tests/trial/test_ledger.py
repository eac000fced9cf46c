"""The allocation ledger in exploratory (unbound) mode: recorded, verifiable, tamper-evident;
re-randomising is visible. Trials randomised under a commitment: test_commitment.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from threshold.model.errors import InputError
from threshold.trial import EVALUATION_DESIGN
from threshold.trial.allocation import MSG_REASON_REQUIRED, randomise_file, verify_allocation
from threshold.trial.ledger import LEDGER_NAME

THRESHOLD = Path(sys.executable).parent / "threshold"


@pytest.fixture
def schools(tmp_path) -> Path:
    path = tmp_path / "schools.csv"
    pd.DataFrame(
        {
            "urn": range(990001, 990025),
            "la_code": ["981"] * 12 + ["982"] * 12,
            "pct_fsm": [float(i % 7) * 5 for i in range(24)],
            "urban_rural": ["urban", "rural", "urban"] * 8,
        }
    ).to_csv(path, index=False)
    return path


def _randomise(schools: Path, out: Path, seed: int = 7, **options) -> object:
    return randomise_file(
        schools, EVALUATION_DESIGN, seed=seed, out=out, software="threshold test", **options
    )


def test_an_allocation_is_recorded_and_verifies(schools, tmp_path):
    out = tmp_path / "trial" / "allocation.csv"
    done = _randomise(schools, out)
    entry = json.loads((out.parent / LEDGER_NAME).read_text())
    assert entry["seed"] == 7
    assert entry["input"] == "../schools.csv"
    assert entry["spec"]["median_split"] == "pct_fsm"
    assert len(entry["input_sha256"]) == len(entry["output_sha256"]) == 64
    assert entry["software"] == "threshold test"
    assert list(pd.read_csv(out).columns) == ["urn", "block", "arm", "random_number", "order"]
    assert verify_allocation(out).entry == done.entry


@pytest.mark.parametrize(
    "edit",
    [
        lambda out: out.write_text(
            out.read_text().replace("treatment", "control", 1)
        ),  # swap one arm
        lambda out: out.write_text(out.read_text() + "\n"),  # even a trailing newline
        lambda out: (out.parent.parent / "schools.csv").write_text(
            (out.parent.parent / "schools.csv").read_text().replace("981", "983", 1)
        ),
        lambda out: (out.parent / LEDGER_NAME).write_text(
            (out.parent / LEDGER_NAME).read_text().replace('"seed": 7', '"seed": 8')
        ),
    ],
    ids=["allocation", "whitespace", "input", "ledger-seed"],
)
def test_verify_catches_any_edit(schools, tmp_path, edit):
    out = tmp_path / "trial" / "allocation.csv"
    _randomise(schools, out)
    edit(out)
    with pytest.raises(InputError, match="verification failed"):
        verify_allocation(out)


def test_a_deleted_ledger_line_breaks_the_chain(schools, tmp_path):
    out = tmp_path / "trial" / "allocation.csv"
    _randomise(schools, out)
    _randomise(schools, out, seed=8, rerandomise=True, reason="first run used the wrong LA list")
    ledger = out.parent / LEDGER_NAME
    lines = ledger.read_text().splitlines(keepends=True)
    ledger.write_text(lines[1])  # hide the first randomisation
    with pytest.raises(InputError, match="hash chain broken"):
        verify_allocation(out)


def test_randomising_again_is_refused_unless_a_reason_is_given_and_then_recorded(schools, tmp_path):
    out = tmp_path / "trial" / "allocation.csv"
    first = _randomise(schools, out)
    with pytest.raises(InputError, match="already randomised"):
        _randomise(schools, out, seed=8)
    with pytest.raises(InputError, match=MSG_REASON_REQUIRED.split("--reason")[0]):
        _randomise(schools, out, seed=8, rerandomise=True)
    second = _randomise(
        schools, out, seed=8, rerandomise=True, reason="protocol changed the blocks"
    )
    lines = [json.loads(line) for line in (out.parent / LEDGER_NAME).read_text().splitlines()]
    assert len(lines) == 2
    assert lines[1]["reason"] == "protocol changed the blocks"
    assert lines[1]["supersedes"] == first.entry["output_sha256"]
    assert verify_allocation(out).entry == second.entry


def test_cli_randomise_verify_and_refuse(schools, tmp_path):
    out = tmp_path / "run" / "allocation.csv"
    common = [
        "--id",
        "urn",
        "--block-by",
        "la_code",
        "--median-split",
        "pct_fsm",
        "--out",
        str(out),
        "--exploratory",
    ]
    first = subprocess.run(
        [THRESHOLD, "randomise", str(schools), *common, "--seed", "3"],
        capture_output=True,
        text=True,
    )
    assert first.returncode == 0, first.stderr
    assert "Balance at randomisation" in first.stdout
    assert (tmp_path / "run" / "allocation-balance.csv").exists()
    verify = subprocess.run(
        [THRESHOLD, "randomise", "verify", str(out)], capture_output=True, text=True
    )
    assert verify.returncode == 0
    assert "verified" in verify.stdout
    assert "EXPLORATORY, UNBOUND" in verify.stdout
    again = subprocess.run(
        [THRESHOLD, "randomise", str(schools), *common, "--seed", "4"],
        capture_output=True,
        text=True,
    )
    assert again.returncode == 2
    assert "already randomised" in again.stderr
    assert "Traceback" not in again.stderr
    out.write_text(out.read_text().replace("control", "treatment", 1))
    tampered = subprocess.run(
        [THRESHOLD, "randomise", "verify", str(out)], capture_output=True, text=True
    )
    assert tampered.returncode == 2
    assert "has been edited" in tampered.stderr


def test_cli_errors_name_the_file_row_and_column(tmp_path):
    path = tmp_path / "schools.csv"
    path.write_text("urn,la_code,pct_fsm\n1,981,10\n2,,12\n")
    result = subprocess.run(
        [
            THRESHOLD,
            "randomise",
            str(path),
            "--block-by",
            "la_code",
            "--seed",
            "1",
            "--exploratory",
            "--out",
            str(tmp_path / "a.csv"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert str(path) in result.stderr
    assert "column 'la_code' is blank for 1 unit(s), e.g. row 2" in result.stderr
