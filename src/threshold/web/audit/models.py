"""The audit event: no foreign keys, append-only, each event's hash covers the one before."""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models

from threshold.model import Code

MSG_APPEND_ONLY = "audit events are append-only: they cannot be changed or deleted"
GENESIS_HASH = "0" * 64
"""The `previous_hash` of the first event in the chain."""


class AuditAction(Code):
    """What an audited event did."""

    READ = "read", "Read"
    CREATE = "create", "Created"
    UPDATE = "update", "Updated"
    DELETE = "delete", "Deleted"
    IMPORT = "import", "Imported"
    LOGIN = "login", "Signed in"
    LOGIN_FAILED = "login_failed", "Failed sign-in"
    LOCKED_OUT = "locked_out", "Locked out"
    LOGOUT = "logout", "Signed out"
    TWO_FACTOR_ADDED = "two_factor_added", "Added an authenticator app"
    TWO_FACTOR_VERIFIED = "two_factor_verified", "Verified a security code"
    TWO_FACTOR_FAILED = "two_factor_failed", "Entered a wrong security code"
    ANCHOR = "anchor", "Published an audit anchor"
    PASSWORD_CHANGED = "password_changed", "Changed their password"
    PASSWORD_RESET = "password_reset", "Reset a forgotten password"
    RECOVERY_CODES_CREATED = "recovery_codes_created", "Generated recovery codes"
    RECOVERY_CODE_USED = "recovery_code_used", "Signed in with a recovery code"
    TWO_FACTOR_RESET = "two_factor_reset", "Reset someone's authenticator app"
    UNLOCKED = "unlocked", "Unlocked someone's account"
    DEMO_SEEDED = "demo_seeded", "Seeded demo data"


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an audit event."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(MSG_APPEND_ONLY)

    def delete(self) -> NoReturn:
        raise AppendOnlyError(MSG_APPEND_ONLY)


class AuditEvent(models.Model):
    """One audited event. `sequence` numbers events 1, 2, … with no gaps; `hash` is sha256 of
    `previous_hash` and the canonical JSON of the other fields (see `threshold.web.audit.chain`)."""

    sequence = models.PositiveBigIntegerField(unique=True)
    occurred_at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor = models.CharField(max_length=200)
    action = models.CharField(max_length=32, choices=AuditAction.choices())
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=100, blank=True)
    authority_code = models.CharField(max_length=3, blank=True, db_index=True)
    school_urn = models.PositiveIntegerField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64, unique=True)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ("-sequence",)

    def __str__(self) -> str:
        return f"#{self.sequence} {self.actor} {self.action} {self.object_type} {self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(MSG_APPEND_ONLY)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(MSG_APPEND_ONLY)
