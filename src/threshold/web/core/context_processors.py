"""What every page needs: the service navigation for the signed-in user."""

from __future__ import annotations

import functools

from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse

from threshold.web.accounts.authorisation import has_permission
from threshold.web.accounts.permissions import Permission

NAVIGATION = (
    ("core:home", "Home", None),
    ("audit:event_list", "Audit log", Permission.AUDIT_VIEW),
    ("people:person_list", "People", Permission.USERS_MANAGE),
    ("jobs:failed", "Failed jobs", Permission.JOBS_VIEW),
    (
        "organisations:authority_list",
        "Local authorities",
        (Permission.ORGANISATIONS_MANAGE, Permission.AUTHORITY_SETTINGS_EDIT),
    ),
    ("programme:programme_list", "Programmes", Permission.PROGRAMME_MANAGE),
    ("programme:school_list", "Schedule", Permission.SUPERVISION_VIEW),
    ("supervision:session_list", "Supervision records", Permission.SUPERVISION_VIEW),
    ("programme:take_up", "Take-up", (Permission.PROGRAMME_MANAGE, Permission.SUPERVISION_RECORD)),
    (
        "programme:meeting_list",
        "Community of practice",
        (Permission.PROGRAMME_MANAGE, Permission.SUPERVISION_RECORD),
    ),
    (
        "insights:index",
        "Front door",
        (Permission.INSIGHTS_VIEW, Permission.INSIGHTS_SCHOOL_VIEW),
    ),
    ("surveys:wave_list", "Surveys", Permission.SURVEY_RESULTS_VIEW),
    ("trials:trial_list", "Trials", Permission.TRIALS_VIEW),
    ("surveys:invitations", "Your surveys", Permission.SURVEY_RESPOND),
    ("guidance:index", "DSL guidance", Permission.GUIDANCE_VIEW),
)
"""(URL name, text, permission needed to see the link, or a tuple of which any will do) for
each navigation item."""

Needed = Permission | tuple[Permission, ...] | None


def may_follow(user: AbstractBaseUser, needed: Needed) -> bool:
    """Whether `user` holds `needed` (any of them, for a tuple; None: everyone) somewhere."""
    if needed is None:
        return True
    wanted = needed if isinstance(needed, tuple) else (needed,)
    return any(has_permission(user, permission) for permission in wanted)


@functools.cache
def _hrefs(script_prefix: str, urlconf: str | None) -> tuple[str, ...]:
    """Each navigation item's address under `script_prefix` in `urlconf`, reversed once."""
    return tuple(reverse(name, urlconf=urlconf) for name, _, _ in NAVIGATION)


def navigation(request: HttpRequest) -> dict[str, object]:
    """`navigation`: the items this user may follow, the current one marked."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": []}
    items = []
    hrefs = _hrefs(get_script_prefix(), get_urlconf())
    for (name, text, permission), href in zip(NAVIGATION, hrefs, strict=True):
        if may_follow(user, permission):
            current = request.path == href if name == "core:home" else request.path.startswith(href)
            items.append({"href": href, "text": text, "active": current})
    return {"navigation": items}
