"""Reads about users: their places, and whether they must use a second factor."""

from __future__ import annotations

import base64

import qrcode
import qrcode.image.svg
from django.contrib.auth.base_user import AbstractBaseUser
from django_otp.plugins.otp_totp.models import TOTPDevice

from threshold.web.accounts.authorisation import has_permission, user_memberships
from threshold.web.accounts.models import Membership
from threshold.web.accounts.permissions import Permission
from threshold.web.accounts.roles import Scope
from threshold.web.organisations.models import LocalAuthority

QR_LABEL = "QR code to scan with your authenticator app"


def authorities_where(
    user: AbstractBaseUser, permission: Permission
) -> list[LocalAuthority] | None:
    """The LAs in which `user` holds `permission`, asked of `has_permission` one LA at a time;
    None when the permission is held everywhere (a global role), including outside any LA."""
    if any(
        m.role_class.scope is Scope.GLOBAL and permission in m.role_class.permissions
        for m in user_memberships(user)
    ):
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
