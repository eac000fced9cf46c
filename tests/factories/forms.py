"""Form data for the GOV.UK patterns of `threshold.web.core.forms`."""

from __future__ import annotations

import datetime as dt


def date_fields(name: str, date: dt.date | str | None) -> dict[str, str]:
    """The three keys a GOV.UK date input posts for `date` (`<name>-day`, `-month`, `-year`),
    as a person types them (no leading zeros); an ISO string is read as a date; None posts
    the three parts empty."""
    if isinstance(date, str):
        date = dt.date.fromisoformat(date)
    if date is None:
        return {f"{name}-day": "", f"{name}-month": "", f"{name}-year": ""}
    return {
        f"{name}-day": str(date.day),
        f"{name}-month": str(date.month),
        f"{name}-year": str(date.year),
    }


def fill_date(page: object, legend: str, date: dt.date | str) -> None:
    """In a browser test, type `date` into the GOV.UK date input whose legend is `legend`
    (exactly), as a person does: day, month and year."""
    if isinstance(date, str):
        date = dt.date.fromisoformat(date)
    group = page.get_by_role("group", name=legend, exact=True)  # type: ignore[attr-defined]
    group.get_by_label("Day").fill(str(date.day))
    group.get_by_label("Month").fill(str(date.month))
    group.get_by_label("Year").fill(str(date.year))


def read_date(page: object, legend: str) -> dt.date:
    """In a browser test, the date shown in the GOV.UK date input whose legend is `legend`."""
    group = page.get_by_role("group", name=legend, exact=True)  # type: ignore[attr-defined]
    day, month, year = (
        int(group.get_by_label(part).input_value()) for part in ("Day", "Month", "Year")
    )
    return dt.date(year, month, day)
