"""Local authorities and schools, keyed as in the data contract (`la_code`, `urn`)."""

from __future__ import annotations

from django.db import models

from threshold.model import Phase


class LocalAuthority(models.Model):
    """A local authority (row of `local_authorities`)."""

    la_code = models.CharField(max_length=3, unique=True)
    name = models.CharField(max_length=200)
    region = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ("name",)
        verbose_name_plural = "local authorities"

    def __str__(self) -> str:
        return f"{self.name} ({self.la_code})"


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

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return f"{self.name} ({self.urn})"
