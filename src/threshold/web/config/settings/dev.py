"""Settings for a developer's machine: debug pages, SQLite by default, static files from source."""

from __future__ import annotations

import os

from threshold.web.config.settings.base import *  # noqa: F403
from threshold.web.config.settings.base import (
    DEFAULT_DATABASE_URL,
    REPO_DIR,
    audit_anchor_file,
    database_from_url,
)

DEBUG = True
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-not-secret-threshold-key")
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))}
AUDIT_ANCHOR_FILE = audit_anchor_file(
    DATABASES["default"], REPO_DIR / "var" / "threshold.audit-anchors.jsonl"
)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SITE_URL = os.environ.get("THRESHOLD_SITE_URL", "").strip() or "http://127.0.0.1:8000"
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"  # invitations print, not send
