"""The allocation and balance CSVs, which people open in spreadsheets: text that a spreadsheet
would run as a formula is escaped, and reading the allocation back gives what was randomised."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from threshold.cli import app
from threshold.trial import EVALUATION_DESIGN, read_units, verify_allocation
from threshold.trial.allocation import randomise_file

FORMULA = '=HYPERLINK("http://x","y")'


def units(path: Path) -> Path:
    pd.DataFrame(
        {
            "urn": range(990001, 990025),
            "la_code": [FORMULA] * 12 + ["-982"] * 12,
            "pct_fsm": [float(i % 7) * 5 for i in range(24)],
            "urban_rural": ["@urban", "rural", "+town"] * 8,
        }
    ).to_csv(path, index=False)
    return path


def cells(path: Path, column: str) -> set[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {row[column] for row in csv.DictReader(handle)}


def test_the_allocation_escapes_formulas_and_reads_back_as_randomised(tmp_path: Path) -> None:
    out = tmp_path / "allocation.csv"
    done = randomise_file(
        units(tmp_path / "schools.csv"), EVALUATION_DESIGN, seed=3, out=out, software="test"
    )
    assert cells(out, "block") == {
        f"'{FORMULA}-low",
        f"'{FORMULA}-high",
        "'-982-low",
        "'-982-high",
    }
    assert set(read_units(out)["block"]) == set(done.allocation["block"])
    assert verify_allocation(out).entry == done.entry


def test_the_balance_table_escapes_formulas(tmp_path: Path) -> None:
    out = tmp_path / "allocation.csv"
    argv = ["randomise", str(units(tmp_path / "schools.csv")), "--block-by", "la_code"]
    options = ["--exploratory", "--seed", "3", "--out", str(out), "--balance", "urban_rural"]
    result = CliRunner().invoke(app, [*argv, *options])
    assert result.exit_code == 0, result.output
    assert cells(tmp_path / "allocation-balance.csv", "level") == {"'@urban", "rural", "'+town"}
