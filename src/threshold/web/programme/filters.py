"""The filters of the programme's lists (the schedule, take-up, meetings, programmes): GET
forms whose choices are what the person's list holds, so a filter only narrows what they
may see. A value that is not a choice, or a date that is not one, is an error at its field
(never a server error); the list then shows what the valid filters leave."""

from __future__ import annotations

from typing import Any

from django import forms

from threshold.web.core.forms import GovUKDateField, GovUKForm
from threshold.web.programme.selectors import (
    STATUS_PLANNED,
    STATUS_RECORD_MISSING,
    STATUS_RECORD_WRITTEN,
    FilterChoices,
    ListFilters,
)

SEARCH_MAX = 100
MSG_SEARCH_LONG = f"School name or URN must be {SEARCH_MAX} characters or fewer"
MSG_AUTHORITY = "Select a local authority from the list"
MSG_SSW = "Select a supervising social worker from the list"
MSG_SCHOOL = "Select a school from the list"
MSG_STATUS = "Select a status from the list"
MSG_YEAR = "Select a school year from the list"
MSG_DATES_REVERSED = "The ‘to’ date must be the same as or after the ‘from’ date"
STATUS_CHOICES = [
    ("", "Any status"),
    (STATUS_PLANNED, "Planned"),
    ("held", "Held"),
    (STATUS_RECORD_WRITTEN, "Held, record written"),
    (STATUS_RECORD_MISSING, "Held, record not written"),
    ("cancelled", "Cancelled"),
    ("rescheduled", "Moved to another date"),
]
"""The status filter's choices (the keys of `selectors.SESSION_STATUSES`)."""


def _dates_in_order(form: forms.Form, cleaned: dict[str, Any]) -> dict[str, Any]:
    """`cleaned`, with an error at the 'to' date when it is before the 'from' date."""
    start, end = cleaned.get("date_from"), cleaned.get("date_to")
    if start and end and end < start:
        form.add_error("date_to", MSG_DATES_REVERSED)
    return cleaned


def _choice(label: str, message: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        required=False,
        error_messages={"invalid_choice": message},
    )


class ListFilterForm(GovUKForm):
    """Search by school name or URN; an LA, SSW or school, each only when the list holds
    more than one (`choices`)."""

    search = forms.CharField(
        label="School name or URN",
        required=False,
        max_length=SEARCH_MAX,
        error_messages={"max_length": MSG_SEARCH_LONG},
    )
    authority = _choice("Local authority", MSG_AUTHORITY)
    ssw = _choice("Supervising social worker", MSG_SSW)
    school = _choice("School", MSG_SCHOOL)

    def __init__(self, *args: Any, choices: FilterChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offered = {
            "authority": ("Any local authority", choices.authorities),
            "ssw": ("Any SSW", choices.ssws),
            "school": ("Any school", choices.schools),
        }
        for name, (anything, values) in offered.items():
            if name not in self.fields:
                continue
            if len(values) < 2:
                del self.fields[name]
            else:
                self.fields[name].choices = [("", anything), *((str(k), v) for k, v in values)]

    def clean(self) -> dict[str, Any]:
        return _dates_in_order(self, super().clean())

    def filters(self) -> ListFilters:
        """The valid filters (those with an error are left out). Call after `is_valid()`."""
        data = getattr(self, "cleaned_data", {}) if self.is_bound else {}
        number = {k: int(data[k]) if data.get(k) else None for k in ("ssw", "school")}
        return ListFilters(
            search=(data.get("search") or "").strip(),
            authority=data.get("authority") or "",
            status=data.get("status") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            **number,
        )

    @property
    def in_use(self) -> bool:
        """Whether any filter is chosen (an empty state then offers to clear them)."""
        if not self.is_bound:
            return False
        chosen = getattr(self, "cleaned_data", {}).values()
        return bool(self.errors) or any(value not in ("", None) for value in chosen)


class SchoolFilterForm(ListFilterForm):
    """The schools in the schedule and in take-up: search, LA and SSW."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.pop("school", None)


class SessionFilterForm(ListFilterForm):
    """Sessions: search, LA, SSW and school, the status, and the dates they fall between."""

    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=STATUS_CHOICES,
        error_messages={"invalid_choice": MSG_STATUS},
    )
    date_from = GovUKDateField(label="From", subject="The ‘from’ date", required=False)
    date_to = GovUKDateField(label="To", subject="The ‘to’ date", required=False)


class MeetingFilterForm(GovUKForm):
    """Meetings: an LA (when the person sees several) and the dates they were held between."""

    authority = _choice("Local authority", MSG_AUTHORITY)
    date_from = GovUKDateField(label="From", subject="The ‘from’ date", required=False)
    date_to = GovUKDateField(label="To", subject="The ‘to’ date", required=False)

    def __init__(self, *args: Any, authorities: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if len(authorities) < 2:
            del self.fields["authority"]
        else:
            self.fields["authority"].choices = [("", "Any local authority"), *authorities]

    def clean(self) -> dict[str, Any]:
        return _dates_in_order(self, super().clean())


class ProgrammeFilterForm(GovUKForm):
    """Programmes: an LA (when the person sees several) and a school year."""

    authority = _choice("Local authority", MSG_AUTHORITY)
    school_year = _choice("School year", MSG_YEAR)

    def __init__(
        self,
        *args: Any,
        authorities: list[tuple[str, str]],
        school_years: list[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if len(authorities) < 2:
            del self.fields["authority"]
        else:
            self.fields["authority"].choices = [("", "Any local authority"), *authorities]
        if len(school_years) < 2:
            del self.fields["school_year"]
        else:
            self.fields["school_year"].choices = [
                ("", "Any school year"),
                *((year, year) for year in school_years),
            ]
