"""Reminder pages: a person's own choices, and an LA's defaults (set by its lead)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from threshold.web.accounts.decorators import permission_required
from threshold.web.accounts.permissions import Permission
from threshold.web.reminders import selectors, services
from threshold.web.reminders.forms import ReminderChoicesForm
from threshold.web.reminders.models import SETTING_FIELDS

MSG_SAVED = "Your reminder choices are saved"
MSG_RESET = "You now get your local authority's default reminders"
MSG_DEFAULTS_SAVED = "The reminder defaults of {authority} are saved"


def _sections(
    form: ReminderChoicesForm, groups: list[str], titles: dict[str, str] = selectors.GROUP_TITLES
) -> list[dict[str, object]]:
    return [
        {
            "title": titles[group],
            "fields": [form[name] for name in selectors.GROUPS[group]],
        }
        for group in groups
    ]


def _saved(form: ReminderChoicesForm, write: object) -> bool:
    if not form.is_valid():
        return False
    try:
        write()
    except ValidationError as error:
        form.add_error(None, error)
        return False
    return True


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def mine(request: HttpRequest) -> HttpResponse:
    """Which reminders you get by e-mail, and when: your own choices, or your LA's defaults."""
    user = request.user
    if request.method == "POST" and "reset" in request.POST:
        services.reminder_choices_reset(user=user, by=user)
        messages.success(request, MSG_RESET)
        return redirect("reminders:mine")
    groups = selectors.person_groups(user)
    names = [name for group in groups for name in selectors.GROUPS[group]]
    form = ReminderChoicesForm(
        request.POST if request.method == "POST" else None,
        names=names,
        initial=selectors.person_choices(user),
    )
    if (
        request.method == "POST"
        and names
        and _saved(
            form,
            lambda: services.reminder_choices_save(user=user, values=form.cleaned_data, by=user),
        )
    ):
        messages.success(request, MSG_SAVED)
        return redirect("reminders:mine")
    authority = selectors.person_authority(user)
    context = {
        "form": form,
        "sections": _sections(form, groups),
        "own": selectors.has_own_choices(user),
        "authority": authority,
        "defaults_authorities": selectors.defaults_authorities(user),
    }
    return render(request, "reminders/mine.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(Permission.PROGRAMME_MANAGE)
def authority_defaults(request: HttpRequest, la_code: str) -> HttpResponse:
    """An LA's default reminders, for its people who have not chosen their own."""
    managed = {la.la_code: la for la in selectors.defaults_authorities(request.user)}
    if la_code not in managed:
        raise Http404
    authority = managed[la_code]
    form = ReminderChoicesForm(
        request.POST if request.method == "POST" else None,
        names=list(SETTING_FIELDS),
        initial=selectors.authority_defaults(authority),
    )
    if request.method == "POST" and _saved(
        form,
        lambda: services.authority_defaults_save(
            authority=authority, values=form.cleaned_data, by=request.user
        ),
    ):
        messages.success(request, MSG_DEFAULTS_SAVED.format(authority=authority.name))
        return redirect("reminders:authority_defaults", la_code=authority.la_code)
    context = {
        "form": form,
        "sections": _sections(form, list(selectors.GROUPS), selectors.DEFAULTS_GROUP_TITLES),
        "authority": authority,
    }
    return render(request, "reminders/authority_defaults.html", context)
