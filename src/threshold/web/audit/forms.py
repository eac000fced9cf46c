"""The audit viewer's filters."""

from __future__ import annotations

from django import forms

from threshold.web.audit.models import AuditAction
from threshold.web.core.forms import GovUKDateField, GovUKForm

MSG_DATES_REVERSED = "The 'to' date must be the same as or after the 'from' date"
ANY = ("", "Any")


class AuditFilterForm(GovUKForm):
    """Narrow the audit log; `authority` choices are the LAs the viewer may see."""

    authority = forms.ChoiceField(label="Local authority", required=False)
    action = forms.ChoiceField(
        label="What happened",
        required=False,
        choices=[ANY, *AuditAction.choices()],
    )
    actor = forms.CharField(label="Who (username contains)", required=False, max_length=150)
    object_type = forms.CharField(
        label="Record type",
        required=False,
        max_length=100,
        help_text="For example accounts.membership",
    )
    date_from = GovUKDateField(label="From", subject="Date from", required=False)
    date_to = GovUKDateField(label="To", subject="Date to", required=False)

    def __init__(self, *args: object, authorities: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["authority"].choices = [("", "All you can see"), *authorities]

    def clean(self) -> dict[str, object]:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", MSG_DATES_REVERSED)
        return cleaned
