"""The one decision function: may this user do this, here?"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from threshold.web.accounts.models import Membership
from threshold.web.accounts.permissions import Permission
from threshold.web.accounts.roles import Scope
from threshold.web.organisations.models import LocalAuthority, School


def _membership_allows(
    membership: Membership, *, school: School | None, authority: LocalAuthority | None
) -> bool:
    """Whether `membership`'s scope covers the place asked about (anywhere, if none given)."""
    scope = membership.role_class.scope
    if scope is Scope.GLOBAL:
        return True
    if scope is Scope.AUTHORITY:
        if school is not None and school.authority_id != membership.authority_id:
            return False
        return authority is None or authority.pk == membership.authority_id
    # A school-scoped role holds nothing LA-wide, only in its own school.
    if authority is not None:
        return False
    return school is None or school.pk == membership.school_id


def has_permission(
    user: AbstractBaseUser | AnonymousUser,
    permission: Permission,
    *,
    school: School | None = None,
    authority: LocalAuthority | None = None,
) -> bool:
    """Whether `user` holds `permission` in `school` and/or `authority`.

    With neither, the question is "anywhere at all?" (used to show a page, whose selector then
    narrows what is listed by asking again for each place). Inactive and anonymous users hold
    nothing.
    """
    if not user.is_authenticated or not user.is_active:
        return False
    return any(
        permission in membership.role_class.permissions
        and _membership_allows(membership, school=school, authority=authority)
        for membership in user_memberships(user)
    )


def user_memberships(user: AbstractBaseUser) -> list[Membership]:
    """The user's memberships, fetched once per user object (the request's user is reused)."""
    cached = getattr(user, "_threshold_memberships", None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).select_related("authority", "school"))
        user._threshold_memberships = cached  # type: ignore[attr-defined]
    return cached


def may_manage_person(actor: AbstractBaseUser | AnonymousUser, person: AbstractBaseUser) -> bool:
    """Whether `actor` may manage `person`'s account as a whole (deactivate, reset their
    authenticator, unlock): a holder of `users.manage` everywhere, or in every LA the person
    belongs to (directly, or through a school). Nobody manages themselves this way, and only
    a holder everywhere manages a person with a global role or with no place yet."""
    if actor.pk == person.pk:
        return False
    places = []
    for membership in user_memberships(person):
        if membership.role_class.scope is Scope.GLOBAL:
            return holds_everywhere(actor, Permission.USERS_MANAGE)
        places.append(membership.authority or membership.school.authority)
    if not places:
        return holds_everywhere(actor, Permission.USERS_MANAGE)
    return all(has_permission(actor, Permission.USERS_MANAGE, authority=la) for la in places)


def holds_everywhere(user: AbstractBaseUser | AnonymousUser, permission: Permission) -> bool:
    """Whether `user` holds `permission` through a global role (everywhere, in no LA too)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return any(
        m.role_class.scope is Scope.GLOBAL and permission in m.role_class.permissions
        for m in user_memberships(user)
    )
