"""Writes about users: accounts, memberships and authenticator apps. Each is audited."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from threshold.web.accounts.models import Membership, User
from threshold.web.accounts.roles import ROLES, RoleName, Scope
from threshold.web.audit.models import AuditAction
from threshold.web.audit.services import Actor, record_event, target_of
from threshold.web.organisations.models import LocalAuthority, School

MSG_USERNAME_TAKEN = "username {username!r} is taken: choose another"
MSG_SCOPE_GLOBAL = "{role} applies everywhere: give neither a local authority nor a school"
MSG_SCOPE_AUTHORITY = "{role} is held in a local authority: give the authority and no school"
MSG_SCOPE_SCHOOL = "{role} is held in a school: give the school and no local authority"
MSG_ALREADY_GRANTED = "{user} already holds {role} there"
DEVICE_NAME = "Authenticator app"


class AccountError(ValueError):
    """A request about accounts that cannot be carried out as asked; the message says why."""


@transaction.atomic
def user_create(
    *, username: str, password: str, by: Actor, email: str = "", full_name: str = ""
) -> User:
    """Create an account; the password must pass the service's validators."""
    if User.objects.filter(username__iexact=username).exists():
        raise AccountError(MSG_USERNAME_TAKEN.format(username=username))
    first, _, last = full_name.partition(" ")
    user = User(username=username, email=email, first_name=first, last_name=last)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    record_event(by=by, action=AuditAction.CREATE, **target_of(user), detail={"username": username})
    return user


def _check_scope(role: RoleName, authority: LocalAuthority | None, school: School | None) -> None:
    scope = ROLES[role].scope
    if scope is Scope.GLOBAL and (authority or school):
        raise AccountError(MSG_SCOPE_GLOBAL.format(role=role.label))
    if scope is Scope.AUTHORITY and (authority is None or school is not None):
        raise AccountError(MSG_SCOPE_AUTHORITY.format(role=role.label))
    if scope is Scope.SCHOOL and (school is None or authority is not None):
        raise AccountError(MSG_SCOPE_SCHOOL.format(role=role.label))


@transaction.atomic
def membership_grant(
    *,
    user: User,
    role: RoleName,
    by: Actor,
    authority: LocalAuthority | None = None,
    school: School | None = None,
) -> Membership:
    """Give `user` `role` in `authority` or `school` (neither, for a global role)."""
    role = RoleName(role)
    _check_scope(role, authority, school)
    if Membership.objects.filter(user=user, role=role, authority=authority, school=school).exists():
        raise AccountError(MSG_ALREADY_GRANTED.format(user=user, role=role.label))
    membership = Membership.objects.create(user=user, role=role, authority=authority, school=school)
    user.__dict__.pop("_threshold_memberships", None)
    place = school.authority if school else authority
    record_event(
        by=by,
        action=AuditAction.CREATE,
        **target_of(membership),
        authority_code=place.la_code if place else "",
        school_urn=school.urn if school else None,
        detail={"user": user.get_username(), "role": role.value},
    )
    return membership


@transaction.atomic
def two_factor_device_start(*, by: User) -> TOTPDevice:
    """The user's unconfirmed authenticator app, created if there is none yet."""
    device = TOTPDevice.objects.filter(user=by, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=by, name=DEVICE_NAME, confirmed=False)


@transaction.atomic
def two_factor_device_confirm(*, device: TOTPDevice, token: str, by: User) -> bool:
    """Confirm `device` if `token` is its current code; audit the outcome."""
    if not device.verify_token(token):
        record_event(by=by, action=AuditAction.TWO_FACTOR_FAILED, **target_of(device))
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=by, confirmed=False).delete()
    record_event(by=by, action=AuditAction.TWO_FACTOR_ADDED, **target_of(device))
    return True


@transaction.atomic
def two_factor_check(*, token: str, by: User) -> TOTPDevice | None:
    """The user's confirmed device that accepts `token`, or None; audit the outcome."""
    device = TOTPDevice.objects.filter(user=by, confirmed=True).first()
    if device is not None and device.verify_token(token):
        record_event(by=by, action=AuditAction.TWO_FACTOR_VERIFIED, **target_of(device))
        return device
    record_event(
        by=by,
        action=AuditAction.TWO_FACTOR_FAILED,
        object_type="otp_totp.totpdevice",
        object_id="" if device is None else str(device.pk),
    )
    return None
