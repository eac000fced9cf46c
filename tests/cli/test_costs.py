"""`threshold costs summarise` on a synthetic world written by `threshold synth`: both
cost-per-school figures checked against sums taken straight from the CSVs, the documents
written, the effect from options or results.json, and user errors with the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from factories.cli import run_threshold
from threshold.cli import app
from threshold.cli.costs import (
    MSG_BAD_CI,
    MSG_EFFECT_MODES,
    MSG_EFFECT_NEEDS_CI,
    MSG_RESULTS_UNREADABLE,
)
from threshold.costs import REASON_CI_INCLUDES_ZERO, REASON_HARMFUL
from threshold.pipeline import MSG_RESULTS_NO_OUTCOME
from threshold.report.costs import DOCUMENTS


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("world")
    result = run_threshold("synth", "--seed", "8", "--out", directory)
    assert result.returncode == 0, result.stderr
    assert (directory / "costs.csv").is_file()
    return directory


@pytest.fixture(scope="module")
def expected(world: Path) -> dict[str, float]:
    """Both methods by hand from the CSVs: delivery lines over active treatment schools."""
    costs = pd.read_csv(world / "costs.csv", dtype={"la_code": str})
    allocations = pd.read_csv(world / "allocations.csv")
    schools = pd.read_csv(world / "schools.csv", dtype={"la_code": str})
    costs = costs[costs["category"] != "school_cover"]
    active = allocations[(allocations["arm"] == "treatment") & allocations["withdrawn_on"].isna()]
    per_la = active.merge(schools, on="urn")["la_code"].value_counts()
    la_spend = costs.dropna(subset=["la_code"]).groupby("la_code")["amount_gbp"].sum()
    per_la = per_la.reindex(la_spend.index)
    central = costs.loc[costs["la_code"].isna(), "amount_gbp"].sum()
    n = per_la.sum()
    return {
        "schools": n,
        "pooled": (la_spend.sum() + central) / n,
        "mean": (la_spend / per_la).mean() + central / n,
    }


def summarise(world: Path, out: Path, *args: str | Path):
    runner = CliRunner()
    return runner.invoke(
        app, ["costs", "summarise", "--data", str(world), "--out", str(out), *map(str, args)]
    )


def test_both_methods_match_the_csvs_and_every_document_is_written(world, expected, tmp_path):
    result = summarise(world, tmp_path, "--cover-rate", "35")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(DOCUMENTS)
    data = json.loads((tmp_path / "costs.json").read_text(encoding="utf-8"))
    assert data["schools_assigned"] == expected["schools"]
    assert data["per_school_pooled"] == pytest.approx(expected["pooled"])
    assert data["per_school_mean_of_las"] == pytest.approx(expected["mean"])
    assert data["school_side"]["cover_rate"] == 35
    assert data["sessions_held"] > 0
    assert f"£{expected['pooled']:,.0f}" in result.output
    assert f"£{expected['mean']:,.0f}" in result.output
    markdown = (tmp_path / "costs.md").read_text(encoding="utf-8")
    assert f"| Total spend ÷ schools assigned | £{expected['pooled']:,.0f} |" in markdown
    assert "Costs by LA" in (tmp_path / "costs.html").read_text(encoding="utf-8")
    assert (tmp_path / "costs.docx").read_bytes()[:2] == b"PK"


def test_effect_from_options(world, expected, tmp_path):
    result = summarise(world, tmp_path, "--effect-per-school", "-2", "--effect-ci", "-4:-1")
    assert result.exit_code == 0, result.output
    avoided = json.loads((tmp_path / "costs.json").read_text())["per_contact_avoided"]
    assert avoided["value"] == pytest.approx(expected["pooled"] / 2)
    assert avoided["ci_low"] == pytest.approx(expected["pooled"] / 4)
    assert avoided["ci_high"] == pytest.approx(expected["pooled"])
    assert f"Cost per contact avoided: £{expected['pooled'] / 2:,.0f}" in result.output


@pytest.mark.parametrize(
    ("estimate", "ci", "reason"),
    [("-1", "-3:0.5", REASON_CI_INCLUDES_ZERO), ("0.4", "-1:2", REASON_HARMFUL)],
)
def test_undefined_cost_per_contact_avoided_is_said_plainly(world, tmp_path, estimate, ci, reason):
    result = summarise(world, tmp_path, "--effect-per-school", estimate, "--effect-ci", ci)
    assert result.exit_code == 0, result.output
    assert reason in " ".join(result.output.split())
    assert reason in (tmp_path / "costs.md").read_text(encoding="utf-8")


def _results(path: Path, *, pct_point: float | None) -> Path:
    estimate = {
        "outcome": "nfa_contacts",
        "analysis": "primary",
        "coef": -0.002,
        "ci_low": -0.003,
        "ci_high": -0.001,
        "pct_point": pct_point,
    }
    other = {**estimate, "outcome": "contacts", "analysis": "robustness: x"}
    path.write_text(json.dumps({"estimates": [other, estimate]}), encoding="utf-8")
    return path


def test_per_pupil_effect_from_results_is_scaled_by_mean_pupils(world, expected, tmp_path):
    results = _results(tmp_path / "results.json", pct_point=-0.2)
    out = tmp_path / "out"
    result = summarise(world, out, "--results", results)
    assert result.exit_code == 0, result.output
    allocations = pd.read_csv(world / "allocations.csv")
    schools = pd.read_csv(world / "schools.csv").set_index("urn")
    pupils = schools["pupils_on_roll"].reindex(
        allocations.loc[allocations["withdrawn_on"].isna(), "urn"]
    )
    avoided = json.loads((out / "costs.json").read_text())["per_contact_avoided"]
    assert avoided["effect"]["estimate"] == pytest.approx(-0.002 * pupils.mean())
    assert avoided["value"] == pytest.approx(expected["pooled"] / (0.002 * pupils.mean()))
    assert "per pupil ×" in avoided["effect"]["source"]


def test_count_effect_from_results_is_taken_as_is(world, expected, tmp_path):
    results = _results(tmp_path / "results.json", pct_point=None)
    result = summarise(world, tmp_path / "out", "--results", results)
    assert result.exit_code == 0, result.output
    avoided = json.loads((tmp_path / "out" / "costs.json").read_text())["per_contact_avoided"]
    assert avoided["value"] == pytest.approx(expected["pooled"] / 0.002)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--effect-per-school", "-1"], MSG_EFFECT_NEEDS_CI),
        (["--effect-ci", "-2:-1"], MSG_EFFECT_NEEDS_CI),
        (["--effect-per-school", "-1", "--effect-ci", "-2..-1"], MSG_BAD_CI.format(value="-2..-1")),
        (["--effect-per-school", "-1", "--effect-ci", "a:b"], MSG_BAD_CI.format(value="a:b")),
        (
            ["--effect-per-school", "-1", "--effect-ci", "-2:-1", "--results", "r.json"],
            MSG_EFFECT_MODES,
        ),
    ],
)
def test_effect_option_errors_name_the_fix(world, tmp_path, args, message):
    result = summarise(world, tmp_path, *args)
    assert str(result.exception) == message


def test_results_errors_name_the_fix(world, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    result = summarise(world, tmp_path, "--results", bad)
    assert str(result.exception) == MSG_RESULTS_UNREADABLE.format(path=bad, reason="'estimates'")
    results = _results(tmp_path / "results.json", pct_point=None)
    result = summarise(world, tmp_path, "--results", results, "--outcome", "referrals")
    assert str(result.exception) == MSG_RESULTS_NO_OUTCOME.format(
        path=results, outcome="referrals", names="nfa_contacts"
    )


def test_user_error_exits_2_without_traceback(world, tmp_path):
    result = run_threshold(
        "costs", "summarise", "--data", world, "--out", tmp_path, "--effect-per-school", "-1"
    )
    assert result.returncode == 2
    assert MSG_EFFECT_NEEDS_CI in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "costs.json").exists()
