"""`manage.py demo_code USER`: the code a demo user's authenticator app shows now (a demo
database only), so the demo can be walked in every role without a phone."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from threshold.web.accounts.demo import DemoError, demo_code


class Command(BaseCommand):
    help = "Print the current authenticator code of a demo user (on a seed-demo database only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self.stdout.write(demo_code(options["username"]))
        except DemoError as error:
            raise CommandError(str(error)) from error
