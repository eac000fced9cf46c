"""Production settings, configured only from environment variables (README.md lists them).

There are no defaults for secrets: a missing DJANGO_SECRET_KEY, DATABASE_URL or ALLOWED_HOSTS
stops the service with a message naming the variable, and so does a secret key under 50
characters. TLS is expected to end at a proxy that sets X-Forwarded-Proto.
"""

from __future__ import annotations

import os
from datetime import timedelta

from threshold.web.config.settings.base import *  # noqa: F403
from threshold.web.config.settings.base import (
    audit_anchor_file,
    database_from_url,
    long_secret,
    required_variable,
)

DEBUG = False
SECRET_KEY = long_secret("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = [
    host.strip()
    for host in required_variable("ALLOWED_HOSTS", "comma-separated host names").split(",")
    if host.strip()
]
DATABASES = {
    "default": database_from_url(
        required_variable(
            "DATABASE_URL", "postgres://USER:PASSWORD@HOST:5432/NAME or sqlite:///PATH"
        )
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Each gunicorn thread keeps its connection: opening one, with its PRAGMAs, took about
    # 3 ms of CPU a request (benchmarks/web_load.py).
    DATABASES["default"]["CONN_MAX_AGE"] = 60
AUDIT_ANCHOR_FILE = audit_anchor_file(DATABASES["default"], None)

SECURE_SSL_REDIRECT = True
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(timedelta(days=365).total_seconds())
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

# Outgoing e-mail (survey invitations): an SMTP server, configured only from the environment.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "true").lower() == "true"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Threshold <no-reply@localhost>")
