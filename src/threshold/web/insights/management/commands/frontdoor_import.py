"""`manage.py frontdoor_import FILE --format F --la LA [--profile P]`: an LA's front-door
export into its store and the database, as the import page does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from threshold.frontdoor import FORMATS, load_profile
from threshold.model import InputError
from threshold.web.insights.services import FrontDoorError, frontdoor_import
from threshold.web.organisations.models import LocalAuthority

ACTOR = "command:frontdoor_import"
MSG_NO_FILE = "{file}: no such file"
MSG_NO_AUTHORITY = "local authority {la_code!r} is not in Threshold; import it first"
MSG_DONE = (
    "{file}: {records} records, {loaded} loaded, {quarantined} quarantined; contacts "
    "{contacts[created]} created, {contacts[updated]} updated, {contacts[deleted]} deleted; "
    "referrals {referrals[created]} created, {referrals[updated]} updated, "
    "{referrals[deleted]} deleted"
)


class Command(BaseCommand):
    help = "Import an LA's front-door export (contacts or referrals) into its store and database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", required=True, choices=FORMATS)
        parser.add_argument("--la", required=True, help="The LA's three-digit number.")
        parser.add_argument("--profile", type=Path, help="Column-mapping profile (TOML).")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["file"].is_file():
            raise CommandError(MSG_NO_FILE.format(file=options["file"]))
        authority = LocalAuthority.objects.filter(la_code=options["la"]).first()
        if authority is None:
            raise CommandError(MSG_NO_AUTHORITY.format(la_code=options["la"]))
        try:
            record = frontdoor_import(
                authority=authority,
                path=options["file"],
                format=options["format"],
                profile=load_profile(options["profile"]) if options["profile"] else None,
                by=ACTOR,
            )
        except (FrontDoorError, InputError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            MSG_DONE.format(
                file=record.file_name,
                records=record.records,
                loaded=record.loaded,
                quarantined=record.quarantined,
                contacts=record.summary["contacts"],
                referrals=record.summary["referrals"],
            )
        )
