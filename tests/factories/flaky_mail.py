"""An e-mail backend for tests whose mail server fails the first sends: Django's in-memory
backend (messages land in `django.core.mail.outbox`) that raises, for each of the next
`FlakyEmailBackend.failures` sendings, the error a dropped SMTP connection raises.

    settings.EMAIL_BACKEND = FLAKY_BACKEND
    FlakyEmailBackend.failures = 2
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends import locmem

FLAKY_BACKEND = "factories.flaky_mail.FlakyEmailBackend"
MSG_DROPPED = "Connection unexpectedly closed (the test's mail server is down)"


class FlakyEmailBackend(locmem.EmailBackend):
    failures = 0
    """How many of the next sendings fail (shared by every connection, as a server's would)."""
    refused = 0
    """How many sendings failed so far."""
    passing = 0
    """How many sendings go through before the failures start."""

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        if FlakyEmailBackend.passing > 0:
            FlakyEmailBackend.passing -= 1
            return super().send_messages(messages)
        if FlakyEmailBackend.failures > 0:
            FlakyEmailBackend.failures -= 1
            FlakyEmailBackend.refused += 1
            raise smtplib.SMTPServerDisconnected(MSG_DROPPED)
        return super().send_messages(messages)


def flaky(failures: int, *, after: int = 0) -> None:
    """The next `failures` sendings fail (after `after` sendings that go through)."""
    FlakyEmailBackend.failures = failures
    FlakyEmailBackend.passing = after
    FlakyEmailBackend.refused = 0
