"""Reminder choices: each LA's defaults and each person's own choices (which reminders and
notices they get by e-mail, and how many days before or after), and a record of each reminder
sent, so that each is sent once.

A person without choices of their own follows the defaults of their LA (the LA of their first
membership, or of its school); an LA without defaults has the ones written here.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from threshold.web.organisations.models import LocalAuthority

SESSION_REMINDER_DAYS = 3
RECORD_DUE_DAYS = 2
CHASER_FIRST_DAYS = 7
CHASER_SECOND_DAYS = 14


def _days(default: int, label: str, maximum: int) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        label,
        default=default,
        validators=[MinValueValidator(1), MaxValueValidator(maximum)],
    )


class ReminderSettings(models.Model):
    """Which reminders are sent, and when (the fields shared by defaults and choices)."""

    session_reminder_on = models.BooleanField("Reminder before each session", default=True)
    session_reminder_days = _days(SESSION_REMINDER_DAYS, "Days before the session", 28)
    session_notice_on = models.BooleanField(
        "Notice when a session is moved or cancelled", default=True
    )
    session_invitation_on = models.BooleanField(
        "Calendar invitation when a session is planned", default=True
    )
    record_due_on = models.BooleanField("Record of supervision still to write", default=True)
    record_due_days = _days(RECORD_DUE_DAYS, "Days after the session", 28)
    weekly_agenda_on = models.BooleanField("Weekly agenda of sessions (Mondays)", default=True)
    takeup_digest_on = models.BooleanField("Weekly take-up digest (Mondays)", default=True)
    survey_chaser_on = models.BooleanField("Reminders to answer an open survey", default=True)
    survey_chaser_first_days = _days(CHASER_FIRST_DAYS, "First reminder, days after it opens", 90)
    survey_chaser_second_days = _days(
        CHASER_SECOND_DAYS, "Second reminder, days after it opens", 90
    )

    class Meta:
        abstract = True


SETTING_FIELDS = tuple(field.name for field in ReminderSettings._meta.local_fields)
"""The names of the reminder settings, as on both models."""


class AuthorityReminderDefaults(ReminderSettings):
    """An LA's defaults, for its people who have not made choices of their own."""

    authority = models.OneToOneField(
        LocalAuthority, on_delete=models.CASCADE, related_name="reminder_defaults"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"reminder defaults of {self.authority.name}"


class PersonReminderChoices(ReminderSettings):
    """A person's own choices (all of them, once they save any)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_choices"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"reminder choices of user {self.user_id}"


class SentReminder(models.Model):
    """A reminder or notice sent, under a key naming what it was about, so it is sent once.

    Survey chasers are recorded once per wave and day (all the wave's non-respondents at once),
    never per person, so nothing here says who was chased, and so who had answered.
    """

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-sent_at",)

    def __str__(self) -> str:
        return self.key
