"""`manage.py organisations_import DIR`: LAs and schools from a directory of contract files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from threshold.model import InputError, read_table
from threshold.web.organisations.services import organisations_import

ACTOR = "command:organisations_import"
MSG_DONE = (
    "local authorities: {authorities_created} created, {authorities_updated} updated, "
    "{authorities_unchanged} unchanged; schools: {schools_created} created, "
    "{schools_updated} updated, {schools_unchanged} unchanged"
)


class Command(BaseCommand):
    help = (
        "Create or update local authorities and schools from local_authorities.csv and schools.csv."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = organisations_import(
                local_authorities=read_table(options["directory"], "local_authorities"),
                schools=read_table(options["directory"], "schools"),
                by=ACTOR,
            )
        except (InputError, ValueError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(MSG_DONE.format(**vars(counts)))
