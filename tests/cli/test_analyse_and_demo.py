"""`threshold demo` runs the whole path on what the front door imported; `threshold analyse`
enforces the protocol lock."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from factories.cli import run_threshold
from threshold.frontdoor import Store
from threshold.pipeline import PipelineConfig, run_pipeline
from threshold.report import DATA_TITLE

THRESHOLD = Path(sys.executable).parent / "threshold"
GLASS_TOLERANCE = 0.05
"""How far the primary Glass's Δ on the imported data may be from the clean data's. The imports
lose the school contacts whose names wait for review or match no school (about 9% of school
contacts in the demo's exports) and load a respelt repeat in an export without contact ids as a
second contact, so each school's count is off by several per cent, at random; against a 95% CI
half-width of about 0.19 SD that moves Δ by a few hundredths: 0.032 at seed 5 (tested here),
0.001 at seed 6, 0.022 at the default seed."""
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
    return out, run_threshold("demo", "--out", out, "--seed", "5")


def _stores(out: Path) -> list[Path]:
    return sorted(path for path in (out / "frontdoor").iterdir() if path.is_dir())


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
    exports = sorted((out / "world" / "messy").glob("contacts_*.csv"))
    assert [store.name for store in _stores(out)] == [
        path.stem.removeprefix("contacts_") for path in exports
    ]
    for store in _stores(out):  # one store per LA, with its contacts and referrals
        assert set(Store(store).table("contacts")["cont_la_code"]) == {store.name}
        assert set(Store(store).table("referrals")["cine_la_code"]) == {store.name}
    html = (out / "report" / "report.html").read_text()
    assert "Confirmatory analysis of the locked protocol" in html
    assert "Glass" in html
    # the synthetic world drew its own allocation: the report says it is not bound to the lock,
    # and prints the ledger's head (the lock alone)
    assert "records no randomisation under a locked protocol&#x27;s commitment" in html
    assert "Trial ledger head: entry 1, SHA-256" in html
    assert "not a randomisation under the lock's commitment" in result.stdout
    # the world has costs.csv, so the cost table joins the report, with cost per contact
    # avoided taken from this analysis's primary estimate
    assert "Delivery cost per school per year" in html
    assert "Effect from this analysis: nfa_contacts (primary)" in html


def test_the_demo_analyses_the_imported_stores_not_the_clean_tables(demo, tmp_path):
    """The demo's primary estimate is the one `threshold analyse --store` gets from the stores,
    and not the one the world's clean contacts and referrals give."""
    out, _ = demo
    stored = run_threshold(
        "analyse",
        out / "protocol.toml",
        "--data",
        out / "world",
        *(arg for store in _stores(out) for arg in ("--store", store)),
        "--out",
        tmp_path / "stored",
    )
    assert stored.returncode == 0, stored.stderr
    demo_primary = _primary(out / "report" / "results.json")
    assert _primary(tmp_path / "stored" / "results.json") == demo_primary
    clean = run_pipeline(
        PipelineConfig(protocol=out / "protocol.toml", tables=out / "world", draws=0)
    )
    assert clean.primary.coef != pytest.approx(demo_primary["coef"], rel=1e-6)


def test_the_demo_prints_and_reports_how_the_imports_differ_from_the_truth(demo):
    out, result = demo
    compared = re.search(r"Glass's Δ (-?[\d.]+) vs (-?[\d.]+)", result.stdout)
    assert compared is not None, result.stdout
    imported, true = float(compared.group(1)), float(compared.group(2))
    assert imported != true
    assert abs(imported - true) < GLASS_TOLERANCE
    assert "quarantined" in result.stdout
    markdown = (out / "report" / "report.md").read_text()
    section = markdown[markdown.index(f"## {DATA_TITLE}") :].split("\n## ")[0]
    rows = {
        cells[0]: cells[1:]
        for line in section.splitlines()
        if line.startswith("| 9") and (cells := [c.strip() for c in line.strip("|").split("|")])
    }
    for store in _stores(out):
        contacts, referrals, quarantined = (int(n.replace(",", "")) for n in rows[store.name][:3])
        assert contacts == len(Store(store).table("contacts"))
        assert referrals == len(Store(store).table("referrals"))
        assert quarantined == Store(store).quarantine()["record_key"].nunique()
    # the LA that withdrew sent nothing, and its gap says so
    withdrawn = set(rows) - {store.name for store in _stores(out)}
    assert withdrawn
    for la in withdrawn:
        assert rows[la][:3] == ["0", "0", "0"]
        assert "No front-door contacts at all" in rows[la][-1]
    assert "Against the synthetic world's truth" in section
    assert f"{true:.3f}" in section


def _primary(path: Path) -> dict[str, object]:
    return next(e for e in json.loads(path.read_text())["estimates"] if e["analysis"] == "primary")


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
