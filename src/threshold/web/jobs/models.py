"""Which scheduled jobs were enqueued, one row per schedule and slot, so that however many
schedulers run (one per web server, on PostgreSQL) each slot's job is enqueued once."""

from __future__ import annotations

from django.db import models


class ScheduledRun(models.Model):
    """A schedule's job enqueued for one slot (the time it was due)."""

    name = models.CharField(max_length=64)
    slot = models.DateTimeField()
    task_id = models.CharField(max_length=64, blank=True)
    enqueued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = (models.UniqueConstraint(fields=("name", "slot"), name="one_run_per_slot"),)
        ordering = ("-slot",)

    def __str__(self) -> str:
        return f"{self.name} at {self.slot:%Y-%m-%d %H:%M}"
