"""`manage.py audit_verify`: check the audit chain against the latest published anchor (or one
given); exit 1 naming the first broken event."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from threshold.web.audit.anchors import MSG_ANCHOR_MISSING, AnchorError, latest_anchor
from threshold.web.audit.chain import verify_chain
from threshold.web.audit.selectors import audit_chain

MSG_BAD_ANCHOR = "--anchor {anchor!r}: write SEQUENCE:HASH, as a previous verification printed it"
MSG_INTACT = "audit chain intact: {events} events; head #{sequence} {hash}"
MSG_ANCHOR_HELD = "it holds the anchor #{sequence} {hash} ({source})"
MSG_NO_ANCHOR_CHECKED = (
    "no anchor checked: no anchor file is configured (THRESHOLD_AUDIT_ANCHOR_FILE); give "
    "--anchor SEQUENCE:HASH from an anchor e-mail to detect rehashed or removed events"
)
MSG_TAMPERED = "audit chain broken after {events} events checked: {problem}"
ANCHOR_PATTERN = re.compile(r"^(\d+):([0-9a-f]{64})$")


class Command(BaseCommand):
    help = (
        "Verify the audit events' hash chain against the latest published anchor (or --anchor) "
        "and report the first sign of tampering."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--anchor",
            help="SEQUENCE:HASH of an anchor or a head printed earlier; the chain must hold it",
        )

    def _anchor(self, given: str | None) -> tuple[tuple[int, str], str] | None:
        """The anchor to check and where it came from: --anchor, else the anchor file."""
        if given:
            match = ANCHOR_PATTERN.match(given)
            if match is None:
                raise CommandError(MSG_BAD_ANCHOR.format(anchor=given))
            return (int(match[1]), match[2]), "--anchor"
        if settings.AUDIT_ANCHOR_FILE is None:
            return None
        path = Path(settings.AUDIT_ANCHOR_FILE)
        try:
            anchor = latest_anchor(path)
        except AnchorError as error:
            raise CommandError(str(error)) from error
        if anchor is None:
            raise CommandError(MSG_ANCHOR_MISSING.format(path=path))
        source = f"published {anchor.published_at:%Y-%m-%d %H:%M} in {path}"
        return (anchor.sequence, anchor.hash), source

    def handle(self, *args: Any, **options: Any) -> None:
        anchor = self._anchor(options["anchor"])
        result = verify_chain(
            audit_chain().iterator(chunk_size=2000), anchor=None if anchor is None else anchor[0]
        )
        if not result.intact:
            raise CommandError(MSG_TAMPERED.format(events=result.events, problem=result.problem))
        self.stdout.write(
            MSG_INTACT.format(
                events=result.events, sequence=result.head_sequence, hash=result.head_hash
            )
        )
        if anchor is None:
            self.stdout.write(MSG_NO_ANCHOR_CHECKED)
        else:
            (sequence, hash_), source = anchor
            self.stdout.write(MSG_ANCHOR_HELD.format(sequence=sequence, hash=hash_, source=source))
