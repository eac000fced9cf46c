"""Reads of reminder choices: what a person gets (their own choices, else their LA's
defaults, else the service's), and which reminders concern them (by their roles)."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser

from threshold.web.accounts.authorisation import has_permission, user_memberships
from threshold.web.accounts.permissions import Permission
from threshold.web.accounts.roles import RoleName
from threshold.web.organisations.models import LocalAuthority
from threshold.web.reminders.models import (
    SETTING_FIELDS,
    AuthorityReminderDefaults,
    PersonReminderChoices,
)

DSL_ROLES = frozenset({RoleName.DSL_LEAD, RoleName.DSL_DEPUTY})

GROUPS: dict[str, tuple[str, ...]] = {
    "dsl": (
        "session_invitation_on",
        "session_reminder_on",
        "session_reminder_days",
        "session_notice_on",
        "survey_chaser_on",
        "survey_chaser_first_days",
        "survey_chaser_second_days",
    ),
    "ssw": ("record_due_on", "record_due_days", "weekly_agenda_on"),
    "lead": ("takeup_digest_on",),
}
"""The settings that concern each kind of person."""
GROUP_TITLES = {
    "dsl": "As a designated safeguarding lead",
    "ssw": "As a supervising social worker",
    "lead": "As an LA programme lead",
}
DEFAULTS_GROUP_TITLES = {
    "dsl": "For designated safeguarding leads",
    "ssw": "For supervising social workers",
    "lead": "For LA programme leads",
}
GROUP_ROLES = {
    "dsl": DSL_ROLES,
    "ssw": frozenset({RoleName.SSW}),
    "lead": frozenset({RoleName.LA_LEAD}),
}


def service_defaults() -> dict[str, object]:
    """The settings of an LA that has set no defaults."""
    return {
        name: AuthorityReminderDefaults._meta.get_field(name).default for name in SETTING_FIELDS
    }


def settings_of(row: object) -> dict[str, object]:
    return {name: getattr(row, name) for name in SETTING_FIELDS}


def person_authority(user: AbstractBaseUser) -> LocalAuthority | None:
    """The LA whose defaults `user` follows: that of their first membership in an LA or school."""
    for membership in sorted(user_memberships(user), key=lambda m: m.pk):
        if membership.authority is not None:
            return membership.authority
        if membership.school is not None:
            return membership.school.authority
    return None


def authority_defaults(authority: LocalAuthority | None) -> dict[str, object]:
    """The LA's defaults (the service's where it has set none)."""
    row = (
        AuthorityReminderDefaults.objects.filter(authority=authority).first()
        if authority is not None
        else None
    )
    return settings_of(row) if row is not None else service_defaults()


def person_choices(user: AbstractBaseUser) -> dict[str, object]:
    """What `user` gets: their own choices, else their LA's defaults."""
    row = PersonReminderChoices.objects.filter(user=user).first()
    return settings_of(row) if row is not None else authority_defaults(person_authority(user))


def has_own_choices(user: AbstractBaseUser) -> bool:
    return PersonReminderChoices.objects.filter(user=user).exists()


def person_groups(user: AbstractBaseUser) -> list[str]:
    """The kinds of reminder that concern `user`, by the roles they hold."""
    roles = {RoleName(m.role) for m in user_memberships(user)}
    return [group for group, held in GROUP_ROLES.items() if roles & held]


def defaults_authorities(user: AbstractBaseUser) -> list[LocalAuthority]:
    """The LAs whose reminder defaults `user` sets (where they run the programme)."""
    return [
        la
        for la in LocalAuthority.objects.order_by("name")
        if has_permission(user, Permission.PROGRAMME_MANAGE, authority=la)
    ]


class ChoiceCache:
    """Each person's choices, read once per job run."""

    def __init__(self) -> None:
        self._people: dict[int, dict[str, object]] = {}
        self._authorities: dict[int | None, dict[str, object]] = {}
        self._own = {row.user_id: settings_of(row) for row in PersonReminderChoices.objects.all()}

    def __call__(self, user: AbstractBaseUser) -> dict[str, object]:
        if user.pk not in self._people:
            own = self._own.get(user.pk)
            if own is None:
                authority = person_authority(user)
                key = authority.pk if authority is not None else None
                if key not in self._authorities:
                    self._authorities[key] = authority_defaults(authority)
                own = self._authorities[key]
            self._people[user.pk] = own
        return self._people[user.pk]
