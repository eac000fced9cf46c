"""`threshold frontdoor import`: the standard formats from the command line, errors without
tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from factories.cli import run_threshold
from threshold.synth import MESSY_PROFILE

DATA = Path(__file__).parents[1] / "data"


def test_import_annex_a_then_cin_census_into_one_store(tmp_path):
    store = tmp_path / "store"
    annex = run_threshold(
        "frontdoor",
        "import",
        str(DATA / "la-data-standards" / "liia_tools_Annex_A_sample.xlsx"),
        "--format",
        "annex-a",
        "--la",
        "975",
        "--out",
        str(store),
        "--json",
    )
    assert annex.returncode == 0, annex.stderr
    parts = json.loads(annex.stdout)["parts"]
    assert [(p["table"], p["new"]) for p in parts] == [("contacts", 5), ("referrals", 6)]
    cin = run_threshold(
        "frontdoor",
        "import",
        str(DATA / "la-data-standards" / "d2i_csc_validator_cin_fake_CIN_data.xml"),
        "--format",
        "cin-xml",
        "--la",
        "975",
        "--out",
        str(store),
    )
    assert cin.returncode == 0, cin.stderr
    assert "402" in cin.stdout
    # neither export has referral ids: the census is the LA's later snapshot of its referrals
    # over dates that include the workbook's, so it supersedes the workbook's six
    assert len(pd.read_csv(store / "referrals.csv")) == 402
    assert len(pd.read_csv(store / "contacts.csv")) == 5
    log = (store / "imports.jsonl").read_text().splitlines()
    assert [json.loads(line)["format"] for line in log] == ["annex-a", "cin-xml"]


def test_mapped_import_with_register_reports_quarantine_and_link_queue(tmp_path):
    export = tmp_path / "contacts.csv"
    export.write_text(
        "Child ID,Contact date,Source of contact,School/Setting,Outcome of contact,Contact Ref\n"
        "C1,04/09/2023,Schools,Vale Acad,NFA,A1\n"
        "C2,04/09/2023,Schools,St Josephs RC Primary,NFA,A2\n"
        "C3,31/02/2023,Police,,NFA,A3\n"
    )
    register = tmp_path / "register.csv"
    register.write_text(
        "urn,name,la_code,town\n990001,Vale Academy,981,Kestrelton\n"
        "990002,St Joseph's Catholic Primary School,981,Porthavel\n"
        "990003,St Joseph's Catholic Primary School,981,Marwick\n"
    )
    result = run_threshold(
        "frontdoor",
        "import",
        str(export),
        "--format",
        "mapped",
        "--profile",
        str(MESSY_PROFILE),
        "--la",
        "981",
        "--out",
        str(tmp_path / "store"),
        "--register",
        str(register),
    )
    assert result.returncode == 0, result.stderr
    assert "1 record(s) quarantined" in result.stdout
    assert "link-queue.csv" in result.stdout


def test_user_errors_print_without_a_traceback(tmp_path):
    missing_profile = run_threshold(
        "frontdoor",
        "import",
        str(MESSY_PROFILE),
        "--format",
        "mapped",
        "--la",
        "981",
        "--out",
        str(tmp_path / "s"),
    )
    assert missing_profile.returncode == 2
    assert "the mapped format needs a profile" in missing_profile.stderr
    assert "Traceback" not in missing_profile.stderr
    bad_format = run_threshold(
        "frontdoor",
        "import",
        "x.csv",
        "--format",
        "excel",
        "--la",
        "981",
        "--out",
        str(tmp_path / "s"),
    )
    assert bad_format.returncode == 2
    assert "--format must be one of: ssd, annex-a, cin-xml, mapped" in bad_format.stderr
