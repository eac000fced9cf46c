"""`threshold analyse --table` on each case that once gave a number silently: it now refuses
with the file, row and column, or reports how it handled the rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from factories.cli import run_threshold
from threshold.cli import app
from threshold.model import InputError


@pytest.fixture
def units(tmp_path: Path) -> pd.DataFrame:
    rng = np.random.default_rng(16)
    n = 80
    frame = pd.DataFrame(
        {
            "school": [f"S{i:03d}" for i in range(n)],
            "group": np.where(np.arange(n) % 2 == 0, "1.0", "0.0"),
            "stratum": (np.arange(n) // 20).astype(str),
            "pre": rng.poisson(4, n).astype(float),
            "flag": "N",
            "la": np.arange(n) % 8,
        }
    )
    frame["post"] = frame["pre"] + rng.poisson(2, n)
    return frame


def analyse(tmp_path: Path, frame: pd.DataFrame, *options: str):
    path = tmp_path / "units.csv"
    frame.to_csv(path, index=False)
    base = ["analyse", "--table", str(path), "--arm", "group", "--outcome", "post"]
    return CliRunner().invoke(app, [*base, "--out", str(tmp_path / "out"), *options])


@pytest.mark.parametrize(
    ("change", "options", "message"),
    [
        (
            lambda f: f.assign(flag=["maybe", *f["flag"][1:]]),
            ["--baseline", "pre", "--baseline-missing", "flag"],
            "row 1, column 'flag': 'maybe'",
        ),
        (
            lambda f: f.assign(stratum=[*f["stratum"][:-1], ""]),
            ["--strata", "stratum"],
            "row 80, column 'stratum': the stratum is blank",
        ),
        (
            lambda f: f.assign(group=["", *f["group"][1:]]),
            [],
            "row 1, column 'group': the arm is blank",
        ),
        (lambda f: f.assign(group=["2.0", *f["group"][1:]]), [], "3 arm values"),
        (
            lambda f: pd.concat([f, f.iloc[[0]]]),
            ["--id", "school"],
            "the id 'S000' appears more than once",
        ),
        (lambda f: f.assign(stratum=f["group"]), ["--strata", "stratum"], "fully determined"),
        (lambda f: f, ["--baseline", "post"], "also given as the baseline"),
        (lambda f: f, ["--strata", "stratum", "--se", "cluster"], "--se cluster needs --cluster"),
    ],
    ids=[
        "flag",
        "blank-stratum",
        "blank-arm",
        "third-arm",
        "duplicate-id",
        "confounded",
        "own-baseline",
        "cluster",
    ],
)
def test_each_silent_case_is_refused(tmp_path, units, change, options, message):
    result = analyse(tmp_path, change(units), "--treatment", "1", *options)
    assert isinstance(result.exception, InputError), result.output
    assert message in str(result.exception)
    assert not (tmp_path / "out" / "results.json").exists()


def test_reported_handling_reaches_results_json(tmp_path, units):
    three = pd.concat([units, units.iloc[:5].assign(group="2", school=lambda f: f["school"] + "w")])
    result = analyse(tmp_path, three, "--treatment", "1", "--control", "0", "--id", "school")
    assert result.exit_code == 0, result.output
    notes = json.loads((tmp_path / "out" / "results.json").read_text())["notes"]
    assert any("5 row(s) with group other than '1' and '0' were left out (2)" in n for n in notes)


def test_the_console_script_exits_2_with_the_message(tmp_path, units):
    path = tmp_path / "units.csv"
    units.assign(group=["", *units["group"][1:]]).to_csv(path, index=False)
    result = run_threshold(
        "analyse",
        "--table",
        path,
        "--arm",
        "group",
        "--treatment",
        "1",
        "--outcome",
        "post",
        "--out",
        tmp_path / "out",
    )
    assert result.returncode == 2
    assert "row 1, column 'group': the arm is blank" in result.stderr
