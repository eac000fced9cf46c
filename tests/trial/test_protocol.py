"""The protocol: the template is valid, every problem is reported, and the lock is enforced."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from threshold.model import OutcomeMeasure
from threshold.model.errors import InputError
from threshold.trial.ledger import LEDGER_NAME
from threshold.trial.protocol import (
    MSG_ALREADY_LOCKED,
    load_protocol,
    lock_protocol,
    parse_protocol,
    protocol_status,
    require_locked,
    template,
)

THRESHOLD = Path(sys.executable).parent / "threshold"


@pytest.fixture
def protocol_file(tmp_path) -> Path:
    path = tmp_path / "protocol.toml"
    path.write_text(template(), encoding="utf-8")
    return path


def test_the_template_is_the_evaluations_plan():
    protocol = parse_protocol(tomllib.loads(template()))
    assert protocol.primary.measure is OutcomeMeasure.NFA_CONTACTS
    assert protocol.primary.per_pupil
    assert {o.measure for o in protocol.outcomes} == set(OutcomeMeasure)
    assert protocol.randomisation.block_by == ("la_code",)
    assert protocol.randomisation.median_split == "pct_fsm"
    assert protocol.multiplicity == "hochberg"
    assert protocol.standard_errors == "hc1"
    assert {c.kind for c in protocol.compliance} == {"exclude_zero_dose", "iv_dose", "iv_any"}
    assert next(c for c in protocol.compliance if c.kind == "iv_dose").settings["maximum"] == 8
    assert {s.name for s in protocol.subgroups} == {"timing", "urban", "dsl_experience"}


def test_every_problem_is_reported_with_its_key():
    raw = tomllib.loads(template())
    raw["analysis"]["alpha"] = 5.0
    raw["analysis"]["multiplicity"] = "fdr"
    raw["outcome"][1]["role"] = "primary"
    raw["outcome"][2]["window"] = ["2022-07-31", "2021-09-01"]
    raw["outcome"][3].pop("observed_by")
    raw["outcome"][4]["measure"] = "calls"
    raw["subgroup"][1].pop("variable")
    raw["robustness"][0]["name"] = "poisson"
    with pytest.raises(InputError) as error:
        parse_protocol(raw, source="plan.toml")
    message = str(error.value)
    for expected in (
        "plan.toml is not a valid protocol",
        "analysis.alpha: 5.0 must be a number between 0 and 0.5",
        "analysis.multiplicity: 'fdr' must be one of: hochberg, holm, bonferroni, none",
        'outcome: exactly one must have role = "primary" (found 2)',
        "outcome[2].window: ends (2021-09-01) before it starts (2022-07-31)",
        "outcome[3].observed_by: referral NFA needs the date",
        "outcome[4].measure: 'calls' must be one of",
        "subgroup[1]: kind 'interaction' needs `variable`",
        "names must be unique; repeated: poisson",
    ):
        assert expected in message


def test_unreadable_toml_is_a_clear_error(tmp_path):
    path = tmp_path / "protocol.toml"
    path.write_text("[trial\nname = 1", encoding="utf-8")
    with pytest.raises(InputError, match="cannot read the protocol"):
        load_protocol(path)


def test_analysis_refuses_an_unlocked_or_altered_protocol_unless_exploratory(protocol_file):
    with pytest.raises(InputError, match="has not been locked"):
        require_locked(protocol_file)
    assert require_locked(protocol_file, exploratory=True).state == "unlocked"
    entry = lock_protocol(protocol_file, software="threshold test")
    status = require_locked(protocol_file)
    assert status.state == "locked"
    assert status.confirmatory
    assert status.sha256 == entry["sha256"]
    with pytest.raises(
        InputError, match=MSG_ALREADY_LOCKED.split("(")[0].format(path=protocol_file)
    ):
        lock_protocol(protocol_file, software="threshold test")
    protocol_file.write_text(template().replace("alpha = 0.05", "alpha = 0.1"), encoding="utf-8")
    with pytest.raises(InputError, match="has changed since it was locked"):
        require_locked(protocol_file)
    exploratory = require_locked(protocol_file, exploratory=True)
    assert exploratory.state == "altered"
    assert not exploratory.confirmatory


def test_an_amendment_needs_a_reason_and_is_recorded(protocol_file):
    lock_protocol(protocol_file, software="threshold test")
    protocol_file.write_text(template().replace("alpha = 0.05", "alpha = 0.01"), encoding="utf-8")
    with pytest.raises(InputError, match="amendment"):
        lock_protocol(protocol_file, software="threshold test")
    lock_protocol(protocol_file, software="threshold test", amendment="stricter alpha requested")
    lines = [
        json.loads(line) for line in (protocol_file.parent / LEDGER_NAME).read_text().splitlines()
    ]
    assert [line["amendment"] for line in lines] == [None, "stricter alpha requested"]
    assert protocol_status(protocol_file).state == "locked"


def test_a_tampered_ledger_is_refused(protocol_file):
    lock_protocol(protocol_file, software="threshold test")
    protocol_file.write_text(template().replace("alpha = 0.05", "alpha = 0.01"), encoding="utf-8")
    lock_protocol(protocol_file, software="threshold test", amendment="x")
    ledger = protocol_file.parent / LEDGER_NAME
    ledger.write_text(ledger.read_text().splitlines(keepends=True)[1])  # hide the original lock
    with pytest.raises(InputError, match="tampered"):
        require_locked(protocol_file)


def test_cli_template_check_and_lock(tmp_path):
    path = tmp_path / "protocol.toml"
    subprocess.run(
        [THRESHOLD, "protocol", "template", "--out", str(path)], check=True, capture_output=True
    )
    check = subprocess.run(
        [THRESHOLD, "protocol", "check", str(path)], capture_output=True, text=True, check=True
    )
    assert "Not locked yet" in check.stdout
    subprocess.run([THRESHOLD, "protocol", "lock", str(path)], check=True, capture_output=True)
    check = subprocess.run(
        [THRESHOLD, "protocol", "check", str(path)], capture_output=True, text=True, check=True
    )
    assert "Locked on" in check.stdout
    path.write_text(path.read_text().replace('name = "urban"', 'name = "rural"'))
    relock = subprocess.run(
        [THRESHOLD, "protocol", "lock", str(path)], capture_output=True, text=True
    )
    assert relock.returncode == 2
    assert "--amend" in relock.stderr
    assert "Traceback" not in relock.stderr
