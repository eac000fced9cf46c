"""Suggesting dates for a school's next supervision session (pure Python, no Django).

Sessions fall every 4 to 6 weeks (the programme's `interval_min_weeks`/`interval_max_weeks`),
counted from the school's previous session, or from the programme's start for the first. Only
weekdays are suggested, never a day the school has blocked, and INSET days (when staff are in
school without pupils) come first. When the window has already passed, the school is overdue
and the window runs from today for the width of the interval, so it is seen as soon as possible.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

SATURDAY = 5


def slot_window(
    *, anchor: dt.date, today: dt.date, min_weeks: int, max_weeks: int
) -> tuple[dt.date, dt.date]:
    """First and last day (inclusive) on which the next session should fall.

    `anchor` is the previous session's date, or the programme's start for the first session.
    Days before `today` are dropped; if the whole window is past, it restarts at `today`.
    """
    first = anchor + dt.timedelta(weeks=min_weeks)
    last = anchor + dt.timedelta(weeks=max_weeks)
    if last < today:
        return today, today + dt.timedelta(weeks=max_weeks - min_weeks)
    return max(first, today), last


def suggest_slots(
    *,
    anchor: dt.date,
    today: dt.date,
    min_weeks: int,
    max_weeks: int,
    blocked: Collection[dt.date] = (),
    inset: Collection[dt.date] = (),
    not_after: dt.date | None = None,
    count: int = 3,
) -> list[dt.date]:
    """Up to `count` weekdays in the window, none blocked and none after `not_after` (the
    programme's end): the school's INSET days first, then the other days, each earliest first."""
    first, last = slot_window(anchor=anchor, today=today, min_weeks=min_weeks, max_weeks=max_weeks)
    if not_after is not None:
        last = min(last, not_after)
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    open_days = [day for day in days if day.weekday() < SATURDAY and day not in blocked]
    preferred = [day for day in open_days if day in inset]
    others = [day for day in open_days if day not in inset]
    return (preferred + others)[:count]
