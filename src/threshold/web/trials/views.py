"""Trials' pages: parse, call the services and selectors, render.

Setting a trial up (this module): the list, creating a trial, choosing its schools, power,
the protocol (a form, or its TOML), the lock, randomisation and withdrawals, and the trial's
page. A trial the user may not see is 404; changing one they may only see is 403."""

from __future__ import annotations

import shlex
import tomllib
from collections.abc import Callable
from typing import TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from threshold.model import InputError
from threshold.trial import Design, mdes
from threshold.web.accounts.authorisation import has_permission
from threshold.web.accounts.decorators import permission_required
from threshold.web.accounts.permissions import Permission
from threshold.web.accounts.selectors import authorities_where
from threshold.web.organisations.models import School
from threshold.web.programme.models import Programme
from threshold.web.supervision.services import IdentifyingDetailsFound
from threshold.web.trials import deidentified, files, selectors, services
from threshold.web.trials.forms import (
    PowerForm,
    RandomiseForm,
    SchoolsForm,
    TrialCreateForm,
    WithdrawForm,
)
from threshold.web.trials.models import Trial
from threshold.web.trials.protocol_form import ProtocolForm, ProtocolTextForm, draft_text
from threshold.web.trials.services import TrialError

T = TypeVar("T")
MSG_CREATED = "Trial created: now choose its schools"
MSG_SCHOOLS_SAVED = "{count} schools chosen"
MSG_PROTOCOL_SAVED = "Protocol saved: it passes the same checks as `threshold protocol check`"
MSG_LOCKED = "Protocol locked: the schools can now be randomised"
MSG_RANDOMISED = "Randomised: {treatment} schools in the treatment arm, {control} in control"
MSG_RESUMED = (
    "The randomisation's files were written but not yet recorded here: the schools are now "
    "enrolled from the verified allocation"
)
MSG_WITHDRAWN = "{school}: withdrawal recorded"
VERIFY = "threshold randomise verify {path}"
MSG_NOT_A_DRAFT = "The protocol is locked: it can no longer be changed here"


def _trial(request: HttpRequest, pk: int, *, manage: bool = False) -> Trial:
    """The trial, if the user may see it (else 404) and, with `manage`, change it (else 403)."""
    trial = get_object_or_404(Trial.objects.prefetch_related("programmes__authority"), pk=pk)
    if not selectors.trial_allows(request.user, trial, Permission.TRIALS_VIEW):
        raise Http404
    if manage and not selectors.trial_allows(request.user, trial, Permission.TRIALS_MANAGE):
        raise PermissionDenied
    return trial


def trial_is_draft(pk: int) -> bool:
    return Trial.objects.filter(pk=pk, stage=Trial.Stage.DRAFT).exists()


def _saved(form: Form, write: Callable[[], T]) -> T | None:
    """What `write()` returns for a valid form; None when the form is not valid or the service
    refuses (its message, one problem a line, goes on the form; identifying details are shown
    by a `CheckedForm`)."""
    if not form.is_valid():
        return None
    try:
        return write()
    except TrialError as error:
        for problem in str(error).splitlines():
            form.add_error(None, problem)
    except IdentifyingDetailsFound as found:
        form.show_findings(found.findings)  # type: ignore[attr-defined]
    return None


def _can_manage(request: HttpRequest, trial: Trial) -> bool:
    return selectors.trial_allows(request.user, trial, Permission.TRIALS_MANAGE)


@require_GET
@permission_required(Permission.TRIALS_VIEW)
def trial_list(request: HttpRequest) -> HttpResponse:
    trials = selectors.trial_list(user=request.user)
    can_create = has_permission(request.user, Permission.TRIALS_MANAGE)
    return render(request, "trials/trial_list.html", {"trials": trials, "can_create": can_create})


def _offered_programmes(request: HttpRequest) -> list[Programme]:
    places = authorities_where(request.user, Permission.TRIALS_MANAGE)
    programmes = Programme.objects.select_related("authority").order_by(
        "-school_year", "authority__name"
    )
    if places is not None:
        programmes = programmes.filter(authority__in=places)
    return list(programmes)


@require_http_methods(["GET", "POST"])
@permission_required(Permission.TRIALS_MANAGE)
def trial_create(request: HttpRequest) -> HttpResponse:
    form = TrialCreateForm(request.POST or None, programmes=_offered_programmes(request))
    trial = _saved(
        form,
        lambda: services.trial_create(
            name=form.cleaned_data["name"],
            programmes=form.cleaned_data["programmes"],
            by=request.user,
        ),
    )
    if trial is not None:
        messages.success(request, MSG_CREATED)
        return redirect("trials:trial_schools", pk=trial.pk)
    return render(request, "trials/trial_create.html", {"form": form})


@require_GET
@permission_required(Permission.TRIALS_VIEW)
def trial_detail(request: HttpRequest, pk: int) -> HttpResponse:
    trial = _trial(request, pk)
    can_manage = _can_manage(request, trial)
    if trial.stage == Trial.Stage.LOCKED and services.randomised_on_file(trial):
        try:
            trial = services.trial_randomisation_resume(trial=trial, by=request.user)
            messages.info(request, MSG_RESUMED)
        except TrialError as error:
            messages.error(request, str(error))
    allocation = list(selectors.trial_allocation(trial))
    context = {
        "trial": trial,
        "can_manage": can_manage,
        "can_analyse": selectors.trial_allows(request.user, trial, Permission.TRIALS_ANALYSE),
        "can_export": deidentified.export_scope(request.user, trial) is not None,
        "authorities": selectors.trial_authorities(trial),
        "schools": selectors.trial_schools(trial).count(),
        "protocol": selectors.protocol_on_file(trial),
        "allocation": allocation,
        "treatment": sum(1 for e in allocation if e.arm == "treatment"),
        "withdrawals": [e for e in allocation if e.withdrawn_on],
        "verify_command": VERIFY.format(path=shlex.quote(str(files.allocation_path(trial)))),
    }
    return render(request, "trials/trial_detail.html", context)


@require_http_methods(["GET", "POST"])
@permission_required(Permission.TRIALS_MANAGE)
def trial_schools(request: HttpRequest, pk: int) -> HttpResponse:
    trial = _trial(request, pk, manage=True)
    candidates = selectors.trial_candidates(trial)
    selectable = [c.school for c in candidates if not c.refusal]
    data = None
    if request.method == "POST":
        if trial.stage != Trial.Stage.DRAFT:
            messages.info(request, MSG_NOT_A_DRAFT)
            return redirect("trials:trial_detail", pk=trial.pk)
        data = request.POST.copy()
        if "all" in data:
            data.setlist("schools", [str(s.urn) for s in selectable])
    form = SchoolsForm(data, schools=[c.school for c in candidates])
    if data is not None:
        saved = _saved(
            form,
            lambda: services.trial_schools_set(
                trial=trial, schools=form.cleaned_data["schools"], by=request.user
            ),
        )
        if saved is not None:
            count = len(form.cleaned_data["schools"])
            messages.success(request, MSG_SCHOOLS_SAVED.format(count=count))
            return redirect("trials:trial_detail", pk=trial.pk)
        chosen = set(data.getlist("schools"))
    else:
        chosen = {str(c.school.urn) for c in candidates if c.chosen}
    context = {
        "trial": trial,
        "form": form,
        "candidates": candidates,
        "chosen": chosen,
        "all_label": f"Choose all {len(selectable)} schools",
        "draft": trial.stage == Trial.Stage.DRAFT,
    }
    return render(request, "trials/schools.html", context)


def _design_error(form: PowerForm, error: InputError) -> None:
    message = str(error)
    name = message.split("=", 1)[0] if "=" in message.split(" ", 1)[0] else ""
    form.add_error(name if name in form.fields else None, message)


@require_GET
@permission_required(Permission.TRIALS_VIEW)
def trial_power(request: HttpRequest, pk: int) -> HttpResponse:
    trial = _trial(request, pk)
    chosen = selectors.trial_schools(trial).count()
    initial = {
        "units": chosen,
        "blocks": selectors.design_blocks(trial),
        "r2": 0.5,
        "attrition": 0.1,
        "alpha": 0.05,
        "power": 0.8,
    }
    form = PowerForm(request.GET if "units" in request.GET else None, initial=initial)
    result = None
    if form.is_bound and form.is_valid():
        try:
            result = mdes(Design(**form.cleaned_data))
        except InputError as error:
            _design_error(form, error)
    context = {"trial": trial, "form": form, "result": result, "chosen": chosen}
    return render(request, "trials/power.html", context)


@require_http_methods(["GET", "POST"])
@permission_required(Permission.TRIALS_VIEW)
def trial_protocol(request: HttpRequest, pk: int) -> HttpResponse:
    """The draft protocol's form (for those who manage the trial), or the locked protocol (for
    everyone who sees the trial)."""
    trial = _trial(request, pk, manage=request.method == "POST" or trial_is_draft(pk))
    text = draft_text(trial)
    if trial.stage != Trial.Stage.DRAFT:
        return render(request, "trials/protocol.html", {"trial": trial, "text": text})
    form = ProtocolForm(request.POST or None, initial=ProtocolForm.initial_from(text))
    saved = _saved(
        form,
        lambda: services.trial_protocol_save(trial=trial, text=form.apply(text), by=request.user),
    )
    if saved is not None:
        messages.success(request, MSG_PROTOCOL_SAVED)
        return redirect("trials:trial_detail", pk=trial.pk)
    context = {"trial": trial, "form": form}
    return render(request, "trials/protocol.html", context)


@require_http_methods(["GET", "POST"])
@permission_required(Permission.TRIALS_MANAGE)
def trial_protocol_toml(request: HttpRequest, pk: int) -> HttpResponse:
    trial = _trial(request, pk, manage=True)
    if trial.stage != Trial.Stage.DRAFT:
        messages.info(request, MSG_NOT_A_DRAFT)
        return redirect("trials:trial_protocol", pk=trial.pk)
    form = ProtocolTextForm(request.POST or None, initial={"text": draft_text(trial)})
    saved = _saved(
        form,
        lambda: services.trial_protocol_save(
            trial=trial, text=form.cleaned_data["text"], by=request.user
        ),
    )
    if saved is not None:
        messages.success(request, MSG_PROTOCOL_SAVED)
        return redirect("trials:trial_detail", pk=trial.pk)
    text = form["text"].value() or ""
    return render(
        request, "trials/protocol_toml.html", {"trial": trial, "form": form, "text": text}
    )


@require_http_methods(["GET", "POST"])
@permission_required(Permission.TRIALS_MANAGE)
def trial_lock(request: HttpRequest, pk: int) -> HttpResponse:
    trial = _trial(request, pk, manage=True)
    form = Form(request.POST if request.method == "POST" else None)
    if trial.stage != Trial.Stage.DRAFT:
        messages.info(request, MSG_NOT_A_DRAFT)
        return redirect("trials:trial_detail", pk=trial.pk)
    locked = _saved(form, lambda: services.trial_lock(trial=trial, by=request.user))
    if locked is not None:
        messages.success(request, MSG_LOCKED)
        return redirect("trials:trial_detail", pk=trial.pk)
    context = {
        "trial": trial,
        "form": form,
        "schools": selectors.trial_schools(trial).count(),
        "protocol": selectors.protocol_on_file(trial),
        "draw": _public_draw(trial),
    }
    return render(request, "trials/lock.html", context)


def _public_draw(trial: Trial) -> tuple[str, int] | None:
    try:
        raw = tomllib.loads(files.protocol_path(trial).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    randomisation = raw.get("randomisation", {})
    if "public_draw" not in randomisation:
        return None
    return str(randomisation["public_draw"]), int(randomisation.get("public_draw_numbers", 0))


@require_http_methods(["GET", "POST"])
@permission_required(Permission.TRIALS_MANAGE)
def trial_randomise(request: HttpRequest, pk: int) -> HttpResponse:
    trial = _trial(request, pk, manage=True)
    form = RandomiseForm(request.POST or None)
    if trial.stage == Trial.Stage.RANDOMISED and request.method == "GET":
        return redirect("trials:trial_detail", pk=trial.pk)
    done = _saved(
        form,
        lambda: services.trial_randomise(
            trial=trial, draw=form.cleaned_data["draw"], by=request.user
        ),
    )
    if done is not None:
        arms = [e.arm for e in selectors.trial_allocation(done)]
        messages.success(
            request,
            MSG_RANDOMISED.format(treatment=arms.count("treatment"), control=arms.count("control")),
        )
        return redirect("trials:trial_detail", pk=trial.pk)
    context = {"trial": trial, "form": form, "draw": _public_draw(trial)}
    return render(request, "trials/randomise.html", context)


@require_http_methods(["GET", "POST"])
@permission_required(Permission.TRIALS_MANAGE)
def trial_withdraw(request: HttpRequest, pk: int, urn: int) -> HttpResponse:
    trial = _trial(request, pk, manage=True)
    school = get_object_or_404(School.objects.select_related("authority"), urn=urn)
    if not selectors.trial_allocation(trial).filter(school=school).exists():
        raise Http404
    form = WithdrawForm(request.POST or None)
    enrolment = _saved(
        form,
        lambda: services.trial_withdraw(
            trial=trial,
            school=school,
            withdrawn_on=form.cleaned_data["withdrawn_on"],
            reason=form.cleaned_data["withdrawal_reason"],
            confirmed=form.cleaned_data["confirm"],
            by=request.user,
        ),
    )
    if enrolment is not None:
        messages.success(request, MSG_WITHDRAWN.format(school=school.name))
        return redirect("trials:trial_detail", pk=trial.pk)
    return render(request, "trials/withdraw.html", {"trial": trial, "form": form, "school": school})
