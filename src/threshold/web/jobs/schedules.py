"""Periodic jobs: what runs when (`SCHEDULES`), and the scheduler's tick, which enqueues each
schedule's job for its latest slot once.

django-tasks runs jobs but has no schedules, so `threshold web serve` (or `threshold web
scheduler` apart) calls `schedule_tick` every minute. A slot missed while nothing ran is run
once when the scheduler next ticks (not once per missed slot), and a slot before the schedule's
first tick is never run, so a new installation does not start with a backlog.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from threshold.web.jobs.models import ScheduledRun

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Schedule:
    """A job (`task`: the dotted path of a django-tasks task taking no arguments) due every
    day at `at` (local time), or every week on `weekday` (0: Monday) at `at`, or (`hourly`)
    every hour at `at`'s minute."""

    name: str
    task: str
    at: dt.time
    weekday: int | None = None
    description: str = ""
    hourly: bool = False

    @property
    def cadence(self) -> str:
        when = f"{self.at:%H:%M}"
        if self.hourly:
            return f"every hour at {self.at:%M} minutes past"
        return (
            f"every {DAYS[self.weekday]} at {when}"
            if self.weekday is not None
            else (f"every day at {when}")
        )

    def latest_slot(self, now: dt.datetime) -> dt.datetime:
        """The latest time at or before `now` (aware) this schedule was due."""
        local = timezone.localtime(now)
        if self.hourly:
            slot = local.replace(minute=self.at.minute, second=0, microsecond=0)
            return slot if slot <= local else slot - dt.timedelta(hours=1)
        slot = local.replace(hour=self.at.hour, minute=self.at.minute, second=0, microsecond=0)
        if self.weekday is None:
            return slot if slot <= local else slot - dt.timedelta(days=1)
        slot -= dt.timedelta(days=(local.weekday() - self.weekday) % 7)
        return slot if slot <= local else slot - dt.timedelta(weeks=1)


SCHEDULES: tuple[Schedule, ...] = (
    Schedule(
        name="audit-anchor",
        task="threshold.web.audit.tasks.audit_anchor_publish",
        at=dt.time(2, 0),
        description="Publish the audit chain's head to the anchor file and the audit contacts.",
    ),
    Schedule(
        name="trial-health",
        task="threshold.web.trials.tasks.trial_health_mail_weekly",
        at=dt.time(7, 0),
        weekday=0,
        description="E-mail each randomised trial's health to its evaluators and LA leads.",
    ),
    Schedule(
        name="reminders",
        task="threshold.web.programme.reminders.reminders_daily",
        at=dt.time(6, 30),
        description=(
            "E-mail the day's reminders: sessions coming up (DSLs), records still to write "
            "(SSWs) and survey chasers (those who have not answered)."
        ),
    ),
    Schedule(
        name="reminders-weekly",
        task="threshold.web.programme.reminders.reminders_weekly",
        at=dt.time(6, 45),
        weekday=0,
        description="E-mail the week's agenda to SSWs and the take-up digest to LA leads.",
    ),
    Schedule(
        name="stuck-jobs",
        task="threshold.web.jobs.stuck.stuck_jobs_sweep",
        at=dt.time(0, 10),
        hourly=True,
        description=(
            "Mark as failed the jobs left running by a worker that ended (over 2 hours; "
            "imports and analyses 12), so they show on the failed jobs page."
        ),
    ),
)
"""The service's periodic jobs."""


def schedule_tick(*, now: dt.datetime | None = None) -> list[ScheduledRun]:
    """Enqueue each schedule's job for its latest slot unless it was enqueued for that slot
    already (by this or another scheduler); a schedule's first tick only records its slot."""
    now = now or timezone.now()
    enqueued = []
    for schedule in SCHEDULES:
        slot = schedule.latest_slot(now)
        if ScheduledRun.objects.filter(name=schedule.name, slot=slot).exists():
            continue
        first = not ScheduledRun.objects.filter(name=schedule.name).exists()
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(name=schedule.name, slot=slot)
                if not first:
                    run.task_id = str(import_string(schedule.task).enqueue().id)
                    run.save(update_fields=["task_id"])
                    enqueued.append(run)
        except IntegrityError:  # another scheduler took this slot
            continue
    return enqueued
