"""`manage.py allocations_import LA_CODE SCHOOL_YEAR DIR`: enrol schools in a programme from
the allocations.csv in DIR (all rows or none; re-importing changes nothing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from threshold.model import InputError, read_table
from threshold.web.programme.models import Programme
from threshold.web.programme.services import ProgrammeError, enrolments_import

ACTOR = "command:allocations_import"
MSG_NO_PROGRAMME = (
    "LA {la_code} has no programme for {school_year}: its programme lead starts one first"
)
MSG_DONE = "enrolments: {created} created, {updated} updated, {unchanged} unchanged"


class Command(BaseCommand):
    help = "Enrol schools in an LA's programme for a school year from DIR/allocations.csv."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("la_code")
        parser.add_argument("school_year", help="For example 2024/25.")
        parser.add_argument("directory", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        la_code, school_year = options["la_code"], options["school_year"]
        programme = Programme.objects.filter(
            authority__la_code=la_code, school_year=school_year
        ).first()
        if programme is None:
            raise CommandError(MSG_NO_PROGRAMME.format(la_code=la_code, school_year=school_year))
        try:
            counts = enrolments_import(
                programme=programme,
                allocations=read_table(options["directory"], "allocations"),
                by=ACTOR,
            )
        except (InputError, ProgrammeError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(MSG_DONE.format(**vars(counts)))
