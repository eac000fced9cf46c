"""The supervision programme as records: programmes, enrolled schools, SSW caseloads and the
sessions planned and held. The content of a session (the record of supervision, the DSL's
worksheet and reflection) lives in `threshold.web.supervision`.

Codes are the data contract's (`threshold.model`), so exports need no translation. Free text
(a calendar note, why a session was moved or cancelled, a meeting's topics) is checked for
identifying details before it is saved (`threshold.web.supervision.identifiers`); what the
writer confirmed as not identifying is kept in `confirmed_not_identifying` as
[{"field", "kind", "text"}, …].
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from threshold.model import Arm, ChangedBy, SessionFormat, SessionMode, SessionStatus
from threshold.web.organisations.models import LocalAuthority, School


class Programme(models.Model):
    """One LA's supervision programme for one school year."""

    class Model(models.TextChoices):
        GROUP = "group", "Group supervision of each school's safeguarding team"
        INDIVIDUAL = "individual", "One-to-one supervision of the DSL"

    authority = models.ForeignKey(
        LocalAuthority, on_delete=models.PROTECT, related_name="programmes"
    )
    school_year = models.CharField(max_length=7, help_text="For example 2024/25.")
    starts_on = models.DateField(help_text="First day sessions may be held.")
    ends_on = models.DateField(help_text="Last day sessions may be held.")
    model = models.CharField(max_length=16, choices=Model.choices, default=Model.GROUP)
    csa_focus = models.BooleanField(
        default=False, help_text="Sessions give particular attention to child sexual abuse."
    )
    interval_min_weeks = models.PositiveSmallIntegerField(default=4)
    interval_max_weeks = models.PositiveSmallIntegerField(default=6)
    max_minutes = models.PositiveSmallIntegerField(default=120)
    planned_sessions = models.PositiveSmallIntegerField(
        default=8, help_text="Sessions each school should have in the year."
    )

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=("authority", "school_year"), name="one_programme_per_year"
            ),
        )
        ordering = ("authority__name", "-school_year")

    def __str__(self) -> str:
        return f"{self.authority.name} {self.school_year}"


class Enrolment(models.Model):
    """A school in a programme, with its trial arm (from the allocation file) and agreements."""

    class Agreement(models.TextChoices):
        NOT_SENT = "not_sent", "Not sent"
        SENT = "sent", "Sent, awaiting signature"
        SIGNED = "signed", "Signed"
        DECLINED = "declined", "Declined"

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="enrolments")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="enrolments")
    arm = models.CharField(max_length=16, choices=Arm.choices())
    block = models.CharField(max_length=64, blank=True)
    random_number = models.FloatField(null=True, blank=True)
    allocation_order = models.PositiveIntegerField(
        null=True, blank=True, help_text="Position in the block after sorting by random number."
    )
    ssw = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="caseload",
        help_text="The supervising social worker for this school.",
    )
    mou_status = models.CharField(
        max_length=16, choices=Agreement.choices, default=Agreement.NOT_SENT
    )
    supervision_agreement_status = models.CharField(
        max_length=16, choices=Agreement.choices, default=Agreement.NOT_SENT
    )
    withdrawn_on = models.DateField(null=True, blank=True)
    withdrawal_reason = models.CharField(
        "Why the school withdrew", max_length=300, blank=True, help_text="Without naming anyone."
    )

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=("programme", "school"), name="one_enrolment_per_school"
            ),
        )
        ordering = ("school__name",)

    def __str__(self) -> str:
        return f"{self.school.name} in {self.programme} ({self.arm})"


class BlockedDate(models.Model):
    """A day a school cannot have a session (exams, trips), or an INSET day it can reuse."""

    class Kind(models.TextChoices):
        BLOCKED = "blocked", "Blocked"
        INSET = "inset", "INSET day (suitable for supervision)"

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="calendar")
    date = models.DateField()
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.BLOCKED)
    note = models.CharField("Note", max_length=200, blank=True)
    confirmed_not_identifying = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("enrolment", "date"), name="one_entry_per_day"),
        )
        ordering = ("date",)


class SessionManager(models.Manager["SupervisionSession"]):
    """Sessions not removed: a session entered in error is kept, marked removed, and left out
    of everything that reads sessions (schedules, take-up, exports, calendar feeds)."""

    def get_queryset(self) -> models.QuerySet[SupervisionSession]:
        return super().get_queryset().filter(removed_at__isnull=True)


class SupervisionSession(models.Model):
    """A planned supervision session and what became of it (row of the contract's `sessions`).

    `status` is blank while the session is planned; a rescheduled session points to the session
    that replaced it. A session entered in error is never deleted: `removed_at` marks it, with
    who removed it and why, and the default manager (`objects`, and so `enrolment.sessions`)
    leaves it out; `everything` still has it.
    """

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="sessions")
    ssw = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supervision_sessions"
    )
    number = models.PositiveSmallIntegerField(help_text="1 for the school's first session.")
    scheduled_for = models.DateTimeField()
    planned_minutes = models.PositiveSmallIntegerField(default=120)
    format = models.CharField(max_length=16, choices=SessionFormat.choices())
    mode = models.CharField(max_length=16, choices=SessionMode.choices())
    status = models.CharField(max_length=16, choices=SessionStatus.choices(), blank=True)
    changed_by = models.CharField(max_length=8, choices=ChangedBy.choices(), blank=True)
    change_reason = models.CharField("Reason", max_length=300, blank=True)
    confirmed_not_identifying = models.JSONField(default=list, blank=True)
    rescheduled_to = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="rescheduled_from"
    )
    attendees = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    entered_late = models.BooleanField(
        default=False, help_text="Planned after its date had passed: never counts as planned."
    )
    late_reason = models.CharField("Why it is entered late", max_length=300, blank=True)
    held_recorded_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was recorded as held."
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    removal_reason = models.CharField("Why it is removed", max_length=300, blank=True)

    objects = SessionManager()
    everything = models.Manager()
    """Every session, removed ones too (for the audit of corrections)."""

    class Meta:
        ordering = ("scheduled_for",)
        base_manager_name = "everything"

    def __str__(self) -> str:
        return f"Session {self.number} with {self.enrolment.school.name}"


class CommunityMeeting(models.Model):
    """A community-of-practice meeting of the SSWs who cover an LA."""

    authority = models.ForeignKey(
        LocalAuthority, on_delete=models.PROTECT, related_name="community_meetings"
    )
    held_on = models.DateField()
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="community_meetings")
    topics = models.TextField("Topics", help_text="What was discussed, without identifying anyone.")
    confirmed_not_identifying = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ("-held_on",)

    def __str__(self) -> str:
        return f"Community of practice, {self.authority.name}, {self.held_on}"


class CalendarFeed(models.Model):
    """A person's private calendar feed of the sessions they see: the URL's secret token is
    kept only as its SHA-256, so it is shown once, when made; resetting it ends the old URL."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_read_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"calendar feed of user {self.user_id}"
