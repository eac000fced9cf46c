"""The reminder choices form: a checkbox for each reminder and the day counts, for the
settings that concern the person (or, for an LA's defaults, all of them)."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator
from django.db import models

from threshold.web.core.forms import GovUKForm
from threshold.web.reminders.models import ReminderSettings
from threshold.web.reminders.services import MSG_CHASERS_ORDER

MSG_WHOLE_NUMBER = "Enter the number of days as a whole number, like 3"
MSG_DAYS_RANGE = "Enter a number of days from {low} to {high}"
NUMBER_ATTRS = {"inputmode": "numeric", "class": "govuk-input--width-3"}
HINTS = {
    "session_invitation_on": (
        "An invitation your calendar adds, which later moves or cancellations update."
    ),
    "session_reminder_on": "An e-mail with the worksheet's link and the session for your calendar.",
    "session_notice_on": "With the new time, and a calendar file that updates your calendar.",
    "record_due_on": "When a held session's record of supervision is still to write.",
    "weekly_agenda_on": "Your sessions of the week, each Monday morning.",
    "takeup_digest_on": "Sessions held, schools overdue and not yet planned, each Monday.",
    "survey_chaser_on": (
        "Only while you have not answered. Nobody else is told whether you have answered."
    ),
}


class ReminderChoicesForm(GovUKForm):
    """One field per setting named in `names`, labelled and bounded as on the model."""

    def __init__(self, *args: object, names: list[str], initial: dict[str, object]) -> None:
        super().__init__(*args, initial=initial)
        for name in names:
            model_field = ReminderSettings._meta.get_field(name)
            label = model_field.verbose_name[:1].upper() + model_field.verbose_name[1:]
            if isinstance(model_field, models.BooleanField):
                self.fields[name] = forms.BooleanField(
                    label=label,
                    required=False,
                    help_text=HINTS.get(name, ""),
                )
            else:
                high = next(
                    v.limit_value
                    for v in model_field.validators
                    if isinstance(v, MaxValueValidator)
                )
                message = MSG_DAYS_RANGE.format(low=1, high=high)
                self.fields[name] = forms.IntegerField(
                    label=label,
                    min_value=1,
                    max_value=high,
                    error_messages={
                        "invalid": MSG_WHOLE_NUMBER,
                        "required": MSG_WHOLE_NUMBER,
                        "min_value": message,
                        "max_value": message,
                    },
                    widget=forms.TextInput(attrs=NUMBER_ATTRS),
                )

    def clean(self) -> dict[str, object]:
        """Every error at once: the second survey reminder after the first too."""
        cleaned = super().clean()
        first = cleaned.get("survey_chaser_first_days")
        second = cleaned.get("survey_chaser_second_days")
        if first is not None and second is not None and second <= first:
            self.add_error("survey_chaser_second_days", MSG_CHASERS_ORDER)
        return cleaned
