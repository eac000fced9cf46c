"""`manage.py audit_anchor`: publish the audit chain's head outside the database (run it daily,
from cron; `threshold web serve` runs it at start)."""

from __future__ import annotations

import smtplib
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from threshold.web.audit.anchors import AnchorError
from threshold.web.audit.services import anchor_publish

ACTOR = "command:audit_anchor"
MSG_PUBLISHED = "audit anchor published: #{sequence} {hash}"
MSG_EMPTY_CHAIN = "the audit chain is empty: nothing to anchor yet"


class Command(BaseCommand):
    help = (
        "Check the audit events since the latest anchor, then publish the chain's head to the "
        "anchor file and the audit contacts."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            anchor = anchor_publish(by=ACTOR)
        except (AnchorError, OSError, smtplib.SMTPException) as error:
            raise CommandError(str(error)) from error
        if anchor is None:
            self.stdout.write(MSG_EMPTY_CHAIN)
        else:
            self.stdout.write(MSG_PUBLISHED.format(sequence=anchor.sequence, hash=anchor.hash))
