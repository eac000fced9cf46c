"""Settings shared by every environment. No secrets here: each environment module supplies
`SECRET_KEY`, `ALLOWED_HOSTS` and `DATABASES` (see docs/web.md for the variables)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

REPO_DIR = Path(__file__).resolve().parents[5]
"""The repository root: `node_modules/` and the default SQLite file live here."""

NODE_MODULES = Path(os.environ.get("THRESHOLD_NODE_MODULES", REPO_DIR / "node_modules"))
GOVUK_FRONTEND = NODE_MODULES / "govuk-frontend" / "dist" / "govuk"

MSG_MISSING_VARIABLE = (
    "environment variable {name} is not set: {meaning} (see README.md, 'Environment variables')"
)


def required_variable(name: str, meaning: str) -> str:
    """The value of environment variable `name`; ImproperlyConfigured naming it when unset."""
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(MSG_MISSING_VARIABLE.format(name=name, meaning=meaning))
    return value


SECRET_KEY_MIN_LENGTH = 50
MSG_SHORT_SECRET = (
    "environment variable {name} has {length} characters: production needs a random secret of "
    f"at least {SECRET_KEY_MIN_LENGTH}, for example from "
    "python -c 'import secrets; print(secrets.token_urlsafe(64))'"
)


def long_secret(name: str) -> str:
    """The secret in environment variable `name`; ImproperlyConfigured if unset or too short."""
    value = required_variable(name, f"a long random secret ({SECRET_KEY_MIN_LENGTH}+ characters)")
    if len(value) < SECRET_KEY_MIN_LENGTH:
        raise ImproperlyConfigured(MSG_SHORT_SECRET.format(name=name, length=len(value)))
    return value


def database_from_url(url: str) -> dict[str, object]:
    """A DATABASES entry from a URL; SQLite gets WAL and immediate (serialised) transactions."""
    database = dj_database_url.parse(url, conn_max_age=0 if url.startswith("sqlite") else 60)
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    return database


MSG_BAD_PROXIES = (
    "environment variable THRESHOLD_TRUSTED_PROXIES is {value!r}: give the number of proxies "
    "in front of the service that append to X-Forwarded-For (0 when there are none)"
)


def trusted_proxies() -> int:
    """THRESHOLD_TRUSTED_PROXIES: how many proxies in front of the service append the address
    they saw to X-Forwarded-For (default 0: the client's address is REMOTE_ADDR)."""
    value = os.environ.get("THRESHOLD_TRUSTED_PROXIES", "0").strip() or "0"
    if not value.isdigit():
        raise ImproperlyConfigured(MSG_BAD_PROXIES.format(value=value))
    return int(value)


def audit_anchor_file(database: dict[str, object], fallback: Path | None) -> Path | None:
    """Where audit anchors are appended: THRESHOLD_AUDIT_ANCHOR_FILE, else beside a SQLite
    database file (`threshold.sqlite3` -> `threshold.audit-anchors.jsonl`), else `fallback`."""
    configured = os.environ.get("THRESHOLD_AUDIT_ANCHOR_FILE", "").strip()
    if configured:
        return Path(configured)
    name = str(database["NAME"])
    if database["ENGINE"] == "django.db.backends.sqlite3" and name != ":memory:":
        return Path(name).with_suffix(".audit-anchors.jsonl")
    return fallback


def audit_contacts() -> list[str]:
    """THRESHOLD_AUDIT_CONTACT: comma-separated e-mail addresses that each anchor is sent to."""
    value = os.environ.get("THRESHOLD_AUDIT_CONTACT", "")
    return [address.strip() for address in value.split(",") if address.strip()]


INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "govuk_frontend_django",
    "django_tasks",
    "django_tasks_db",
    "threshold.web.core",
    "threshold.web.organisations",
    "threshold.web.accounts",
    "threshold.web.people",
    "threshold.web.audit",
    "threshold.web.programme",
    "threshold.web.supervision",
    "threshold.web.insights",
    "threshold.web.guidance",
    "threshold.web.surveys",
    "threshold.web.jobs",
    "threshold.web.trials",
    "threshold.web.reminders",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "threshold.web.accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "threshold.web.config.urls"
WSGI_APPLICATION = "threshold.web.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "threshold.web.core.context_processors.navigation",
            ],
        },
    },
]

DEFAULT_DATABASE_URL = f"sqlite:///{REPO_DIR / 'threshold.sqlite3'}"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background jobs (django-tasks with its database backend; ADR 0009): enqueued in the
# database, run by `threshold web worker` (started by `threshold web serve`).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Accounts and authentication
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions end after 30 minutes without a request (up to a minute sooner: their expiry is
# written at most once a minute, threshold.web.accounts.sessions), and when the browser closes.
SESSION_ENGINE = "threshold.web.accounts.sessions"
SESSION_COOKIE_AGE = int(timedelta(minutes=30).total_seconds())
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Lockout (django-axes): five failed sign-ins for one username, from anywhere or from one client
# address, lock that username out for 30 minutes; never an address alone, since everyone behind
# a shared proxy or NAT has one. Tries during a lockout do not extend it. The client's address
# comes from X-Forwarded-For only through the number of trusted proxies configured.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "threshold.web.accounts.client_address.client_address"
TRUSTED_PROXIES = trusted_proxies()

# Front-door imports: the longest one may hold an LA's store (seconds; see docs/frontdoor.md)
FRONTDOOR_IMPORT_SECONDS = 600

# Audit anchors: the chain's head, published outside the database (see docs/web.md)
AUDIT_ANCHOR_EMAILS = audit_contacts()
AUDIT_ANCHOR_MAX_AGE = timedelta(hours=24)

# Two-factor authentication (django-otp TOTP), with recovery codes (django-otp static tokens)
OTP_TOTP_ISSUER = "Threshold"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# Account recovery: a password-reset link works once, for an hour. Notices about a person's
# account name their LA's help contact, else this one (THRESHOLD_HELP_CONTACT, free text).
PASSWORD_RESET_TIMEOUT = int(timedelta(hours=1).total_seconds())
HELP_CONTACT = os.environ.get("THRESHOLD_HELP_CONTACT", "").strip()

# The service's address as its users reach it, for links in e-mails sent by scheduled jobs
# (THRESHOLD_SITE_URL, e.g. https://threshold.example.gov.uk).
SITE_URL = os.environ.get("THRESHOLD_SITE_URL", "").strip()

# Content security policy (django-csp 4) and secure headers
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Static files: GOV.UK Frontend from node_modules (installed by `npm ci`), served by whitenoise.
# STATIC_URL is /assets/ because GOV.UK Frontend's compiled CSS refers to /assets/fonts/….
STATIC_URL = "/assets/"
STATIC_ROOT = Path(os.environ.get("THRESHOLD_STATIC_ROOT", REPO_DIR / "staticfiles"))
STATICFILES_DIRS = [GOVUK_FRONTEND / "assets", ("govuk", GOVUK_FRONTEND)]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # whitenoise's CompressedManifestStaticFilesStorage, with JavaScript modules' imports
    # hashed: every file is served gzip-compressed and cached for a year (docs/web.md).
    "staticfiles": {"BACKEND": "threshold.web.core.storage.StaticFilesStorage"},
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
