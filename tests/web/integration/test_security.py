"""Secure headers, the content security policy, the health check, and production settings."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from threshold.web.accounts.roles import RoleName

REPO = Path(__file__).resolve().parents[3]
PRODUCTION = "threshold.web.config.settings.production"
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": PRODUCTION,
    "DJANGO_SECRET_KEY": "test-only-9fQ2#vL7@pX4!mZ8^wR1&kT6*yB3(nH5)jD0_cG-sE=aU+iO",
    "DATABASE_URL": "sqlite:////tmp/threshold-check-deploy.sqlite3",
    "ALLOWED_HOSTS": "threshold.example.org",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_pages_send_a_strict_csp_with_a_nonce_and_secure_headers(
    client: Client, make_user: Callable[..., object], sign_in: Callable[..., Client]
) -> None:
    sign_in(client, make_user(RoleName.LA_LEAD))
    response = client.get(reverse("core:home"))
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)[1]
    assert f'<script nonce="{nonce}">' in response.text
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_header_names_the_service_without_the_crown(client: Client) -> None:
    page = client.get(reverse("accounts:login")).text
    assert "govuk-service-navigation__service-name" in page
    assert "Threshold" in page
    assert "govuk-logo" not in page
    assert "crown" not in page.lower()


@pytest.mark.django_db
def test_health(client: Client) -> None:
    response = client.get(reverse("core:health"))
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response.headers["Cache-Control"]


def test_production_settings_pass_check_deploy() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS"])
def test_production_settings_have_no_defaults_for_secrets(missing: str) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert f"environment variable {missing} is not set" in result.stderr


def test_the_migrations_match_the_models() -> None:
    result = manage(
        "makemigrations",
        "--check",
        "--dry-run",
        env={"DJANGO_SETTINGS_MODULE": "threshold.web.config.settings.test"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
