"""A clock for tests of rules that depend on the date ("a session in the future cannot be
held", "a date that has passed needs a reason"): it sets what `django.utils.timezone.now`
returns, so the services, `timezone.localdate()` and the audit trail all read the same time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone


class Clock:
    """`now` as the code under test sees it; `set` moves it (forwards, as days pass)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, start: dt.datetime) -> None:
        self.now = start
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def set(self, day: dt.date, hour: int = 18) -> dt.datetime:
        """Move to `hour` o'clock (local time) on `day`."""
        self.now = timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))
        return self.now

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        self.now += delta
        return self.now
