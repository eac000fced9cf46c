"""`manage.py jobs_scheduler`: enqueue the periodic jobs when they are due (every minute until
stopped; `--once` for one tick). `threshold web serve` starts it with the worker."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from threshold.web.jobs.schedules import SCHEDULES, schedule_tick

TICK_SECONDS = 60
MSG_STARTED = "scheduler: {count} schedules ({names})"
MSG_ENQUEUED = "scheduler: enqueued {name} for {slot:%Y-%m-%d %H:%M}"


class Command(BaseCommand):
    help = "Enqueue the service's periodic jobs when they are due."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Tick once and stop.")

    def handle(self, *args: Any, **options: Any) -> None:
        names = ", ".join(f"{s.name} {s.cadence}" for s in SCHEDULES)
        self.stdout.write(MSG_STARTED.format(count=len(SCHEDULES), names=names))
        while True:
            for run in schedule_tick():
                self.stdout.write(MSG_ENQUEUED.format(name=run.name, slot=run.slot))
            if options["once"]:
                return
            time.sleep(TICK_SECONDS)
