"""`manage.py delivery_export DIR`: attendance and dosage as data-contract tables, checked
together (with their references) before any file is written to DIR."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from threshold.model import check_directory, write_table
from threshold.web.audit.services import audit_read
from threshold.web.programme.exports import contract_tables

ACTOR = "command:delivery_export"
MSG_WROTE = "wrote {path} ({rows} rows)"
MSG_INVALID = "the export breaks the data contract, so nothing was written:\n{violations}"


class Command(BaseCommand):
    help = (
        "Write sessions.csv, ssws.csv, allocations.csv, ad_hoc_support.csv and "
        "delivery_ratings.csv (with the local_authorities.csv and schools.csv they refer to) "
        "to DIR, checked against the data contract."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        directory: Path = options["directory"]
        with transaction.atomic():
            tables = contract_tables()
            audit_read(
                by=ACTOR,
                object_type="programme.supervisionsession",
                detail={"export": {name: len(frame) for name, frame in tables.items()}},
            )
        with tempfile.TemporaryDirectory() as scratch:
            written = [write_table(frame, name, Path(scratch)) for name, frame in tables.items()]
            violations = check_directory(Path(scratch))
            if violations:
                raise CommandError(MSG_INVALID.format(violations="\n".join(map(str, violations))))
            directory.mkdir(parents=True, exist_ok=True)
            for path, frame in zip(written, tables.values(), strict=True):
                target = shutil.copyfile(path, directory / path.name)
                self.stdout.write(MSG_WROTE.format(path=target, rows=len(frame)))
