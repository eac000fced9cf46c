"""Reads about people: whom an actor may see and grant what, the list and its filters, a
person's recent audit events, an invitation by its token, and the check of a bulk-invite CSV."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q, QuerySet
from django.utils import timezone

from threshold.model import Code, Violation
from threshold.web.accounts.authorisation import (
    has_permission,
    holds_everywhere,
    user_memberships,
)
from threshold.web.accounts.models import Membership, User
from threshold.web.accounts.permissions import Permission
from threshold.web.accounts.roles import ROLES, RoleName, Scope
from threshold.web.accounts.selectors import authorities_where
from threshold.web.audit.models import AuditEvent
from threshold.web.organisations.models import LocalAuthority, School, SchoolStatus
from threshold.web.people.models import Invitation

LA_MANAGED_ROLES = (RoleName.SSW, RoleName.DSL_LEAD, RoleName.DSL_DEPUTY, RoleName.LA_ANALYST)
"""The roles a holder of `users.manage` in an LA (its programme lead) may grant there. Every
other role, and anything outside their LAs, takes a holder everywhere (an administrator)."""
RECENT_EVENTS = 20
BULK_COLUMNS = ("first_name", "last_name", "email", "role", "school_urn")
BULK_MAX_ROWS = 500

MSG_EMAIL_INVALID = "Enter an e-mail address in the right format, like name@example.org"
MSG_EMAIL_TAKEN = "{email} already has an account: find them in the list and change their roles"
MSG_EMAIL_TWICE = "{email} is also on row {row}: invite each person once"
MSG_NAME_MISSING = "Enter the {what}"
MSG_ROLE_UNKNOWN = "{value!r} is not a role: use one of {roles}"
MSG_ROLE_NOT_YOURS = "You cannot give the role {role}: ask the service's administrator"
MSG_PLACE_NOT_YOURS = "You cannot give roles in {place}: it is not one of your local authorities"
MSG_AUTHORITY_MISSING = "Choose the local authority for {role}"
MSG_AUTHORITY_ONE = "{role} is held in one local authority: choose one (only an SSW covers several)"
MSG_AUTHORITY_NONE = "{role} applies everywhere: choose no local authority and no school"
MSG_SCHOOL_MISSING = "Enter the URN of the school for {role}"
MSG_SCHOOL_UNKNOWN = "There is no school with URN {urn}"
MSG_SCHOOL_CLOSED = "{school} is closed: choose an open school"
MSG_SCHOOL_ELSEWHERE = "{school} is not in {authority}: name only {authority}'s schools"
MSG_SCHOOL_NOT_WANTED = "{role} is held in a local authority: leave the school URN blank"
MSG_NOT_UTF8 = "the file is not UTF-8 text: save it as 'CSV UTF-8' and upload it again"
MSG_EMPTY = "the file is empty: use the template, with one person a row"
MSG_COLUMNS = "the header lacks the columns {columns}: use the template's header row"
MSG_RAGGED = "the row has {found} values where the header has {expected}"
MSG_TOO_MANY = "the file has {rows} people: invite at most {most} at a time"
MSG_NOBODY = "the file names nobody: add one person a row under the header"


class PersonState(Code):
    """Where a person's account stands."""

    ACTIVE = "active", "Active"
    INVITED = "invited", "Invited"
    DEACTIVATED = "deactivated", "Deactivated"


class SignedIn(Code):
    """The last sign-in filter."""

    RECENT = "recent", "In the last 30 days"
    STALE = "stale", "Not in the last 90 days"
    NEVER = "never", "Never"


def person_state(person: User) -> PersonState:
    """Deactivated, invited (has never chosen a password) or active."""
    if not person.is_active:
        return PersonState.DEACTIVATED
    return PersonState.ACTIVE if person.has_usable_password() else PersonState.INVITED


def token_digest(token: str) -> str:
    """What is stored of an invitation's token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_by_token(token: str) -> Invitation | None:
    """The invitation whose link carries `token`, if that link still works."""
    invitation = (
        Invitation.objects.select_related("user").filter(token_hash=token_digest(token)).first()
    )
    return invitation if invitation is not None and invitation.usable else None


def invitation_pending(person: User) -> Invitation | None:
    """The person's latest invitation not yet used or ended (it may have expired)."""
    return person.invitations.filter(accepted_at__isnull=True, ended_at__isnull=True).first()


def admin_usernames() -> list[str]:
    """The usernames of the active system administrators."""
    admins = Membership.objects.filter(role=RoleName.SYSTEM_ADMIN, user__is_active=True)
    return sorted(admins.values_list("user__username", flat=True))


def managed_authorities(actor: AbstractBaseUser) -> QuerySet[LocalAuthority]:
    """The LAs where `actor` manages people (every LA, for an administrator)."""
    places = authorities_where(actor, Permission.USERS_MANAGE)
    everything = LocalAuthority.objects.all()
    return everything if places is None else everything.filter(pk__in=[a.pk for a in places])


def grantable_roles(actor: AbstractBaseUser) -> list[RoleName]:
    """The roles `actor` may give somewhere: every role for an administrator, the LA-managed
    roles for an LA's lead, none for anyone else."""
    if holds_everywhere(actor, Permission.USERS_MANAGE):
        return list(RoleName)
    if has_permission(actor, Permission.USERS_MANAGE):
        return list(LA_MANAGED_ROLES)
    return []


def may_grant(
    actor: AbstractBaseUser,
    role: RoleName,
    *,
    authority: LocalAuthority | None = None,
    school: School | None = None,
) -> bool:
    """Whether `actor` may give `role` in `authority` or `school` (or everywhere): never a role
    wider than their own scope."""
    if holds_everywhere(actor, Permission.USERS_MANAGE):
        return True
    if role not in LA_MANAGED_ROLES or (authority is None and school is None):
        return False
    return has_permission(actor, Permission.USERS_MANAGE, authority=authority, school=school)


def membership_removable(actor: AbstractBaseUser, membership: Membership) -> bool:
    """Whether `actor` may take `membership` away: not their own, not its holder's last, and
    a role they may give there."""
    person = membership.user
    return (
        person.pk != actor.pk
        and len(user_memberships(person)) > 1
        and not place_problems(
            actor,
            role=RoleName(membership.role),
            authorities=[membership.authority] if membership.authority else [],
            school=membership.school,
        )
    )


def people_visible(actor: AbstractBaseUser) -> QuerySet[User]:
    """The people `actor` manages or may see: everyone, for an administrator; for an LA's lead,
    everyone with a role in their LAs or those LAs' schools (active, invited or deactivated)."""
    if holds_everywhere(actor, Permission.USERS_MANAGE):
        return User.objects.all()
    authorities = list(managed_authorities(actor))
    members = Membership.objects.filter(
        Q(authority__in=authorities) | Q(school__authority__in=authorities)
    ).values("user_id")
    return User.objects.filter(pk__in=members)


def person_visible(actor: AbstractBaseUser, pk: int) -> User | None:
    """Person `pk`, if `actor` may see them."""
    return people_visible(actor).filter(pk=pk).first()


@dataclass(frozen=True)
class PeopleFilters:
    """What the list of people narrows to; empty values do not filter."""

    search: str = ""
    """Part of a name, username or e-mail address."""
    role: str = ""
    school_urn: int | None = None
    state: str = ""
    signed_in: str = ""


def people_list(*, actor: AbstractBaseUser, filters: PeopleFilters) -> QuerySet[User]:
    """The people `actor` may see that match `filters`, by last then first name."""
    people = people_visible(actor)
    for word in filters.search.split():
        people = people.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(username__icontains=word)
            | Q(email__icontains=word)
        )
    if filters.role:
        holders = Membership.objects.filter(role=filters.role).values("user_id")
        people = people.filter(pk__in=holders)
    if filters.school_urn is not None:
        people = people.filter(
            pk__in=Membership.objects.filter(school__urn=filters.school_urn).values("user_id")
        )
    unusable = Q(password__startswith=UNUSABLE_PASSWORD_PREFIX)
    if filters.state == PersonState.DEACTIVATED:
        people = people.filter(is_active=False)
    elif filters.state == PersonState.INVITED:
        people = people.filter(unusable, is_active=True)
    elif filters.state == PersonState.ACTIVE:
        people = people.filter(is_active=True).exclude(unusable)
    now = timezone.now()
    if filters.signed_in == SignedIn.RECENT:
        people = people.filter(last_login__gte=now - dt.timedelta(days=30))
    elif filters.signed_in == SignedIn.STALE:
        people = people.filter(last_login__lt=now - dt.timedelta(days=90))
    elif filters.signed_in == SignedIn.NEVER:
        people = people.filter(last_login__isnull=True)
    return people.prefetch_related("memberships__authority", "memberships__school").order_by(
        "last_name", "first_name", "username"
    )


def person_events(person: User) -> list[AuditEvent]:
    """The person's latest audit events, as actor or as the account acted on, newest first."""
    return list(
        AuditEvent.objects.filter(
            Q(actor_id=person.pk) | Q(object_type="accounts.user", object_id=str(person.pk))
        ).order_by("-sequence")[:RECENT_EVENTS]
    )


def invitee_problems(
    actor: AbstractBaseUser,
    *,
    email: str,
    role: RoleName,
    authorities: Sequence[LocalAuthority],
    school: School | None,
) -> list[tuple[str, str]]:
    """What stops `actor` inviting `email` as `role` in those places: (field, message) pairs,
    the fields being `email`, `role`, `authorities` and `school`; none when all is well."""
    problems = []
    try:
        validate_email(email)
    except ValidationError:
        problems.append(("email", MSG_EMAIL_INVALID))
    else:
        if User.objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).exists():
            problems.append(("email", MSG_EMAIL_TAKEN.format(email=email)))
    if role not in grantable_roles(actor):
        return [*problems, ("role", MSG_ROLE_NOT_YOURS.format(role=role.label))]
    return problems + place_problems(actor, role=role, authorities=authorities, school=school)


def place_problems(
    actor: AbstractBaseUser,
    *,
    role: RoleName,
    authorities: Sequence[LocalAuthority],
    school: School | None,
) -> list[tuple[str, str]]:
    """What is wrong with giving `role` in those places: the role's scope, and whether `actor`
    may give it there; (field, message) pairs as `invitee_problems`."""
    scope = ROLES[role].scope
    label = role.label
    if scope is Scope.GLOBAL:
        return (
            []
            if not authorities and school is None
            else [("authorities", MSG_AUTHORITY_NONE.format(role=label))]
        )
    if scope is Scope.SCHOOL:
        if school is None:
            return [("school", MSG_SCHOOL_MISSING.format(role=label))]
        if school.status == SchoolStatus.CLOSED:
            return [("school", MSG_SCHOOL_CLOSED.format(school=school))]
        if not may_grant(actor, role, school=school):
            return [("school", MSG_PLACE_NOT_YOURS.format(place=school))]
        return []
    if school is not None:
        return [("school", MSG_SCHOOL_NOT_WANTED.format(role=label))]
    if not authorities:
        return [("authorities", MSG_AUTHORITY_MISSING.format(role=label))]
    if len(authorities) > 1 and role != RoleName.SSW:
        return [("authorities", MSG_AUTHORITY_ONE.format(role=label))]
    return [
        ("authorities", MSG_PLACE_NOT_YOURS.format(place=authority))
        for authority in authorities
        if not may_grant(actor, role, authority=authority)
    ]


def role_from_text(value: str) -> RoleName | None:
    """The role a CSV names, by its code (`dsl_lead`) or its name, in any case."""
    wanted = value.strip().casefold()
    return next((r for r in RoleName if wanted in (r.value.casefold(), r.label.casefold())), None)


@dataclass(frozen=True)
class BulkRow:
    """One person to invite, from a row of the CSV."""

    row: int
    first_name: str
    last_name: str
    email: str
    role: RoleName
    school: School | None


@dataclass(frozen=True)
class BulkPlan:
    """A checked CSV: the people it would invite, and every problem (nothing is applied
    while there is one)."""

    file: str
    rows: tuple[BulkRow, ...]
    violations: tuple[Violation, ...]


def _records(file: str, text: str) -> tuple[list[tuple[int, dict[str, str]]], list[Violation]]:
    """The CSV's rows as (row number, column → value), numbered from 1 after the header."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return [], [Violation(file, None, None, MSG_EMPTY)]
    header = [name.strip().casefold() for name in rows[0]]
    missing = [column for column in BULK_COLUMNS if column not in header]
    if missing:
        return [], [Violation(file, None, None, MSG_COLUMNS.format(columns=", ".join(missing)))]
    records, violations = [], []
    for number, values in enumerate(rows[1:], start=1):
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(header):
            reason = MSG_RAGGED.format(found=len(values), expected=len(header))
            violations.append(Violation(file, number, None, reason))
            continue
        records.append((number, {k: v.strip() for k, v in zip(header, values, strict=True)}))
    if not records and not violations:
        violations.append(Violation(file, None, None, MSG_NOBODY))
    if len(records) > BULK_MAX_ROWS:
        reason = MSG_TOO_MANY.format(rows=len(records), most=BULK_MAX_ROWS)
        return [], [Violation(file, None, None, reason)]
    return records, violations


def bulk_plan(
    *, actor: AbstractBaseUser, authority: LocalAuthority, file: str, data: bytes
) -> BulkPlan:
    """Check a bulk-invite CSV (columns `BULK_COLUMNS`) whose people all join `authority`:
    every row's problems by row and field, before anything is applied."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return BulkPlan(file, (), (Violation(file, None, None, MSG_NOT_UTF8),))
    records, violations = _records(file, text)
    urns = {values["school_urn"] for _, values in records if values["school_urn"].isdigit()}
    named = School.objects.select_related("authority").filter(urn__in=urns)
    schools = {str(s.urn): s for s in named}
    roles = ", ".join(r.value for r in grantable_roles(actor))
    seen: dict[str, int] = {}
    rows = []
    for number, values in records:
        problems: list[tuple[str, str]] = []
        for name in ("first_name", "last_name"):
            if not values[name]:
                problems.append((name, MSG_NAME_MISSING.format(what=name.replace("_", " "))))
        email = values["email"].casefold()
        role = role_from_text(values["role"])
        urn = values["school_urn"]
        school = schools.get(urn)
        if urn and school is None:
            problems.append(("school_urn", MSG_SCHOOL_UNKNOWN.format(urn=urn)))
        elif school is not None and school.authority_id != authority.pk:
            reason = MSG_SCHOOL_ELSEWHERE.format(school=school, authority=authority.shown_name)
            problems.append(("school_urn", reason))
        if email in seen:
            problems.append(("email", MSG_EMAIL_TWICE.format(email=email, row=seen[email])))
        seen.setdefault(email, number)
        if role is None:
            problems.append(("role", MSG_ROLE_UNKNOWN.format(value=values["role"], roles=roles)))
        elif all(field != "school_urn" for field, _ in problems):
            in_la = [authority] if ROLES[role].scope is Scope.AUTHORITY else []
            found = invitee_problems(
                actor, email=email, role=role, authorities=in_la, school=school
            )
            problems.extend(("school_urn" if f == "school" else f, m) for f, m in found)
        violations.extend(Violation(file, number, field, reason) for field, reason in problems)
        if not problems:
            rows.append(
                BulkRow(number, values["first_name"], values["last_name"], email, role, school)
            )
    return BulkPlan(file, tuple(rows), tuple(violations))
