"""Which trials a user sees and may change: evaluators everywhere, LA staff the trials of
their LA's programmes (managing a trial needs the permission in every LA it spans)."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet

from threshold.web.accounts.authorisation import has_permission, holds_everywhere
from threshold.web.accounts.permissions import Permission
from threshold.web.organisations.models import LocalAuthority
from threshold.web.trials.models import Trial


def trial_authorities(trial: Trial) -> list[LocalAuthority]:
    """The LAs whose programmes the trial evaluates."""
    return list(LocalAuthority.objects.filter(programmes__trials=trial).distinct())


def trial_list(*, user: AbstractBaseUser) -> QuerySet[Trial]:
    """The trials `user` may see: all with `trials.view` everywhere, else those touching an LA
    where they hold it."""
    trials = Trial.objects.prefetch_related("programmes__authority")
    if holds_everywhere(user, Permission.TRIALS_VIEW):
        return trials
    places = [
        la.pk
        for la in LocalAuthority.objects.filter(programmes__trials__isnull=False).distinct()
        if has_permission(user, Permission.TRIALS_VIEW, authority=la)
    ]
    return trials.filter(programmes__authority__in=places).distinct()


def trial_allows(user: AbstractBaseUser, trial: Trial, permission: Permission) -> bool:
    """Whether `user` holds `permission` for `trial`: everywhere, or in every LA it spans (a
    trial with no programme yet: everywhere only). `trials.view` needs one of its LAs."""
    if holds_everywhere(user, permission):
        return True
    places = trial_authorities(trial)
    held = [has_permission(user, permission, authority=la) for la in places]
    if permission is Permission.TRIALS_VIEW:
        return any(held)
    return bool(held) and all(held)
