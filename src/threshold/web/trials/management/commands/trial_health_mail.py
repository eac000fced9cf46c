"""`manage.py trial_health_mail [--site-url https://…]`: e-mail each randomised trial's health
summary to the evaluators and its LA leads, once per ISO week (a second run in the same week
sends nothing). The scheduler runs it every Monday (`threshold.web.trials.tasks`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from threshold.web.trials.health import trial_health_mail

ACTOR = "command:trial_health_mail"
MSG_SITE_URL = (
    "--site-url must be the service's address starting http:// or https:// (for example "
    "https://threshold.example.gov.uk), so the e-mail can link to each trial's health page; "
    "got {value!r}"
)
MSG_DATE = "--date must be a day written YYYY-MM-DD; got {value!r}"
MSG_DONE = "trial health e-mailed for {week}: {mailed} trial(s), {messages} message(s)"
MSG_ALREADY = "already e-mailed this week, not sent again: {names}"


class Command(BaseCommand):
    help = "E-mail each randomised trial's health summary, once per week."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--site-url",
            default=settings.SITE_URL,
            help="The service's address, for the e-mail's link (default: THRESHOLD_SITE_URL).",
        )
        parser.add_argument("--date", help="The day to report on (default: today).")

    def handle(self, *args: Any, **options: Any) -> None:
        site_url = options["site_url"]
        if not site_url.startswith(("http://", "https://")):
            raise CommandError(MSG_SITE_URL.format(value=site_url))
        today = timezone.localdate()
        if options["date"]:
            try:
                today = dt.date.fromisoformat(options["date"])
            except ValueError as error:
                raise CommandError(MSG_DATE.format(value=options["date"])) from error
        run = trial_health_mail(today=today, site_url=site_url, by=ACTOR)
        year, week, _ = today.isocalendar()
        self.stdout.write(
            MSG_DONE.format(
                week=f"{year}-W{week:02d}", mailed=len(run.mailed), messages=run.messages
            )
        )
        if run.already:
            self.stdout.write(MSG_ALREADY.format(names=", ".join(run.already)))
