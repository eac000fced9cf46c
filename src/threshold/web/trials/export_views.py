"""The de-identified export's page: what the download will hold for this user, the
data-sharing terms to accept, and the download (`threshold.web.trials.deidentified`)."""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from threshold.model import InputError
from threshold.web.accounts.decorators import permission_required
from threshold.web.accounts.permissions import Permission
from threshold.web.core.forms import GovUKForm
from threshold.web.trials import deidentified
from threshold.web.trials.models import Trial

MSG_CANNOT_READ = (
    "The export cannot be made now: {reason}. Ask the service's administrators to restore it; "
    "nothing was downloaded"
)


def _back(trial: Trial) -> str:
    return reverse("trials:trial_detail", kwargs={"pk": trial.pk})


class NoticeForm(GovUKForm):
    accept = forms.BooleanField(
        label="I accept these terms",
        error_messages={"required": deidentified.MSG_NOTICE},
        help_text="The download is recorded: who, when, and what it held.",
    )


@require_http_methods(["GET", "POST"])
@permission_required(Permission.DEIDENTIFIED_EXPORT)
def export(request: HttpRequest, trial_pk: int) -> HttpResponse:
    trial = get_object_or_404(Trial, pk=trial_pk)
    scope = deidentified.export_scope(request.user, trial)
    if scope is None:
        raise Http404
    form = NoticeForm(request.POST if request.method == "POST" else None)
    try:
        if form.is_valid():
            content = deidentified.deidentified_export(
                trial=trial, by=request.user, accepted_notice=form.cleaned_data["accept"]
            )
            response = HttpResponse(content, content_type="application/zip")
            name = deidentified.export_name(trial, timezone.localdate())
            response["Content-Disposition"] = f'attachment; filename="{name}.zip"'
            return response
        preview = deidentified.build_export(trial, scope)
    except InputError as error:  # a store or trial file the export cannot read
        context = {"trial": trial, "problem": MSG_CANNOT_READ.format(reason=error)}
        return render(request, "trials/export.html", context | {"back": _back(trial)})
    context = {
        "form": form,
        "trial": trial,
        "scope": scope,
        "rows": preview.rows(),
        "data_cut": preview.data_cut,
        "trial_files": list(preview.trial_files),
        "left_out": preview.left_out,
        "rules": deidentified.RULES,
        "notice": deidentified.NOTICE,
        "file_name": deidentified.export_name(trial, timezone.localdate()) + ".zip",
        "back": _back(trial),
    }
    return render(request, "trials/export.html", context)
