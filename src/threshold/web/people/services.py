"""Writes about people: invitations (one, a CSV's worth, resent, revoked, accepted), roles given
and taken away, deactivation and reactivation, and the first administrator. Each is audited,
and each e-mails the person once the change is saved (never if it is rolled back)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import timedelta
from functools import partial

from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from threshold.model import Violation
from threshold.web.accounts.authorisation import may_manage_person, user_memberships
from threshold.web.accounts.models import Membership, User
from threshold.web.accounts.notices import Notice, notice_send
from threshold.web.accounts.roles import ROLES, RoleName, Scope
from threshold.web.accounts.services import AccountError, membership_grant, user_create
from threshold.web.audit.models import AuditAction
from threshold.web.audit.services import Actor, record_event, target_of
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.people.models import Invitation
from threshold.web.people.selectors import (
    MSG_EMAIL_INVALID,
    PersonState,
    admin_usernames,
    bulk_plan,
    invitee_problems,
    people_visible,
    person_state,
    place_problems,
    token_digest,
)
from threshold.web.surveys.services import respondents_link_account

INVITATION_LIFETIME = timedelta(hours=72)
Link = Callable[[str], str]
"""Makes an invitation's absolute address from its token."""

MSG_NOT_YOURS = "You cannot manage {person}'s account: ask the service's administrator"
MSG_YOURSELF = "You cannot change your own roles: ask another person who manages people"
MSG_REASON = "Give a reason: it is recorded in the audit log and sent to the person"
MSG_ALREADY_DEACTIVATED = "{person} is already deactivated"
MSG_ALREADY_ACTIVE = "{person} is already active"
MSG_NOT_INVITED = "{person} has already chosen a password: there is no invitation to {what}"
MSG_LAST_ROLE = (
    "This is {person}'s only role: give them another first, or deactivate their account instead"
)
MSG_LINK_USED = "This invitation has already been used, revoked or replaced, or has expired"
MSG_ADMIN_EXISTS = (
    "a system administrator exists already ({usernames}): sign in as them, or give --another "
    "to create one more"
)
MSG_BULK_REFUSED = "{file} has {count} problem(s): nothing was applied"
SERVICE = "The service's administrator"

INVITATION_SUBJECT = "You are invited to Threshold"
INVITATION_BODY = """Dear {name},

{inviter} has invited you to Threshold as {role} ({places}).

To join, choose a password here within {hours} hours:
{link}

Your username is {username}. The link works once.
{two_factor}
If you did not expect this e-mail, you can ignore it.
"""
TWO_FACTOR_NOTE = (
    "After choosing a password you will set up an authenticator app on your phone: Threshold "
    "holds safeguarding records, so signing in needs a code from it as well.\n"
)
WITHDRAWN = Notice(
    "Your invitation to Threshold was withdrawn",
    "{actor} withdrew your invitation to Threshold on {when}, giving this reason: {reason}. "
    "The link in it no longer works.",
    "If you think this is a mistake, contact {help}.",
)
DEACTIVATED = Notice(
    "Your Threshold account was deactivated",
    "{actor} deactivated your Threshold account ({username}) on {when}, giving this reason: "
    "{reason}. You can no longer sign in; nothing you recorded has been removed.",
    "If you think this is a mistake, contact {help}.",
)
REACTIVATED = Notice(
    "Your Threshold account was reactivated",
    "{actor} reactivated your Threshold account ({username}) on {when}, giving this reason: "
    "{reason}. You can sign in again, with the roles you had.",
    "If you did not expect this, contact {help}.",
)
ROLE_ADDED = Notice(
    "You have a new role in Threshold",
    "{actor} gave you the role {role} in Threshold ({places}) on {when}, giving this reason: "
    "{reason}.",
    "If you did not expect this, contact {help}.",
)
ROLE_REMOVED = Notice(
    "A role of yours in Threshold was removed",
    "{actor} removed your role {role} in Threshold ({places}) on {when}, giving this reason: "
    "{reason}.",
    "If you think this is a mistake, contact {help}.",
)


class PersonError(ValueError):
    """A change to a person that cannot be made as asked; the message says why."""


class BulkInviteRefused(PersonError):
    """A bulk-invite CSV with problems; nothing was applied. `violations` lists them."""

    def __init__(self, file: str, violations: Sequence[Violation]) -> None:
        self.violations = list(violations)
        super().__init__(MSG_BULK_REFUSED.format(file=file, count=len(self.violations)))


def _refuse(problems: Sequence[tuple[object, str]]) -> None:
    """Refuse with the first of `problems`, if any."""
    if problems:
        raise PersonError(problems[0][1])


def _actor_name(by: Actor) -> str:
    return SERVICE if isinstance(by, str) else by.shown_name


def _notify(person: User, notice: Notice, reason: str, by: User, **words: str) -> None:
    notice_send(person, notice, actor=_actor_name(by), reason=reason, **words)


def _where(person: User) -> dict[str, object]:
    """The audit event's place for a change to `person`: their one LA, if they have one."""
    places = {
        (m.authority or m.school.authority).la_code
        for m in user_memberships(person)
        if m.authority or m.school
    }
    return {"authority_code": places.pop() if len(places) == 1 else ""}


def _place_names(authorities: Sequence[LocalAuthority], school: School | None) -> str:
    if school is not None:
        return str(school)
    return ", ".join(a.shown_name for a in authorities) or "everywhere"


def _required(reason: str) -> str:
    if not reason.strip():
        raise PersonError(MSG_REASON)
    return reason.strip()


def _manageable(person: User, by: User) -> None:
    if not may_manage_person(by, person):
        raise PersonError(MSG_NOT_YOURS.format(person=person.shown_name))


def _account_create(
    *,
    username: str,
    email: str,
    first_name: str,
    last_name: str,
    password: str | None,
    by: Actor,
) -> User:
    """`accounts.services.user_create`, its refusals as PersonError."""
    try:
        return user_create(
            username=username,
            email=email,
            first_name=first_name,
            last_name=last_name,
            password=password,
            by=by,
        )
    except AccountError as error:
        raise PersonError(str(error)) from error
    except ValidationError as error:
        raise PersonError(" ".join(error.messages)) from error


def _invitation_issue(*, person: User, by: Actor) -> str:
    """A new invitation for `person` (ending any before it); its token, which is not kept."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    ended = list(
        person.invitations.filter(accepted_at__isnull=True, ended_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    Invitation.objects.filter(pk__in=ended).update(ended_at=now)
    invitation = Invitation.objects.create(
        user=person,
        token_hash=token_digest(token),
        invited_by=_actor_name(by),
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    record_event(
        by=by,
        action=AuditAction.CREATE,
        **target_of(invitation),
        **_where(person),
        detail={"user": person.get_username(), "ends": ended},
    )
    return token


def _send_invitation(person: User, token: str, link: Link, by: Actor) -> None:
    memberships = user_memberships(person)
    roles = ", ".join(dict.fromkeys(RoleName(m.role).label for m in memberships))
    places = ", ".join(
        str(m.school) if m.school else m.authority.shown_name if m.authority else "everywhere"
        for m in memberships
    )
    two_factor = any(m.role_class.requires_two_factor for m in memberships)
    body = INVITATION_BODY.format(
        name=person.shown_name,
        inviter=_actor_name(by),
        role=roles,
        places=places,
        hours=int(INVITATION_LIFETIME.total_seconds() // 3600),
        link=link(token),
        username=person.get_username(),
        two_factor=TWO_FACTOR_NOTE if two_factor else "",
    )
    if person.email:
        send = partial(send_mail, INVITATION_SUBJECT, body, None, [person.email])
        transaction.on_commit(send, robust=True)


def _grant(
    person: User,
    role: RoleName,
    authorities: Sequence[LocalAuthority],
    school: School | None,
    by: Actor,
) -> None:
    if school is not None:
        membership_grant(user=person, role=role, school=school, by=by)
    for authority in authorities:
        membership_grant(user=person, role=role, authority=authority, by=by)
    if school is None and not authorities:
        membership_grant(user=person, role=role, by=by)


def _invite(
    *,
    first_name: str,
    last_name: str,
    email: str,
    role: RoleName,
    authorities: Sequence[LocalAuthority],
    school: School | None,
    link: Link,
    by: User,
) -> User:
    _refuse(invitee_problems(by, email=email, role=role, authorities=authorities, school=school))
    person = _account_create(
        username=email.casefold(),
        email=email.casefold(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        password=None,
        by=by,
    )
    _grant(person, role, authorities, school, by)
    _send_invitation(person, _invitation_issue(person=person, by=by), link, by)
    return person


@transaction.atomic
def person_invite(
    *,
    first_name: str,
    last_name: str,
    email: str,
    role: RoleName,
    authorities: Sequence[LocalAuthority] = (),
    school: School | None = None,
    link: Link,
    by: User,
) -> User:
    """Create `email`'s account with `role` in `authorities` (several only for an SSW) or in
    `school`, and e-mail them a single-use link, valid for 72 hours, to choose a password.
    Their username is their e-mail address. `by` must be allowed to give that role there."""
    return _invite(
        first_name=first_name,
        last_name=last_name,
        email=email,
        role=RoleName(role),
        authorities=authorities,
        school=school,
        link=link,
        by=by,
    )


@transaction.atomic
def invitations_bulk_send(
    *, authority: LocalAuthority, file: str, data: bytes, link: Link, by: User
) -> list[User]:
    """Invite everyone in a CSV (see `bulk_plan`) to `authority` and its schools: all of them,
    or nobody when any row has a problem (`BulkInviteRefused` lists them)."""
    plan = bulk_plan(actor=by, authority=authority, file=file, data=data)
    if plan.violations:
        raise BulkInviteRefused(file, plan.violations)
    return [
        _invite(
            first_name=row.first_name,
            last_name=row.last_name,
            email=row.email,
            role=row.role,
            authorities=[authority] if ROLES[row.role].scope is Scope.AUTHORITY else [],
            school=row.school,
            link=link,
            by=by,
        )
        for row in plan.rows
    ]


@transaction.atomic
def invitation_resend(*, person: User, link: Link, by: User) -> None:
    """A new link for someone invited who has not yet joined; the old link stops working."""
    _manageable(person, by)
    if person_state(person) is not PersonState.INVITED:
        raise PersonError(MSG_NOT_INVITED.format(person=person.shown_name, what="resend"))
    _send_invitation(person, _invitation_issue(person=person, by=by), link, by)


@transaction.atomic
def invitation_revoke(*, person: User, reason: str, by: User) -> None:
    """Withdraw the invitation of someone who has not yet joined: the link stops working and
    the account is deactivated (reactivate it and resend to invite them again)."""
    _manageable(person, by)
    reason = _required(reason)
    if person_state(person) is not PersonState.INVITED:
        raise PersonError(MSG_NOT_INVITED.format(person=person.shown_name, what="revoke"))
    person.invitations.filter(accepted_at__isnull=True, ended_at__isnull=True).update(
        ended_at=timezone.now()
    )
    _activity_set(person, False, WITHDRAWN, by, change="invitation revoked", reason=reason)


@transaction.atomic
def invitation_accept(*, invitation: Invitation, password: str) -> User:
    """Set the invited person's password through their link, which then stops working."""
    invitation = Invitation.objects.select_for_update().select_related("user").get(pk=invitation.pk)
    if not invitation.usable:
        raise PersonError(MSG_LINK_USED)
    person = invitation.user
    try:
        validate_password(password, person)
    except ValidationError as error:
        raise PersonError(" ".join(error.messages)) from error
    person.set_password(password)
    person.save(update_fields=["password"])
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    record_event(
        by=person,
        action=AuditAction.UPDATE,
        **target_of(invitation),
        **_where(person),
        detail={"change": "accepted"},
    )
    respondents_link_account(user=person, by=person)  # survey links sent to their address
    return person


def _sessions_end(person: User) -> int:
    """Delete `person`'s sessions from the session store (the database); how many there were."""
    mine = [
        s.pk
        for s in Session.objects.filter(expire_date__gt=timezone.now())
        if s.get_decoded().get("_auth_user_id") == str(person.pk)
    ]
    Session.objects.filter(pk__in=mine).delete()
    return len(mine)


def _activity_set(
    person: User, active: bool, notice: Notice, by: User, *, change: str, reason: str
) -> None:
    """Activate or deactivate `person` (ending their sessions), audit it and tell them."""
    person.is_active = active
    person.save(update_fields=["is_active"])
    ended = {} if active else {"sessions_ended": _sessions_end(person)}
    record_event(
        by=by,
        action=AuditAction.UPDATE,
        **target_of(person),
        **_where(person),
        detail={"change": change, "reason": reason, **ended},
    )
    _notify(person, notice, reason, by)


@transaction.atomic
def person_deactivate(*, person: User, reason: str, by: User) -> None:
    """Stop `person` signing in and end their sessions; nothing they wrote is removed."""
    _manageable(person, by)
    reason = _required(reason)
    if not person.is_active:
        raise PersonError(MSG_ALREADY_DEACTIVATED.format(person=person.shown_name))
    _activity_set(person, False, DEACTIVATED, by, change="deactivated", reason=reason)


@transaction.atomic
def person_reactivate(*, person: User, reason: str, by: User) -> None:
    """Let a deactivated person sign in again, with the roles they had."""
    _manageable(person, by)
    reason = _required(reason)
    if person.is_active:
        raise PersonError(MSG_ALREADY_ACTIVE.format(person=person.shown_name))
    _activity_set(person, True, REACTIVATED, by, change="reactivated", reason=reason)


def _changeable(person: User, by: User) -> None:
    if person.pk == by.pk:
        raise PersonError(MSG_YOURSELF)
    if not people_visible(by).filter(pk=person.pk).exists():
        raise PersonError(MSG_NOT_YOURS.format(person=person.shown_name))


@transaction.atomic
def role_grant(
    *,
    person: User,
    role: RoleName,
    authorities: Sequence[LocalAuthority] = (),
    school: School | None = None,
    reason: str,
    by: User,
) -> None:
    """Give `person` `role` in `authorities` or `school`, within `by`'s own scope."""
    _changeable(person, by)
    reason = _required(reason)
    role = RoleName(role)
    _refuse(place_problems(by, role=role, authorities=authorities, school=school))
    _grant(person, role, authorities, school, by)
    places = _place_names(authorities, school)
    record_event(
        by=by,
        action=AuditAction.UPDATE,
        **target_of(person),
        **_where(person),
        detail={"change": "role added", "role": role.value, "where": places, "reason": reason},
    )
    _notify(person, ROLE_ADDED, reason, by, role=role.label, places=places)


@transaction.atomic
def role_remove(*, membership: Membership, reason: str, by: User) -> None:
    """Take a role away from its holder; their last role cannot be (deactivate them instead)."""
    person = membership.user
    _changeable(person, by)
    reason = _required(reason)
    role = RoleName(membership.role)
    school = membership.school
    authorities = [membership.authority] if membership.authority else []
    if place_problems(by, role=role, authorities=authorities, school=school):
        raise PersonError(MSG_NOT_YOURS.format(person=person.shown_name))
    if person.memberships.count() == 1:
        raise PersonError(MSG_LAST_ROLE.format(person=person.shown_name))
    where = _where(person)
    target = target_of(membership)
    membership.delete()
    person.__dict__.pop("_threshold_memberships", None)
    places = _place_names(authorities, school)
    record_event(
        by=by,
        action=AuditAction.DELETE,
        **target,
        **where,
        detail={
            "user": person.get_username(),
            "role": role.value,
            "where": places,
            "reason": reason,
        },
    )
    _notify(person, ROLE_REMOVED, reason, by, role=role.label, places=places)


@transaction.atomic
def admin_create(
    *,
    username: str,
    email: str,
    first_name: str = "",
    last_name: str = "",
    password: str | None,
    another: bool = False,
    link: Link,
    by: Actor,
) -> str | None:
    """A system administrator, with `password`, or (None) with a one-time sign-in link to
    choose one, which is returned (not e-mailed). Refused while an active administrator
    exists, unless `another`."""
    try:
        validate_email(email)
    except ValidationError as error:
        raise PersonError(MSG_EMAIL_INVALID) from error
    admins = admin_usernames()
    if admins and not another:
        raise PersonError(MSG_ADMIN_EXISTS.format(usernames=", ".join(admins)))
    person = _account_create(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        password=password,
        by=by,
    )
    membership_grant(user=person, role=RoleName.SYSTEM_ADMIN, by=by)
    return None if password is not None else link(_invitation_issue(person=person, by=by))
