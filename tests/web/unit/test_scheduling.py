"""Suggested session dates: properties (never a blocked day, always a weekday in the window,
INSET days first) and a few worked examples."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from threshold.web.programme import scheduling
from threshold.web.programme.scheduling import slot_window, suggest_slots

MONDAY = dt.date(2024, 9, 2)
days = st.dates(min_value=dt.date(2024, 8, 1), max_value=dt.date(2025, 7, 31))
intervals = st.tuples(st.integers(1, 8), st.integers(0, 4)).map(lambda t: (t[0], t[0] + t[1]))


@st.composite
def cases(draw: st.DrawFn) -> dict[str, object]:
    """An anchor, today, an interval, and blocked and INSET days near the window."""
    anchor = draw(days)
    min_weeks, max_weeks = draw(intervals)
    today = anchor + dt.timedelta(days=draw(st.integers(-30, 120)))
    near = st.dates(min_value=anchor, max_value=anchor + dt.timedelta(weeks=16))
    return {
        "anchor": anchor,
        "today": today,
        "min_weeks": min_weeks,
        "max_weeks": max_weeks,
        "blocked": draw(st.frozensets(near, max_size=20)),
        "inset": draw(st.frozensets(near, max_size=5)),
        "count": draw(st.integers(1, 10)),
    }


@given(cases())
def test_never_a_blocked_day_and_always_a_weekday(case: dict[str, object]) -> None:
    slots = suggest_slots(**case)
    assert not set(slots) & case["blocked"]
    assert all(day.weekday() < 5 for day in slots)
    assert len(slots) == len(set(slots)) <= case["count"]


@given(cases())
def test_always_within_the_window(case: dict[str, object]) -> None:
    first, last = slot_window(
        anchor=case["anchor"],
        today=case["today"],
        min_weeks=case["min_weeks"],
        max_weeks=case["max_weeks"],
    )
    assert case["today"] <= first <= last
    assert all(first <= day <= last for day in suggest_slots(**case))


@given(cases())
def test_the_window_is_the_interval_after_the_anchor_when_that_is_still_to_come(
    case: dict[str, object],
) -> None:
    first, last = slot_window(
        anchor=case["anchor"],
        today=min(case["today"], case["anchor"]),
        min_weeks=case["min_weeks"],
        max_weeks=case["max_weeks"],
    )
    assert first == case["anchor"] + dt.timedelta(weeks=case["min_weeks"])
    assert last == case["anchor"] + dt.timedelta(weeks=case["max_weeks"])


@given(cases())
def test_inset_days_come_first(case: dict[str, object]) -> None:
    first, last = slot_window(
        anchor=case["anchor"],
        today=case["today"],
        min_weeks=case["min_weeks"],
        max_weeks=case["max_weeks"],
    )
    usable = sorted(
        day for day in case["inset"] - case["blocked"] if first <= day <= last and day.weekday() < 5
    )
    slots = suggest_slots(**case)
    assert slots[: len(usable)] == usable[: case["count"]]


def test_four_to_six_weeks_after_the_last_session_skipping_blocked_days() -> None:
    blocked = {MONDAY + dt.timedelta(weeks=4), MONDAY + dt.timedelta(weeks=4, days=1)}
    slots = suggest_slots(
        anchor=MONDAY, today=MONDAY, min_weeks=4, max_weeks=6, blocked=blocked, count=3
    )
    assert slots == [MONDAY + dt.timedelta(weeks=4, days=n) for n in (2, 3, 4)]


def test_an_inset_day_late_in_the_window_is_offered_first() -> None:
    inset = MONDAY + dt.timedelta(weeks=5, days=4)
    slots = suggest_slots(anchor=MONDAY, today=MONDAY, min_weeks=4, max_weeks=6, inset={inset})
    assert slots[0] == inset


def test_an_overdue_school_is_offered_the_next_days() -> None:
    today = MONDAY + dt.timedelta(weeks=10, days=3)  # a Thursday
    slots = suggest_slots(anchor=MONDAY, today=today, min_weeks=4, max_weeks=6, count=2)
    assert slots == [today, today + dt.timedelta(days=1)]


def test_nothing_after_the_programme_ends() -> None:
    end = MONDAY + dt.timedelta(weeks=3)
    assert suggest_slots(anchor=MONDAY, today=MONDAY, min_weeks=4, max_weeks=6, not_after=end) == []


def test_scheduling_imports_no_django() -> None:
    tree = ast.parse(Path(scheduling.__file__).read_text(encoding="utf-8"))
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
        )
    }
    assert imported <= {"__future__", "datetime", "collections"}
