"""Trials' pages: parse, call the services and selectors, render."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from threshold.web.accounts.decorators import permission_required
from threshold.web.accounts.permissions import Permission
from threshold.web.trials import selectors


@permission_required(Permission.TRIALS_VIEW)
def trial_list(request: HttpRequest) -> HttpResponse:
    trials = selectors.trial_list(user=request.user)
    return render(request, "trials/trial_list.html", {"trials": trials})
