"""Filters of the front-door lists: an LA's imports by status and date."""

from __future__ import annotations

from django import forms

from threshold.web.core.forms import GovUKDateField, GovUKForm
from threshold.web.insights.selectors import IMPORT_STATUS_LABELS

MSG_DATES_REVERSED = "The 'to' date must be the same as or after the 'from' date"
STATUS_CHOICES = [
    ("", "Any"),
    *((status.value, label) for status, label in IMPORT_STATUS_LABELS.items()),
]


class ImportFilterForm(GovUKForm):
    """Narrow an LA's imports."""

    status = forms.ChoiceField(label="Status", choices=STATUS_CHOICES, required=False)
    date_from = GovUKDateField(
        label="Imported from",
        subject="The 'from' date",
        the_subject="the 'from' date",
        required=False,
    )
    date_to = GovUKDateField(
        label="Imported to", subject="The 'to' date", the_subject="the 'to' date", required=False
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", MSG_DATES_REVERSED)
        return cleaned
