"""Reads about users: their places, whether they must use a second factor, their recovery
codes, and whether they are locked out."""

from __future__ import annotations

import base64

import qrcode
import qrcode.image.svg
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Sum
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from threshold.web.accounts.authorisation import (
    has_permission,
    holds_everywhere,
    user_memberships,
)
from threshold.web.accounts.models import Membership
from threshold.web.accounts.permissions import Permission
from threshold.web.organisations.models import LocalAuthority

QR_LABEL = "QR code to scan with your authenticator app"


def authorities_where(
    user: AbstractBaseUser, permission: Permission
) -> list[LocalAuthority] | None:
    """The LAs in which `user` holds `permission`, asked of `has_permission` one LA at a time;
    None when the permission is held everywhere (a global role), including outside any LA."""
    if holds_everywhere(user, permission):
        return None
    return [
        a for a in LocalAuthority.objects.all() if has_permission(user, permission, authority=a)
    ]


def membership_list(*, user: AbstractBaseUser) -> list[Membership]:
    """The user's memberships, for showing."""
    return user_memberships(user)


def confirmed_device(user: AbstractBaseUser) -> TOTPDevice | None:
    """The user's confirmed authenticator app, if any."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def two_factor_required(user: AbstractBaseUser) -> bool:
    """Whether signing in needs a security code: any role that requires it, or a user (such as
    a DSL, for whom it is optional) who has set up an authenticator app."""
    if any(m.role_class.requires_two_factor for m in user_memberships(user)):
        return True
    return confirmed_device(user) is not None


def two_factor_qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an inline, labelled SVG QR code."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    svg = image.to_string(encoding="unicode")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{QR_LABEL}" ', 1)


def two_factor_secret(device: TOTPDevice) -> str:
    """The device's key in base32, in groups of four, for typing into an app by hand."""
    key = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def recovery_codes_left(user: AbstractBaseUser) -> int:
    """How many unused recovery codes `user` has."""
    return StaticToken.objects.filter(device__user=user).count()


def is_locked_out(user: AbstractBaseUser) -> bool:
    """Whether sign-in as `user` is locked: as django-axes counts for the username, as many
    failures from anywhere as the limit within the cool-off time."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    failures = AccessAttempt.objects.filter(
        username=user.get_username(), attempt_time__gte=since
    ).aggregate(total=Sum("failures_since_start"))["total"]
    return (failures or 0) >= settings.AXES_FAILURE_LIMIT
