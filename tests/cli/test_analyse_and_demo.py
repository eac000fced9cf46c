"""`threshold demo` runs the whole path; `threshold analyse` enforces the protocol lock."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

THRESHOLD = Path(sys.executable).parent / "threshold"
REQUIRED = (
    "outcome",
    "analysis",
    "coef",
    "se",
    "ci_low",
    "ci_high",
    "p_value",
    "glass_delta",
    "glass_ci_low",
    "glass_ci_high",
    "n_treatment",
    "n_control",
    "specification",
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("demo")
    result = subprocess.run(
        [THRESHOLD, "demo", "--out", str(out), "--seed", "5"], capture_output=True, text=True
    )
    return out, result


def test_demo_walks_the_whole_path_and_says_where_the_report_is(demo):
    out, result = demo
    assert result.returncode == 0, result.stderr
    assert f"The report is {out / 'report' / 'report.html'}" in result.stdout
    for name in ("report.html", "report.md", "results.json"):
        assert (out / "report" / name).stat().st_size > 1000
    assert (out / "world" / "messy" / "truth.csv").exists()
    # the front door: every LA's messy export imported, school names linked, checked
    front_door = re.search(r"auto links right ([\d.]+)% of the time", result.stdout)
    assert front_door is not None
    assert float(front_door.group(1)) >= 99.5
    contacts = pd.read_csv(out / "frontdoor" / "contacts.csv")
    assert contacts["cont_la_code"].nunique() == len(
        list((out / "world" / "messy").glob("contacts_*.csv"))
    )
    html = (out / "report" / "report.html").read_text()
    assert "Confirmatory analysis of the locked protocol" in html
    assert "Glass" in html
    # the world has costs.csv, so the cost table joins the report, with cost per contact
    # avoided taken from this analysis's primary estimate
    assert "Delivery cost per school per year" in html
    assert "Effect from this analysis: nfa_contacts (primary)" in html


def test_results_json_carries_every_estimate_with_its_specification(demo):
    out, _ = demo
    results = json.loads((out / "report" / "results.json").read_text())
    assert results["confirmatory"] is True
    primary = [e for e in results["estimates"] if e["analysis"] == "primary"]
    assert len(primary) == 1
    assert primary[0]["outcome"] == "nfa_contacts"
    for estimate in results["estimates"]:
        for key in REQUIRED:
            assert key in estimate, key
        assert estimate["ci_low"] < estimate["coef"] < estimate["ci_high"]
    assert primary[0]["specification"]["standard_errors"] == "hc1"
    assert {e["outcome"] for e in results["estimates"]} >= {
        "contacts",
        "referral_nfa",
        "anxiety_contentment",
    }
    assert results["attrition"][-1]["randomised"] == 308


def test_analyse_refuses_an_unlocked_protocol_unless_exploratory(demo, tmp_path):
    out, _ = demo
    protocol = tmp_path / "protocol.toml"
    subprocess.run([THRESHOLD, "protocol", "template", "--out", str(protocol)], check=True)
    refused = subprocess.run(
        [
            THRESHOLD,
            "analyse",
            str(protocol),
            "--data",
            str(out / "world"),
            "--out",
            str(tmp_path / "a"),
        ],
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2
    assert "has not been locked" in refused.stderr
    assert "Traceback" not in refused.stderr
    exploratory = subprocess.run(
        [
            THRESHOLD,
            "analyse",
            str(protocol),
            "--data",
            str(out / "world"),
            "--out",
            str(tmp_path / "a"),
            "--exploratory",
        ],
        capture_output=True,
        text=True,
    )
    assert exploratory.returncode == 0, exploratory.stderr
    assert "EXPLORATORY ANALYSIS" in (tmp_path / "a" / "report.md").read_text()
    assert json.loads((tmp_path / "a" / "results.json").read_text())["confirmatory"] is False


def test_results_carry_the_randomisation_inference_p_value(demo):
    out, _ = demo
    results = json.loads((out / "report" / "results.json").read_text())
    inference = results["randomisation_inference"]
    assert inference["draws"] == 10_000
    assert inference["outcome"] == "nfa_contacts"
    assert 0 < inference["p_value"] <= 1
    assert "Randomisation inference" in (out / "report" / "report.md").read_text()


def test_flat_table_mode_writes_the_same_outputs(demo, tmp_path):
    out, _ = demo
    schools = (out / "world" / "schools.csv").read_text().splitlines()
    allocations = dict(
        line.split(",")[:3:2]
        for line in (out / "world" / "allocations.csv").read_text().splitlines()
    )
    rows = ["urn,arm,pct_fsm,score"]
    for line in schools[1:]:
        urn, fsm = line.split(",")[0], line.split(",")[8]
        rows.append(f"{urn},{allocations[urn]},{fsm},{float(fsm or 0) / 10}")
    table = tmp_path / "units.csv"
    table.write_text("\n".join(rows) + "\n")
    result = subprocess.run(
        [
            THRESHOLD,
            "analyse",
            "--table",
            str(table),
            "--arm",
            "arm",
            "--treatment",
            "treatment",
            "--outcome",
            "score",
            "--covariate",
            "pct_fsm",
            "--out",
            str(tmp_path / "flat"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    results = json.loads((tmp_path / "flat" / "results.json").read_text())
    assert results["protocol"]["state"] == "none"
    assert results["estimates"][0]["outcome"] == "score"
    assert (tmp_path / "flat" / "report.docx").exists()
    assert "no pre-registered protocol" in (tmp_path / "flat" / "report.md").read_text()
    missing = subprocess.run(
        [THRESHOLD, "analyse", "--table", str(table)], capture_output=True, text=True
    )
    assert missing.returncode == 2
    assert "--table needs --arm, --treatment and --outcome" in missing.stderr
