"""`threshold web …` end to end, in a fresh SQLite file: seed the demo, import schools, verify
the audit chain against its anchors, find tampering, and serve (saying which settings, and
running queued jobs in the worker it starts)."""

from __future__ import annotations

import base64
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from django_otp.oath import TOTP

from threshold.cli.web import MSG_DEVELOPMENT_SETTINGS, MSG_SETTINGS
from threshold.model import write_table
from threshold.web.accounts.demo import MSG_NOT_DEMO
from threshold.web.audit.models import MSG_APPEND_ONLY
from threshold.web.config.settings.base import MSG_SHORT_SECRET

THRESHOLD = Path(sys.executable).parent / "threshold"
DEMO_PASSWORD = "demo passphrase for tests"
DEMO_KEY = re.compile(r"^(\S+): authenticator key ([A-Z2-7 ]+) \(", re.MULTILINE)


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


UPDATE_ACTOR = "UPDATE audit_auditevent SET actor = 'mallory' WHERE sequence = 3"


def drop_append_only_triggers(db: sqlite3.Connection) -> None:
    """What someone with write access to the database file can do."""
    for verb in ("update", "delete"):
        db.execute(f"DROP TRIGGER audit_event_no_{verb}")


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
    # Who needs a second factor gets an app: its key is printed, demo-code gives its code.
    keys = dict(DEMO_KEY.findall(seeded.stdout))
    assert sorted(keys) == ["admin", "evaluator", "la.analyst", "la.lead", "ssw"]
    app = TOTP(base64.b32decode(keys["la.lead"].replace(" ", "")))
    before = f"{app.token():06d}"
    code = threshold("demo-code", "la.lead", database=database)
    assert code.stdout.strip() in {before, f"{app.token():06d}"}, code.stderr
    again = threshold("seed-demo", database=database, THRESHOLD_DEMO_PASSWORD=DEMO_PASSWORD)
    assert "la.lead exists already" in again.stdout
    assert dict(DEMO_KEY.findall(again.stdout)) == keys
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    verified = threshold("audit-verify", database=database)
    assert verified.returncode == 0, verified.stderr
    intact, checked = verified.stdout.splitlines()
    assert intact.startswith("audit chain intact: ")
    assert checked.startswith("it holds the anchor #")  # seed-demo's events published one
    head = intact.split("head #")[1].replace(" ", ":")

    with sqlite3.connect(database) as db:
        for sql in (UPDATE_ACTOR, "DELETE FROM audit_auditevent"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                db.execute(sql)
        drop_append_only_triggers(db)
        db.execute(UPDATE_ACTOR)
    tampered = threshold("audit-verify", database=database)
    assert tampered.returncode == 2
    assert "event #3: its hash does not match its contents" in tampered.stderr

    with sqlite3.connect(database) as db:
        db.execute("DELETE FROM audit_auditevent WHERE sequence >= 3")
    truncated = threshold("audit-verify", "--anchor", head, database=database)
    assert truncated.returncode == 2
    assert "does not hold the anchor" in truncated.stderr


@pytest.fixture
def contract(tmp_path: Path) -> Path:
    """A folder with one LA and one school as contract files."""
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
    return folder


def test_import_organisations_from_contract_files(database: Path, contract: Path) -> None:
    result = threshold("import-organisations", str(contract), database=database)
    assert result.returncode == 0, result.stderr
    assert "local authorities: 1 created" in result.stdout
    assert "schools: 1 created" in result.stdout


def test_demo_code_refuses_a_database_seed_demo_did_not_make(
    database: Path, contract: Path
) -> None:
    assert threshold("import-organisations", str(contract), database=database).returncode == 0
    refused = threshold("demo-code", "la.lead", database=database)
    assert refused.returncode == 2
    assert MSG_NOT_DEMO in refused.stderr


def test_sqlite_refuses_to_change_or_delete_audit_events(database: Path, contract: Path) -> None:
    assert threshold("import-organisations", str(contract), database=database).returncode == 0
    with sqlite3.connect(database) as db:
        for sql in (
            "UPDATE audit_auditevent SET actor = 'mallory'",
            "DELETE FROM audit_auditevent",
        ):
            with pytest.raises(sqlite3.DatabaseError, match=MSG_APPEND_ONLY):
                db.execute(sql)
        assert {actor for (actor,) in db.execute("SELECT actor FROM audit_auditevent")} >= {
            "command:organisations_import"
        }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def scheduled(database: Path) -> list[str]:
    """The schedules the periodic jobs' scheduler has recorded a slot of."""
    with sqlite3.connect(database) as db:
        return [name for (name,) in db.execute("SELECT name FROM jobs_scheduledrun")]


def test_serve_says_loudly_it_runs_development_settings_anchors_the_chain_and_runs_jobs(
    database: Path, contract: Path, tmp_path: Path
) -> None:
    assert threshold("import-organisations", str(contract), database=database).returncode == 0
    touched = tmp_path / "touched"
    enqueue = f"from factories.jobs import touch; touch.enqueue({str(touched)!r})"
    queued = subprocess.run(
        [sys.executable, "-m", "django", "shell", "-c", enqueue],
        env=os.environ
        | {
            "DATABASE_URL": f"sqlite:///{database}",
            "DJANGO_SETTINGS_MODULE": "threshold.web.config.settings.dev",
            "PYTHONPATH": str(Path(__file__).parents[2]),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert queued.returncode == 0, queued.stderr
    anchors = database.with_suffix(".audit-anchors.jsonl")
    published = len(anchors.read_text().splitlines())
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(Path(__file__).parents[2])  # the worker imports the test's job
    server = subprocess.Popen(
        [str(THRESHOLD), "web", "serve", "--port", str(port)],
        env=env | {"DATABASE_URL": f"sqlite:///{database}", "GUNICORN_CMD_ARGS": "--workers 1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr.readline().rstrip("\n") == MSG_DEVELOPMENT_SETTINGS
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=5) as up:
                    assert up.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "the service did not start"
                time.sleep(0.5)
        while not touched.exists():
            assert time.monotonic() < deadline, "the worker serve started ran no job"
            time.sleep(0.5)
        while not scheduled(database):
            assert time.monotonic() < deadline, "the scheduler serve started did not tick"
            time.sleep(0.5)
    finally:
        server.terminate()
        server.communicate(timeout=30)
    lines = anchors.read_text().splitlines()
    assert len(lines) == published + 1
    with sqlite3.connect(database) as db:
        (actor,) = db.execute(
            "SELECT actor FROM audit_auditevent WHERE action = 'anchor' ORDER BY sequence DESC"
        ).fetchone()
    assert actor == "command:audit_anchor"


def test_production_settings_refuse_a_short_secret_key(database: Path) -> None:
    result = threshold(
        "serve",
        database=database,
        DJANGO_SETTINGS_MODULE="threshold.web.config.settings.production",
        DJANGO_SECRET_KEY="too-short-for-production",
        ALLOWED_HOSTS="threshold.example.org",
    )
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == MSG_SETTINGS.format(
        module="threshold.web.config.settings.production"
    )
    assert MSG_SHORT_SECRET.format(name="DJANGO_SECRET_KEY", length=24) in result.stderr
