"""A trial's analysis runs: the list with the button that starts one, a run's progress and
result, and its report's downloads (each download audited). All need `trials.analyse` for the
trial (`selectors.trial_allows`)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from threshold.web.accounts.decorators import permission_required
from threshold.web.accounts.permissions import Permission
from threshold.web.trials import analysis, selectors
from threshold.web.trials.models import AnalysisRun, Trial

KINDS = {"confirmatory": False, "exploratory": True}
MSG_CHOOSE_KIND = "Choose whether the analysis is confirmatory or exploratory"
RUNS_INTRO = (
    "An analysis reads the trial's records in the service (its schools, their allocation, "
    "sessions and survey responses) and each local authority's front-door data as last "
    "imported, runs the protocol's analysis in the background, and writes the report. A "
    "confirmatory analysis needs the protocol locked; an exploratory one does not, and every "
    "result it gives is labelled exploratory."
)
STATUS_COLOURS = {
    AnalysisRun.Status.QUEUED: "govuk-tag--grey",
    AnalysisRun.Status.RUNNING: "govuk-tag--blue",
    AnalysisRun.Status.DONE: "govuk-tag--green",
    AnalysisRun.Status.FAILED: "govuk-tag--red",
}


def _trial_for(request: HttpRequest, pk: int) -> Trial:
    trial = get_object_or_404(Trial, pk=pk)
    if not selectors.trial_allows(request.user, trial, Permission.TRIALS_ANALYSE):
        raise PermissionDenied
    return trial


def _run_for(request: HttpRequest, pk: int) -> AnalysisRun:
    run = get_object_or_404(AnalysisRun.objects.select_related("trial", "requested_by"), pk=pk)
    if not selectors.trial_allows(request.user, run.trial, Permission.TRIALS_ANALYSE):
        raise PermissionDenied
    return run


def _runs_context(trial: Trial, error: str = "", chosen: str = "") -> dict[str, object]:
    locked_refusal = analysis.refusal(trial, exploratory=False)
    return {
        "trial": trial,
        "intro": RUNS_INTRO,
        "runs": [
            {
                "run": run,
                "kind": analysis.kind_label(run),
                "colour": STATUS_COLOURS[run.status],
                "estimate": analysis.estimate_text(run.primary),
                "cut": analysis.data_cut_summary(run.data_cut),
            }
            for run in trial.runs.select_related("requested_by")
        ],
        "confirmatory_refusal": locked_refusal,
        "exploratory_refusal": analysis.refusal(trial, exploratory=True),
        "chosen": chosen or ("exploratory" if locked_refusal else "confirmatory"),
        "error": error,
        "draws": f"{analysis.draws():,}",
    }


@require_GET
@permission_required(Permission.TRIALS_ANALYSE)
def run_list(request: HttpRequest, trial_pk: int) -> HttpResponse:
    trial = _trial_for(request, trial_pk)
    return render(request, "trials/run_list.html", _runs_context(trial))


@require_http_methods(["POST"])
@permission_required(Permission.TRIALS_ANALYSE)
def run_create(request: HttpRequest, trial_pk: int) -> HttpResponse:
    trial = _trial_for(request, trial_pk)
    chosen = request.POST.get("kind", "")
    if chosen not in KINDS:
        context = _runs_context(trial, MSG_CHOOSE_KIND)
        return render(request, "trials/run_list.html", context, status=400)
    try:
        run = analysis.analysis_run_create(
            trial=trial,
            exploratory=KINDS[chosen],
            site_url=request.build_absolute_uri("/"),
            by=request.user,
        )
    except analysis.AnalysisRefused as error:
        context = _runs_context(trial, str(error), chosen)
        return render(request, "trials/run_list.html", context, status=400)
    return redirect("trials:run_detail", pk=run.pk)


@require_GET
@permission_required(Permission.TRIALS_ANALYSE)
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_for(request, pk)
    stopped = analysis.run_stopped(run)
    failed = run.status == AnalysisRun.Status.FAILED or stopped
    status = AnalysisRun.Status.FAILED if stopped else AnalysisRun.Status(run.status)
    context = {
        "run": run,
        "kind": analysis.kind_label(run),
        "status": status.label,
        "colour": STATUS_COLOURS[status],
        "failed": failed,
        "error": analysis.MSG_RUN_FAULT if stopped else run.error,
        "stage": analysis.STAGE_NAMES.get(run.stage, run.stage),
        "percent": round(run.fraction * 100),
        "finished": failed or run.status == AnalysisRun.Status.DONE,
        "estimate": analysis.estimate_text(run.primary),
        "cut": analysis.data_cut_lines(run.data_cut),
        "draws": f"{run.data_cut['draws']:,}" if run.data_cut.get("draws") else "",
        "downloads": [
            {"kind": kind, "label": label}
            for kind, (_, _, label) in analysis.DOWNLOADS.items()
            if run.status == AnalysisRun.Status.DONE
        ],
    }
    return render(request, "trials/run_detail.html", context)


@require_GET
@permission_required(Permission.TRIALS_ANALYSE)
def run_file(request: HttpRequest, pk: int, kind: str) -> FileResponse:
    run = _run_for(request, pk)
    path = analysis.run_download(run=run, kind=kind, by=request.user)
    if path is None:
        raise Http404
    name, content_type, _ = analysis.DOWNLOADS[kind]
    prefix = "exploratory-" if run.exploratory else ""
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"{prefix}analysis-{run.pk}-{name}",
        content_type=content_type,
    )
