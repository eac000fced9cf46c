"""Background jobs' pages: the jobs that failed, and running a failed e-mail job again
(system administrators)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from threshold.web.accounts.decorators import permission_required
from threshold.web.accounts.permissions import Permission
from threshold.web.audit.models import AuditAction
from threshold.web.audit.services import record_event
from threshold.web.jobs import selectors, services

MSG_AGAIN = "The job is queued again: it runs as soon as a worker is free."


@require_GET
@permission_required(Permission.JOBS_VIEW)
def failed(request: HttpRequest) -> HttpResponse:
    jobs = selectors.failed_jobs()
    # The list names jobs by their ids (of sessions, waves, imports): a read of the service's
    # records, so audited.
    record_event(
        by=request.user,
        action=AuditAction.READ,
        object_type=services.JOB_OBJECT,
        detail={"failed_jobs": len(jobs)},
    )
    context = {"jobs": jobs, "shown": selectors.FAILED_SHOWN}
    return render(request, "jobs/failed.html", context)


@require_POST
@permission_required(Permission.JOBS_VIEW)
def run_again(request: HttpRequest, job_id: object) -> HttpResponse:
    try:
        services.job_run_again(job_id=str(job_id), by=request.user)
    except services.JobError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, MSG_AGAIN)
    return redirect("jobs:failed")
