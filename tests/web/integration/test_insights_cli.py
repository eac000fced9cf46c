"""`threshold web import-organisations` fills schools' pupils and % FSM, and `threshold web
import-frontdoor` imports an LA export into the store (beside the database by default) and the
database, in a fresh SQLite file."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd

from threshold.model import TABLES, write_table

THRESHOLD = Path(sys.executable).parent / "threshold"
SSD = (
    "cont_contact_id,cont_person_id,cont_contact_date,cont_contact_source_code,"
    "cont_contact_outcome_json,cont_source_school_urn\n"
    'C1,P100,2024-09-10,2A,"{""OUTCOME_NFA_FLAG"": ""Y""}",990001\n'
)


def threshold(*args: str, folder: Path) -> subprocess.CompletedProcess[str]:
    unset = {"DJANGO_SETTINGS_MODULE", "THRESHOLD_FRONTDOOR_STORE"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [str(THRESHOLD), "web", *args],
        env=env | {"DATABASE_URL": f"sqlite:///{folder / 'threshold.sqlite3'}"},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_import_organisations_then_an_la_export(tmp_path: Path) -> None:
    write_table(
        pd.DataFrame({"la_code": ["990"], "la_name": ["Northmoor"], "region": [None]}),
        "local_authorities",
        tmp_path,
    )
    schools = pd.DataFrame(
        {
            "urn": [990001],
            "name": ["Northmoor Academy"],
            "la_code": ["990"],
            "phase": ["secondary"],
            "pupils_on_roll": [1087],
            "pct_fsm": [22.5],
        }
    ).reindex(columns=list(TABLES["schools"].columns))
    write_table(schools, "schools", tmp_path)
    organisations = threshold("import-organisations", str(tmp_path), folder=tmp_path)
    assert organisations.returncode == 0, organisations.stderr
    export = tmp_path / "contacts.csv"
    export.write_text(SSD, encoding="utf-8")
    imported = threshold(
        "import-frontdoor", str(export), "--format", "ssd", "--la", "990", folder=tmp_path
    )
    assert imported.returncode == 0, imported.stderr
    assert "contacts.csv: 1 records, 1 loaded, 0 quarantined; contacts 1 created" in (
        imported.stdout
    )
    # The store is beside the SQLite database.
    assert (tmp_path / "threshold.frontdoor" / "990" / "contacts.csv").is_file()
    with sqlite3.connect(tmp_path / "threshold.sqlite3") as db:
        assert db.execute(
            "SELECT pupils_on_roll, pct_fsm FROM organisations_school"
        ).fetchall() == [(1087, 22.5)]
        assert db.execute("SELECT contact_id FROM insights_contact").fetchall() == [("990-C1",)]
    missing = threshold(
        "import-frontdoor", str(export), "--format", "ssd", "--la", "999", folder=tmp_path
    )
    assert missing.returncode != 0
    assert "local authority '999' is not in Threshold" in missing.stderr
