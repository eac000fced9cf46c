"""`threshold qed compare` and `threshold qed example`: outputs on disk match the core, and user
errors print the fix without a traceback."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from threshold.cli import app, main
from threshold.cli.qed import MSG_NO_FILE
from threshold.qed import compare
from threshold.qed.api import MSG_NO_TREATED
from threshold.synth import dsl_call_world

BASIC = ["--group", "group", "--treated", "trained", "--count", "calls", "--exposure", "dsl_years"]


@pytest.fixture(scope="module")
def units(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("qed") / "units.csv"
    dsl_call_world(8, n_trained=80, n_comparison=320, selection=0.5).records.to_csv(
        path, index=False
    )
    return path


def invoke(*args: str | Path):
    return CliRunner().invoke(app, ["qed", *map(str, args)])


def test_compare_writes_results_matching_the_core(units: Path, tmp_path: Path) -> None:
    result = invoke(
        "compare",
        units,
        *BASIC,
        "--unit",
        "dsl_id",
        "--covariate",
        "pupils_hundreds",
        "--covariate",
        "primary",
        "--weighting",
        "ipw",
        "--earlier-count",
        "earlier_calls",
        "--earlier-exposure",
        "earlier_years",
        "--any-method",
        "wald",
        "--rollout",
        "400",
        "--cost-per-call",
        "100",
        "--out",
        tmp_path,
    )
    assert result.exit_code == 0, result.output
    assert "fewer contacts" in result.output
    data = json.loads((tmp_path / "results.json").read_text())
    core = compare(
        pd.read_csv(units),
        group="group",
        treated="trained",
        count="calls",
        exposure="dsl_years",
        unit="dsl_id",
        covariates=("pupils_hundreds", "primary"),
        weighting="ipw",
        earlier_count="earlier_calls",
        earlier_exposure="earlier_years",
        rollout=400,
        cost_per_call=100.0,
    )
    assert data["rate_ratio"]["estimate"] == pytest.approx(core.rate_ratio.estimate)
    assert data["did"]["estimate"] == pytest.approx(core.did.estimate)
    assert data["balance"]["method"] == "ipw"
    assert data["any_contact"]["method"] == "wald"
    for name in ("report.md", "report.html", "report.docx"):
        assert (tmp_path / name).stat().st_size > 0


def test_example_reproduces_the_case_study(tmp_path: Path) -> None:
    result = invoke("example", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert "65% fewer" in result.output
    assert "1,398 fewer" in result.output
    data = json.loads((tmp_path / "results.json").read_text())
    assert round(data["savings"]["calls_avoided"]) == 1398
    assert (tmp_path / "dsl_records.csv").read_text().count("\n") == 1150


def test_unknown_treated_value_prints_without_traceback(
    units: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    options = [*BASIC, "--out", str(tmp_path)]
    options[options.index("--treated") + 1] = "nobody"
    monkeypatch.setattr(sys, "argv", ["threshold", "qed", "compare", str(units), *options])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert MSG_NO_TREATED.split(":")[0].format(column="group", value="nobody") in err
    assert "Traceback" not in err


def test_missing_file_is_a_user_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    missing = tmp_path / "none.csv"
    monkeypatch.setattr(
        sys, "argv", ["threshold", "qed", "compare", str(missing), *BASIC, "--out", str(tmp_path)]
    )
    with pytest.raises(SystemExit):
        main()
    assert MSG_NO_FILE.format(path=missing) in " ".join(capsys.readouterr().err.split())
