"""Settings helpers: database URLs, required and long secret environment variables, trusted
proxies and where audit anchors go."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from threshold.web.config.settings.base import (
    MSG_BAD_PROXIES,
    MSG_MISSING_VARIABLE,
    MSG_SHORT_SECRET,
    SECRET_KEY_MIN_LENGTH,
    audit_anchor_file,
    database_from_url,
    long_secret,
    required_variable,
    trusted_proxies,
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


def test_a_secret_under_50_characters_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THRESHOLD_TEST_SECRET", "s" * (SECRET_KEY_MIN_LENGTH - 1))
    with pytest.raises(ImproperlyConfigured) as raised:
        long_secret("THRESHOLD_TEST_SECRET")
    assert str(raised.value) == MSG_SHORT_SECRET.format(
        name="THRESHOLD_TEST_SECRET", length=SECRET_KEY_MIN_LENGTH - 1
    )
    monkeypatch.setenv("THRESHOLD_TEST_SECRET", "s" * SECRET_KEY_MIN_LENGTH)
    assert long_secret("THRESHOLD_TEST_SECRET") == "s" * SECRET_KEY_MIN_LENGTH


@pytest.mark.parametrize(("value", "expected"), [(None, 0), ("", 0), ("2", 2)])
def test_trusted_proxies_default_to_none(
    value: str | None, expected: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    if value is None:
        monkeypatch.delenv("THRESHOLD_TRUSTED_PROXIES", raising=False)
    else:
        monkeypatch.setenv("THRESHOLD_TRUSTED_PROXIES", value)
    assert trusted_proxies() == expected


@pytest.mark.parametrize("value", ["two", "-1", "1.5"])
def test_trusted_proxies_must_be_a_count(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THRESHOLD_TRUSTED_PROXIES", value)
    with pytest.raises(ImproperlyConfigured) as raised:
        trusted_proxies()
    assert str(raised.value) == MSG_BAD_PROXIES.format(value=value)


@pytest.mark.parametrize(
    ("url", "variable", "expected"),
    [
        ("sqlite:////srv/threshold.sqlite3", None, "/srv/threshold.audit-anchors.jsonl"),
        ("sqlite:////srv/threshold.sqlite3", "/backup/anchors.jsonl", "/backup/anchors.jsonl"),
        ("sqlite://:memory:", None, "/fallback.jsonl"),
        ("postgres://u:p@db.example:5432/threshold", None, "/fallback.jsonl"),
    ],
)
def test_audit_anchors_go_beside_a_sqlite_file_unless_told(
    url: str, variable: str | None, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if variable is None:
        monkeypatch.delenv("THRESHOLD_AUDIT_ANCHOR_FILE", raising=False)
    else:
        monkeypatch.setenv("THRESHOLD_AUDIT_ANCHOR_FILE", variable)
    found = audit_anchor_file(database_from_url(url), Path("/fallback.jsonl"))
    assert found == Path(expected)
