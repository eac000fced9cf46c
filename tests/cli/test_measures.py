"""`threshold measures build` on a small synthetic world: the protocol's outcomes and windows,
explicit measures and periods checked against counts taken straight from the CSVs, and user
errors with the fix."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from threshold.cli import app, main
from threshold.cli.measures import (
    MSG_BAD_DATE,
    MSG_BAD_WINDOW,
    MSG_MODES,
    MSG_NEEDS_OBSERVED_BY,
    MSG_NO_PERIOD,
    MSG_UNKNOWN_MEASURE,
)
from threshold.measures import MEASURE_COLUMNS
from threshold.synth import WorldConfig, synthesise, write_world
from threshold.trial import randomise_as_evaluated, template


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("world")
    config = WorldConfig(seed=5, n_schools=44, prior_years=1)
    write_world(synthesise(config, randomise_as_evaluated), directory)
    return directory


def build(*args: str | Path) -> tuple[object, str]:
    result = CliRunner().invoke(app, ["measures", "build", *map(str, args)])
    return result, result.output


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"period": str, "missing_reason": str})


def test_the_protocols_outcomes_over_its_windows(world: Path, tmp_path: Path) -> None:
    protocol = tmp_path / "protocol.toml"
    protocol.write_text(template(), encoding="utf-8")
    out = tmp_path / "measures.csv"
    result, output = build("--data", world, "--protocol", protocol, "--out", out)
    assert result.exit_code == 0, output
    table = read(out)
    assert tuple(table.columns) == MEASURE_COLUMNS
    periods = table.groupby("name")["period"].unique().map(set).to_dict()
    assert periods["referrals"] == {"2020/21", "2021/22"}
    assert periods["nfa_contacts"] == {  # the timing subgroup's windows and a year earlier
        "2020/21",
        "2021/22",
        "2020-09-01:2021-02-28",
        "2021-03-01:2021-07-31",
        "2021-09-01:2022-02-28",
        "2022-03-01:2022-07-31",
    }
    assert len(table) == 44 * (5 * 2 + 4)
    assert "44 schools × 6 period(s) × 5 measure(s)" in output
    assert "missing because" in output


def test_explicit_measures_and_periods_count_what_the_files_hold(
    world: Path, tmp_path: Path
) -> None:
    out = tmp_path / "measures.csv"
    result, output = build(
        "--data",
        world,
        "--measure",
        "nfa_contacts",
        "--measure",
        "referral_nfa",
        "--school-year",
        "2021/22",
        "--window",
        "2021-09-01:2022-02-28",
        "--window",
        "2022-03-01:2022-07-31",
        "--observed-by",
        "2022-07-31",
        "--out",
        out,
    )
    assert result.exit_code == 0, output
    table = read(out).set_index(["name", "period", "urn"]).sort_index()
    assert "44 schools × 3 period(s) × 2 measure(s): 264 rows" in output

    contacts = pd.read_csv(world / "contacts.csv", parse_dates=["cont_contact_date"])
    nfa = contacts[
        (contacts["cont_contact_source_code"] == "2A")
        & (contacts["cont_contact_outcome"] == "nfa")
        & contacts["cont_contact_date"].between("2021-09-01", "2022-07-31")
    ]
    expected = nfa.groupby("cont_source_school_urn").size()
    year = table.loc[("nfa_contacts", "2021/22")]
    measured = year[year["missing_reason"].isna()]
    assert len(measured) > 30
    assert measured["count"].tolist() == expected.reindex(measured.index, fill_value=0).tolist()
    assert (measured["value"] == measured["count"] / measured["pupils"]).all()
    halves = (
        table.loc[("nfa_contacts", "2021-09-01:2022-02-28"), "count"]
        + table.loc[("nfa_contacts", "2022-03-01:2022-07-31"), "count"]
    )
    assert halves[measured.index].tolist() == measured["count"].tolist()

    gaps = pd.read_csv(world / "data_gaps.csv", dtype=str)
    schools = pd.read_csv(world / "schools.csv", dtype={"la_code": str}).set_index("urn")
    lacking = gaps[
        gaps["gap"].isin(["contacts", "referral_outcomes"]) & (gaps["school_year"] == "2021/22")
    ]
    referral_nfa = table.loc[("referral_nfa", "2021/22")]
    gap_schools = schools.index[schools["la_code"].isin(lacking["la_code"])]
    assert len(gap_schools) > 0
    assert referral_nfa.loc[gap_schools, "count"].isna().all()
    assert referral_nfa.loc[gap_schools, "missing_reason"].str.startswith("2021/22: ").all()
    assert referral_nfa.drop(gap_schools)["count"].notna().all()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], MSG_MODES),
        (["--protocol", "p.toml", "--measure", "contacts"], MSG_MODES),
        (["--window", "2021-09-01:2022-07-31"], MSG_MODES),
        (["--measure", "contacts"], MSG_NO_PERIOD),
        (
            ["--measure", "wellbeing", "--school-year", "2021/22"],
            MSG_UNKNOWN_MEASURE.format(
                value="wellbeing",
                names="contacts, nfa_contacts, referrals, referral_nfa, all_source_contacts",
            ),
        ),
        (
            ["--measure", "contacts", "--window", "2021-09-01/2022-07-31"],
            MSG_BAD_WINDOW.format(value="2021-09-01/2022-07-31"),
        ),
        (
            ["--measure", "contacts", "--school-year", "2021-22"],
            "'2021-22' is not a school year; write it like 2023/24",
        ),
        (["--measure", "referral_nfa", "--school-year", "2021/22"], MSG_NEEDS_OBSERVED_BY),
        (
            ["--measure", "referral_nfa", "--school-year", "2021/22", "--observed-by", "31/7/22"],
            MSG_BAD_DATE.format(value="31/7/22"),
        ),
    ],
)
def test_user_errors_name_the_fix(tmp_path: Path, args: list[str], message: str) -> None:
    result, _ = build("--data", tmp_path, "--out", tmp_path / "m.csv", *args)
    assert str(result.exception) == message


def test_a_contract_violation_names_file_row_and_field(
    world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for name in ("schools", "contacts", "referrals", "data_gaps"):
        (data / f"{name}.csv").write_bytes((world / f"{name}.csv").read_bytes())
    lines = (data / "contacts.csv").read_text(encoding="utf-8").splitlines()
    column = lines[0].split(",").index("cont_contact_date")
    cells = lines[3].split(",")
    cells[column] = "31/10/2021"
    lines[3] = ",".join(cells)
    (data / "contacts.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    argv = ["threshold", "measures", "build", "--data", str(data), "--out", str(tmp_path / "m.csv")]
    monkeypatch.setattr(sys, "argv", [*argv, "--measure", "contacts", "--school-year", "2021/22"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    stderr = capsys.readouterr().err
    assert "contacts.csv row 3 [cont_contact_date]: '31/10/2021' is not a date" in stderr
    assert "Traceback" not in stderr
    assert not (tmp_path / "m.csv").exists()
