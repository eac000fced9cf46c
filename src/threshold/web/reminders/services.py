"""Writes of reminder choices: a person's own (or back to their LA's defaults), and an LA's
defaults. Each is one transaction with an audit event of what changed."""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from threshold.web.audit.models import AuditAction
from threshold.web.audit.services import Actor, record_event, target_of
from threshold.web.organisations.models import LocalAuthority
from threshold.web.reminders.models import (
    SETTING_FIELDS,
    AuthorityReminderDefaults,
    PersonReminderChoices,
)
from threshold.web.reminders.selectors import authority_defaults, person_choices

MSG_UNKNOWN_SETTING = "There is no reminder setting called {name}"
MSG_CHASERS_ORDER = "The second survey reminder must come after the first"


def _checked(current: Mapping[str, object], values: Mapping[str, object]) -> dict[str, object]:
    """`current` updated with `values`; refuses unknown names and chasers out of order."""
    unknown = sorted(set(values) - set(SETTING_FIELDS))
    if unknown:
        raise ValidationError(MSG_UNKNOWN_SETTING.format(name=", ".join(unknown)))
    merged = {**current, **values}
    if merged["survey_chaser_second_days"] <= merged["survey_chaser_first_days"]:
        raise ValidationError({"survey_chaser_second_days": MSG_CHASERS_ORDER})
    return merged


def _changes(before: Mapping[str, object], after: Mapping[str, object]) -> dict[str, object]:
    return {name: after[name] for name in SETTING_FIELDS if before[name] != after[name]}


@transaction.atomic
def reminder_choices_save(
    *, user: AbstractBaseUser, values: Mapping[str, object], by: Actor
) -> PersonReminderChoices:
    """Save `user`'s own reminder choices: `values` over what they get now (their LA's
    defaults, the first time)."""
    before = person_choices(user)
    after = _checked(before, values)
    row, _ = PersonReminderChoices.objects.update_or_create(user=user, defaults=after)
    record_event(
        by=by,
        action=AuditAction.UPDATE,
        **target_of(row),
        detail={"user": user.pk, "changed": _changes(before, after)},
    )
    return row


@transaction.atomic
def reminder_choices_reset(*, user: AbstractBaseUser, by: Actor) -> None:
    """Drop `user`'s own choices: they follow their LA's defaults again."""
    row = PersonReminderChoices.objects.filter(user=user).first()
    if row is None:
        return
    target = target_of(row)
    row.delete()
    record_event(by=by, action=AuditAction.DELETE, **target, detail={"user": user.pk})


@transaction.atomic
def authority_defaults_save(
    *, authority: LocalAuthority, values: Mapping[str, object], by: Actor
) -> AuthorityReminderDefaults:
    """Set the LA's reminder defaults (for its people without choices of their own)."""
    before = authority_defaults(authority)
    after = _checked(before, values)
    row, _ = AuthorityReminderDefaults.objects.update_or_create(authority=authority, defaults=after)
    record_event(
        by=by,
        action=AuditAction.UPDATE,
        **target_of(row),
        authority_code=authority.la_code,
        detail={"changed": _changes(before, after)},
    )
    return row
