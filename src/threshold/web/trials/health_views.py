"""The trial health page: parse, call `threshold.web.trials.health`, render."""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from threshold.web.accounts.decorators import permission_required
from threshold.web.accounts.permissions import Permission
from threshold.web.trials import health as trial_health
from threshold.web.trials.models import Trial
from threshold.web.trials.selectors import trial_allows


def today() -> dt.date:
    """The day the page reports on (a function, so tests can fix it)."""
    return timezone.localdate()


@require_GET
@permission_required(Permission.TRIALS_VIEW)
def health(request: HttpRequest, trial_pk: int) -> HttpResponse:
    trial = get_object_or_404(Trial, pk=trial_pk)
    if not trial_allows(request.user, trial, Permission.TRIALS_VIEW):
        raise Http404
    result = trial_health.trial_health_read(trial, today=today(), by=request.user)
    return render(
        request,
        "trials/health.html",
        {
            "trial": trial,
            "health": result,
            "suppressed": trial_health.SUPPRESSED,
            "gap_method": "Newcombe's hybrid score interval",
        },
    )
