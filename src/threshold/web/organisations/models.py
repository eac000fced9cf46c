"""Local authorities and schools, keyed as in the data contract (`la_code`, `urn`)."""

from __future__ import annotations

from django.db import models

from threshold.model import Code, Phase


class LocalAuthority(models.Model):
    """A local authority (row of `local_authorities`), with the settings its lead keeps: the
    name the service shows, the front door's numbers and hours, the audit and help contacts."""

    la_code = models.CharField(max_length=3, unique=True)
    name = models.CharField(max_length=200)
    region = models.CharField(max_length=200, blank=True)
    display_name = models.CharField(max_length=200, blank=True)
    frontdoor_phone = models.CharField(max_length=40, blank=True)
    frontdoor_out_of_hours_phone = models.CharField(max_length=40, blank=True)
    frontdoor_hours = models.CharField(max_length=200, blank=True)
    audit_contact_email = models.EmailField(blank=True)
    help_name = models.CharField(max_length=200, blank=True)
    help_email = models.EmailField(blank=True)
    help_phone = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ("name",)
        verbose_name_plural = "local authorities"

    def __str__(self) -> str:
        return f"{self.shown_name} ({self.la_code})"

    @property
    def shown_name(self) -> str:
        """The display name its lead chose, else the register's name."""
        return self.display_name or self.name


class SchoolStatus(Code):
    """Whether a school is open; a closed school stays for history but cannot be enrolled."""

    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class School(models.Model):
    """A school (row of `schools`), in one local authority."""

    urn = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=300)
    authority = models.ForeignKey(LocalAuthority, on_delete=models.PROTECT, related_name="schools")
    phase = models.CharField(max_length=32, choices=Phase.choices())
    pupils_on_roll = models.PositiveIntegerField(null=True, blank=True)
    pct_fsm = models.FloatField(
        "% pupils eligible for free school meals in the last six years", null=True, blank=True
    )
    status = models.CharField(
        max_length=16, choices=SchoolStatus.choices(), default=SchoolStatus.OPEN.value
    )
    closed_on = models.DateField(null=True, blank=True)
    successor_urn = models.PositiveIntegerField(
        null=True, blank=True, help_text="Today's URN, where GIAS links the closed school to one"
    )

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return f"{self.name} ({self.urn})"
