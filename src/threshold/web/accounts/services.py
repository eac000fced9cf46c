"""Writes about users: accounts, memberships, passwords, authenticator apps and recovery codes,
lockouts. Each is audited; changes to someone's sign-in also e-mail them a notice."""

from __future__ import annotations

import axes.utils
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from threshold.web.accounts import notices
from threshold.web.accounts.authorisation import may_manage_person
from threshold.web.accounts.models import Membership, User
from threshold.web.accounts.roles import ROLES, RoleName, Scope
from threshold.web.accounts.selectors import is_locked_out, recovery_codes_left
from threshold.web.audit.models import AuditAction
from threshold.web.audit.services import Actor, record_event, target_of
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.organisations.selectors import help_authority

MSG_USERNAME_TAKEN = "username {username!r} is taken: choose another"
MSG_SCOPE_GLOBAL = "{role} applies everywhere: give neither a local authority nor a school"
MSG_SCOPE_AUTHORITY = "{role} is held in a local authority: give the authority and no school"
MSG_SCOPE_SCHOOL = "{role} is held in a school: give the school and no local authority"
MSG_ALREADY_GRANTED = "{user} already holds {role} there"
MSG_NOT_MANAGED = "you may not manage {person}'s account"
MSG_NO_AUTHENTICATOR = "{person} has no authenticator app or recovery codes to reset"
MSG_NOT_LOCKED = "{person}'s account is not locked"
DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
RECOVERY_CODES = 10


class AccountError(ValueError):
    """A request about accounts that cannot be carried out as asked; the message says why."""


@transaction.atomic
def user_create(
    *,
    username: str,
    by: Actor,
    password: str | None = None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Create an account; the password must pass the service's validators (raises their
    ValidationError). Without one, the account cannot sign in until a password is chosen."""
    if User.objects.filter(username__iexact=username).exists():
        raise AccountError(MSG_USERNAME_TAKEN.format(username=username))
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    if password is None:
        user.set_unusable_password()
    else:
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
def two_factor_device_confirm(*, device: TOTPDevice, token: str, by: User) -> list[str] | None:
    """Confirm `device` if `token` is its current code, replacing any other authenticator app
    of the user, and give them new recovery codes (returned, to be shown once); None if the
    code is wrong. Audit the outcome."""
    if not device.verify_token(token):
        record_event(by=by, action=AuditAction.TWO_FACTOR_FAILED, **target_of(device))
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=by).exclude(pk=device.pk).delete()
    record_event(by=by, action=AuditAction.TWO_FACTOR_ADDED, **target_of(device))
    return recovery_codes_generate(by=by)


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


def _place(person: User) -> str:
    """The code of the one LA `person` belongs to, for the audit log (blank for none or several)."""
    authority = help_authority(person)
    return authority.la_code if authority is not None else ""


def _password_set(*, person: User, password: str, by: Actor, action: AuditAction) -> None:
    person.set_password(password)
    person.save(update_fields=["password"])
    record_event(by=by, action=action, **target_of(person), authority_code=_place(person))


@transaction.atomic
def password_change(*, person: User, password: str, by: User) -> None:
    """Give signed-in `person` the new `password` (checked by the form against their current
    one and the validators); their other sessions end. Audited; they get a notice."""
    _password_set(person=person, password=password, by=by, action=AuditAction.PASSWORD_CHANGED)
    notices.notice_send(person, notices.PASSWORD_CHANGED)


@transaction.atomic
def password_reset(*, person: User, password: str, by: Actor) -> None:
    """Give `person` the new `password` through a reset link; their sessions end and a lockout
    of their username is lifted (the link proved the e-mail address). Signing in still needs
    their second factor. Audited; they get a notice."""
    _password_set(person=person, password=password, by=by, action=AuditAction.PASSWORD_RESET)
    axes.utils.reset(username=person.get_username())
    notices.notice_send(person, notices.PASSWORD_RESET)


@transaction.atomic
def recovery_codes_generate(*, by: User) -> list[str]:
    """Ten new recovery codes for `by`, replacing any earlier ones; returned to be shown once.
    Their device is kept, so a session verified with a recovery code stays verified."""
    device = StaticDevice.objects.filter(user=by).first() or StaticDevice.objects.create(
        user=by, name=RECOVERY_DEVICE_NAME, confirmed=True
    )
    StaticToken.objects.filter(device__user=by).delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    record_event(
        by=by,
        action=AuditAction.RECOVERY_CODES_CREATED,
        **target_of(device),
        authority_code=_place(by),
    )
    return codes


@transaction.atomic
def recovery_code_use(*, code: str, by: User) -> StaticDevice | None:
    """The user's recovery codes if `code` is one of them (it is used up), else None. Audited;
    using one sends a notice."""
    device = StaticDevice.objects.filter(user=by, confirmed=True).first()
    if device is None or not device.verify_token(code):
        record_event(
            by=by,
            action=AuditAction.TWO_FACTOR_FAILED,
            object_type="otp_static.staticdevice",
            object_id="" if device is None else str(device.pk),
            detail={"recovery_code": True},
        )
        return None
    left = recovery_codes_left(by)
    record_event(
        by=by,
        action=AuditAction.RECOVERY_CODE_USED,
        **target_of(device),
        authority_code=_place(by),
        detail={"left": left},
    )
    notices.notice_send(by, notices.RECOVERY_CODE_USED, left=left)
    return device


def _check_manages(person: User, by: User) -> None:
    if not may_manage_person(by, person):
        raise AccountError(MSG_NOT_MANAGED.format(person=person.get_username()))


@transaction.atomic
def authenticator_reset(*, person: User, reason: str, by: User) -> None:
    """Remove `person`'s authenticator apps and recovery codes, so they set up an app again at
    their next sign-in (a session verified with them is no longer). Only for those who may
    manage the person; audited with the reason; the person gets a notice."""
    _check_manages(person, by)
    apps = TOTPDevice.objects.filter(user=person)
    codes = StaticDevice.objects.filter(user=person)
    if not apps.exists() and not codes.exists():
        raise AccountError(MSG_NO_AUTHENTICATOR.format(person=person.get_username()))
    removed = {"apps": apps.count(), "recovery_codes": recovery_codes_left(person)}
    apps.delete()
    codes.delete()
    record_event(
        by=by,
        action=AuditAction.TWO_FACTOR_RESET,
        **target_of(person),
        authority_code=_place(person),
        detail={"username": person.get_username(), "reason": reason, **removed},
    )
    notices.notice_send(person, notices.AUTHENTICATOR_RESET, actor=by.shown_name, reason=reason)


@transaction.atomic
def account_unlock(*, person: User, reason: str, by: User) -> None:
    """Lift the lockout of `person`'s username (django-axes' failed attempts for it). Only for
    those who may manage the person; audited with the reason; the person gets a notice."""
    _check_manages(person, by)
    if not is_locked_out(person):
        raise AccountError(MSG_NOT_LOCKED.format(person=person.get_username()))
    attempts = axes.utils.reset(username=person.get_username())
    record_event(
        by=by,
        action=AuditAction.UNLOCKED,
        **target_of(person),
        authority_code=_place(person),
        detail={"username": person.get_username(), "reason": reason, "attempts": attempts},
    )
    notices.notice_send(person, notices.ACCOUNT_UNLOCKED, actor=by.shown_name, reason=reason)
