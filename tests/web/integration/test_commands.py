"""`threshold web …` end to end, in a fresh SQLite file: seed the demo, import schools, verify
the audit chain, and find tampering."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from threshold.model import write_table

THRESHOLD = Path(sys.executable).parent / "threshold"
DEMO_PASSWORD = "demo passphrase for tests"


def threshold(*args: str, database: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "THRESHOLD_DEMO_PASSWORD"}
    }
    return subprocess.run(
        [str(THRESHOLD), "web", *args],
        env=base | {"DATABASE_URL": f"sqlite:///{database}"} | env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "threshold.sqlite3"


def test_seed_demo_needs_a_password(database: Path) -> None:
    result = threshold("seed-demo", database=database)
    assert result.returncode == 2
    assert "set THRESHOLD_DEMO_PASSWORD" in result.stderr


def test_seed_demo_then_verify_then_tamper(database: Path) -> None:
    seeded = threshold("seed-demo", database=database, THRESHOLD_DEMO_PASSWORD=DEMO_PASSWORD)
    assert seeded.returncode == 0, seeded.stderr
    for username in (
        "la.lead",
        "ssw",
        "dsl.lead",
        "dsl.deputy",
        "la.analyst",
        "evaluator",
        "admin",
    ):
        assert f"created {username} " in seeded.stdout
    again = threshold("seed-demo", database=database, THRESHOLD_DEMO_PASSWORD=DEMO_PASSWORD)
    assert "la.lead exists already" in again.stdout
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    verified = threshold("audit-verify", database=database)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("audit chain intact: ")
    head = verified.stdout.split("head #")[1].strip().replace(" ", ":")

    with sqlite3.connect(database) as db:
        db.execute("UPDATE audit_auditevent SET actor = 'mallory' WHERE sequence = 3")
    tampered = threshold("audit-verify", database=database)
    assert tampered.returncode == 2
    assert "event #3: its hash does not match its contents" in tampered.stderr

    with sqlite3.connect(database) as db:
        db.execute("DELETE FROM audit_auditevent WHERE sequence >= 3")
    truncated = threshold("audit-verify", "--anchor", head, database=database)
    assert truncated.returncode == 2
    assert "does not hold the anchor" in truncated.stderr


def test_import_organisations_from_contract_files(database: Path, tmp_path: Path) -> None:
    folder = tmp_path / "contract"
    write_table(
        pd.DataFrame({"la_code": ["990"], "la_name": ["Northmoor"], "region": [None]}),
        "local_authorities",
        folder,
    )
    schools = pd.DataFrame(
        {"urn": [990001], "name": ["Northmoor Academy"], "la_code": ["990"], "phase": ["secondary"]}
    )
    for column in (
        "establishment_type",
        "town",
        "postcode",
        "pupils_on_roll",
        "pct_fsm",
        "pct_eal",
        "pct_sen_support",
        "urban_rural",
        "ofsted_rating",
    ):
        schools[column] = None
    write_table(schools, "schools", folder)
    result = threshold("import-organisations", str(folder), database=database)
    assert result.returncode == 0, result.stderr
    assert "local authorities: 1 created" in result.stdout
    assert "schools: 1 created" in result.stdout
