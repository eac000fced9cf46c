"""Filters of the guidance lists: the information line's calls (the call search, with words to
search for) and the DSL's pathway records (school, dates, what they did, words)."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet

from threshold.web.core.forms import GovUKDateField, GovUKForm
from threshold.web.guidance.forms import ROUTES, CallSearchForm
from threshold.web.organisations.models import School

MSG_DATES_REVERSED = "The 'to' date must be the same as or after the 'from' date"
MSG_SEARCH_TOO_LONG = "Search for 100 characters or fewer"
SEARCH_MAX = 100
ANY = ("", "Any")
CONTACTED = [ANY, ("yes", "Yes"), ("no", "No")]
FROM = {"subject": "The 'from' date", "the_subject": "the 'from' date", "required": False}
TO = {"subject": "The 'to' date", "the_subject": "the 'to' date", "required": False}


def _search_field(label: str, hint: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=hint,
        required=False,
        max_length=SEARCH_MAX,
        strip=True,
        error_messages={"max_length": MSG_SEARCH_TOO_LONG},
    )


def _dates_in_order(form: forms.Form, cleaned: dict) -> None:
    start, end = cleaned.get("date_from"), cleaned.get("date_to")
    if start and end and end < start:
        form.add_error("date_to", MSG_DATES_REVERSED)


class CallFilterForm(CallSearchForm):
    """The call search (school, dates, concern, route advised) and words to search for."""

    search = _search_field(
        "Search", "Words in the school's name or URN, the advice given or the follow-up agreed"
    )
    field_order = ("search", "school", "date_from", "date_to", "category", "route")

    def clean(self) -> dict:
        cleaned = super().clean()
        _dates_in_order(self, cleaned)
        return cleaned


class OutcomeFilterForm(GovUKForm):
    """Narrow a DSL's pathway records."""

    search = _search_field("Search", "Words in the school's name, or its URN")
    school = forms.ModelChoiceField(
        label="School", queryset=School.objects.none(), required=False, empty_label="Any"
    )
    date_from = GovUKDateField(label="Recorded from", **FROM)
    date_to = GovUKDateField(label="Recorded to", **TO)
    route_taken = forms.ChoiceField(label="What you did", choices=[ANY, *ROUTES], required=False)
    contacted = forms.ChoiceField(label="Front door contacted", choices=CONTACTED, required=False)

    def __init__(self, *args: object, schools: QuerySet[School], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools

    def clean(self) -> dict:
        cleaned = super().clean()
        _dates_in_order(self, cleaned)
        return cleaned
