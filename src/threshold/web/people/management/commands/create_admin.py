"""The first system administrator of a new installation (or, with --another, one more)."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from threshold.web.people.selectors import admin_usernames
from threshold.web.people.services import MSG_ADMIN_EXISTS, PersonError, admin_create

ACTOR = "command:create_admin"
DEFAULT_SITE = "http://127.0.0.1:8000"
MSG_NO_TERMINAL = (
    "no terminal to ask for a password on: run create-admin in a terminal, or give "
    "--sign-in-link for a one-time link to choose one"
)
MSG_MISMATCH = "the two passwords differ: run create-admin again"
MSG_CREATED = "created system administrator {username}"
MSG_LINK = (
    "This one-time link lets {username} choose a password and set up an authenticator app, "
    "within 72 hours. It is shown only now and is not kept:\n{link}"
)


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--another",
            action="store_true",
            help="Create an administrator although one exists already.",
        )
        parser.add_argument(
            "--sign-in-link",
            action="store_true",
            help="Print a one-time link to choose a password, instead of asking for one.",
        )
        parser.add_argument(
            "--site-url",
            default=DEFAULT_SITE,
            help=f"The address people reach the service at, for the link (default {DEFAULT_SITE}).",
        )

    def _password(self, stdin: Any) -> str:
        """The password, typed twice without echo; only from a terminal."""
        if not (hasattr(stdin, "isatty") and stdin.isatty()):
            raise CommandError(MSG_NO_TERMINAL)
        first = getpass.getpass("Password: ")
        if getpass.getpass("Password (again): ") != first:
            raise CommandError(MSG_MISMATCH)
        return first

    def handle(self, *args: Any, **options: Any) -> None:
        admins = admin_usernames()
        if admins and not options["another"]:  # before asking for a password in vain
            raise CommandError(MSG_ADMIN_EXISTS.format(usernames=", ".join(admins)))
        password = (
            None if options["sign_in_link"] else self._password(options.get("stdin", sys.stdin))
        )
        site = options["site_url"].rstrip("/")
        try:
            link = admin_create(
                username=options["username"],
                email=options["email"],
                first_name=options["first_name"],
                last_name=options["last_name"],
                password=password,
                another=options["another"],
                link=lambda token: (
                    site + reverse("people:invitation_accept", kwargs={"token": token})
                ),
                by=ACTOR,
            )
        except PersonError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(MSG_CREATED.format(username=options["username"]))
        if link is not None:
            self.stdout.write(MSG_LINK.format(username=options["username"], link=link))
