"""`manage.py audit_verify`: check the audit chain; exit 1 naming the first broken event."""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from threshold.web.audit.chain import verify_chain
from threshold.web.audit.selectors import audit_chain

MSG_BAD_ANCHOR = "--anchor {anchor!r}: write SEQUENCE:HASH, as a previous verification printed it"
MSG_INTACT = "audit chain intact: {events} events; head #{sequence} {hash}"
MSG_TAMPERED = "audit chain broken after {events} events checked: {problem}"
ANCHOR_PATTERN = re.compile(r"^(\d+):([0-9a-f]{64})$")


class Command(BaseCommand):
    help = "Verify the audit events' hash chain and report the first sign of tampering."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--anchor",
            help="SEQUENCE:HASH of a head printed earlier; the chain must still hold it",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        anchor = None
        if options["anchor"]:
            match = ANCHOR_PATTERN.match(options["anchor"])
            if match is None:
                raise CommandError(MSG_BAD_ANCHOR.format(anchor=options["anchor"]))
            anchor = (int(match[1]), match[2])
        result = verify_chain(audit_chain().iterator(chunk_size=2000), anchor=anchor)
        if not result.intact:
            raise CommandError(MSG_TAMPERED.format(events=result.events, problem=result.problem))
        self.stdout.write(
            MSG_INTACT.format(
                events=result.events, sequence=result.head_sequence, hash=result.head_hash
            )
        )
