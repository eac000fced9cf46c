"""Sessions in the database whose idle expiry is moved forward at most once a minute.

Django's `SESSION_SAVE_EVERY_REQUEST` writes the session on every request, so that it expires
`SESSION_COOKIE_AGE` after the last one: on SQLite that is a write transaction per page, and
every page waits its turn for the database's one writer. This store saves a session that has
not changed only when its stored expiry is more than `REFRESH_SECONDS` old, so a session still
ends after 30 idle minutes, up to a minute sooner, never later. A changed session is saved at
once, as before.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.base_session import AbstractBaseSession
from django.utils import timezone

REFRESH_SECONDS = 60
"""A session's expiry is written again once it is this many seconds older than a fresh one's."""


class SessionStore(DatabaseSessionStore):
    """`SESSION_ENGINE = "threshold.web.accounts.sessions"`: the database store, marked
    modified on loading when its expiry is due to be moved forward."""

    def _get_session_from_db(self) -> AbstractBaseSession | None:
        stored = super()._get_session_from_db()
        if stored is not None:
            fresh = timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
            if fresh - stored.expire_date > dt.timedelta(seconds=REFRESH_SECONDS):
                self.modified = True
        return stored
