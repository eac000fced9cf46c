"""Sign-in, sign-out, failed sign-in and lockout go into the audit chain."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from threshold.web.audit.models import AuditAction
from threshold.web.audit.services import record_event, target_of

ANONYMOUS_ACTOR = "anonymous"


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record_event(by=user, action=AuditAction.LOGIN, **target_of(user))


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record_event(by=user, action=AuditAction.LOGOUT, **target_of(user))


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))
    record_event(
        by=ANONYMOUS_ACTOR,
        action=AuditAction.LOGIN_FAILED,
        object_type="accounts.user",
        detail={"username": username},
    )


@receiver(user_locked_out)
def _locked_out(sender: Any, request: Any, username: str, **kwargs: Any) -> None:
    record_event(
        by=ANONYMOUS_ACTOR,
        action=AuditAction.LOCKED_OUT,
        object_type="accounts.user",
        detail={"username": username},
    )
