"""Settings for the test suite: fast hashing, in-memory email and storage, static files from
source. The database is in-memory SQLite unless DATABASE_URL names another (CI: PostgreSQL)."""

from __future__ import annotations

import os

from threshold.web.config.settings.base import *  # noqa: F403
from threshold.web.config.settings.base import database_from_url

DEBUG = False
SECRET_KEY = "test-only-not-secret-threshold-key"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL", "sqlite://:memory:"))}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
AUDIT_ANCHOR_FILE = None  # tests that publish anchors give a file of their own
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True  # find files on request: no collectstatic, no STATIC_ROOT
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
