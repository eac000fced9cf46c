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


def database_from_url(url: str) -> dict[str, object]:
    """A DATABASES entry from a URL; SQLite gets WAL and immediate (serialised) transactions."""
    database = dj_database_url.parse(url, conn_max_age=0 if url.startswith("sqlite") else 60)
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    return database


INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "govuk_frontend_django",
    "threshold.web.core",
    "threshold.web.organisations",
    "threshold.web.accounts",
    "threshold.web.audit",
    "threshold.web.programme",
    "threshold.web.supervision",
    "threshold.web.insights",
    "threshold.web.guidance",
    "threshold.web.surveys",
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

# Sessions end after 30 minutes without a request, and when the browser closes.
SESSION_COOKIE_AGE = int(timedelta(minutes=30).total_seconds())
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Lockout (django-axes): five failed sign-ins for one username, or from one IP address, lock
# that username or address out for 30 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"

# Two-factor authentication (django-otp TOTP)
OTP_TOTP_ISSUER = "Threshold"
OTP_TOTP_THROTTLE_FACTOR = 1

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
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
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
