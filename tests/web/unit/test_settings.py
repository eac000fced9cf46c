"""Settings helpers: database URLs and required environment variables."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from threshold.web.config.settings.base import (
    MSG_MISSING_VARIABLE,
    database_from_url,
    required_variable,
)


def test_sqlite_gets_wal_and_immediate_transactions() -> None:
    database = database_from_url("sqlite:////tmp/threshold.sqlite3")
    assert database["NAME"] == "/tmp/threshold.sqlite3"
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_postgresql_is_parsed_without_sqlite_options() -> None:
    database = database_from_url("postgres://threshold:secret@db.example:5432/threshold")
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["NAME"], database["USER"]) == (
        "db.example",
        "threshold",
        "threshold",
    )
    assert "OPTIONS" not in database or "init_command" not in database["OPTIONS"]


def test_a_missing_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("THRESHOLD_TEST_VARIABLE", raising=False)
    with pytest.raises(ImproperlyConfigured) as raised:
        required_variable("THRESHOLD_TEST_VARIABLE", "what it is for")
    assert str(raised.value) == MSG_MISSING_VARIABLE.format(
        name="THRESHOLD_TEST_VARIABLE", meaning="what it is for"
    )
