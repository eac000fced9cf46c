"""The demo without a phone: demo users who need a second factor get an authenticator app
whose key `seed-demo` prints, and `demo-code` prints its current code, on a demo database
only (one `seed-demo` has marked)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from threshold.web.accounts.models import User
from threshold.web.accounts.selectors import (
    confirmed_device,
    two_factor_required,
    two_factor_secret,
)
from threshold.web.audit.models import AuditAction, AuditEvent
from threshold.web.audit.services import Actor, record_event, target_of

DEMO_DEVICE_NAME = "Demo authenticator app"
DEMO_MARK = {"action": AuditAction.DEMO_SEEDED, "object_type": "database"}
"""The audit event `seed-demo` records once: the mark of a demo database."""
MSG_KEY = "{username}: authenticator key {key} (or `threshold web demo-code {username}`)"
MSG_NOT_DEMO = (
    "this database was not made by `threshold web seed-demo`: demo-code prints codes only for "
    "a demo database's users"
)
MSG_NO_USER = "there is no user {username!r} in the demo database"
MSG_NO_APP = (
    "{username} has no authenticator app: they sign in with their password alone (DSLs may "
    "set one up from their home page)"
)


def demo_database_mark(*, by: Actor) -> None:
    """Mark this database as a demo's (once, in the audit chain: append-only, so it stays)."""
    if not is_demo_database():
        record_event(by=by, **DEMO_MARK)


def is_demo_database() -> bool:
    """Whether `seed-demo` has marked this database."""
    return AuditEvent.objects.filter(**DEMO_MARK).exists()


@transaction.atomic
def seed_demo_authenticators(*, users: Iterable[User], by: Actor) -> list[str]:
    """Give each of `users` who must use a second factor a confirmed authenticator app (unless
    they have one); a line per such user giving its key, to add to an authenticator app."""
    lines = []
    for user in users:
        if not two_factor_required(user):
            continue
        device = confirmed_device(user)
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=DEMO_DEVICE_NAME, confirmed=True)
            record_event(by=by, action=AuditAction.TWO_FACTOR_ADDED, **target_of(device))
        lines.append(MSG_KEY.format(username=user.get_username(), key=two_factor_secret(device)))
    return lines


class DemoError(ValueError):
    """demo-code cannot give a code; the message says why."""


def demo_code(username: str) -> str:
    """The code `username`'s authenticator app shows now, on a demo database only."""
    if not is_demo_database():
        raise DemoError(MSG_NOT_DEMO)
    user = User.objects.filter(username=username).first()
    if user is None:
        raise DemoError(MSG_NO_USER.format(username=username))
    device = confirmed_device(user)
    if device is None:
        raise DemoError(MSG_NO_APP.format(username=username))
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"
