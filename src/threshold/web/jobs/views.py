"""Background jobs' pages: the jobs that failed (system administrators)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from threshold.web.accounts.decorators import permission_required
from threshold.web.accounts.permissions import Permission
from threshold.web.jobs import selectors


@require_GET
@permission_required(Permission.JOBS_VIEW)
def failed(request: HttpRequest) -> HttpResponse:
    context = {"jobs": selectors.failed_jobs(), "shown": selectors.FAILED_SHOWN}
    return render(request, "jobs/failed.html", context)
