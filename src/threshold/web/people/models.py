"""Invitations: a single-use link for a new person to choose a password and join."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from threshold.web.accounts.models import User


class Invitation(models.Model):
    """A link that lets `user` choose a password, once, until `expires_at`. Only a SHA-256 of
    the link's token is kept; a resent invitation ends the one before it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True, help_text="Revoked, or resent")

    class Meta:
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return f"Invitation of {self.user} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def usable(self) -> bool:
        """Whether the link still works: not used, ended or expired, and the account active."""
        return (
            self.accepted_at is None
            and self.ended_at is None
            and self.expires_at > timezone.now()
            and self.user.is_active
        )
