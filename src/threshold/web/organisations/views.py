"""Organisation pages: local authorities and their settings; loading LAs and schools from a GIAS
extract (upload, choose LAs and preview, apply) for administrators."""

from __future__ import annotations

import pandas as pd
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from threshold.model import InputError
from threshold.web.accounts.authorisation import has_permission
from threshold.web.accounts.decorators import permission_required
from threshold.web.accounts.permissions import Permission
from threshold.web.organisations import selectors, services
from threshold.web.organisations.forms import (
    AuthorityChoiceForm,
    AuthoritySettingsForm,
    GiasUploadForm,
)
from threshold.web.organisations.models import LocalAuthority
from threshold.web.organisations.services import SETTINGS_FIELDS
from threshold.web.organisations.uploads import (
    KINDS,
    Extract,
    KeptUpload,
    UploadChanged,
    upload_discard,
    upload_keep,
    upload_kept,
    upload_read,
)

PREVIEW_ROWS = 200
"""Rows listed in each table of the preview; the rest are counted."""
MSG_SETTINGS_SAVED = "{authority}: settings saved"
MSG_APPLIED = (
    "Applied: {authorities_created} local authorities created, {authorities_renamed} renamed; "
    "schools: {schools_added} added, {schools_changed} changed, {schools_closed} closed, "
    "{successors} followed to a successor"
)
MSG_NO_UPLOAD = "Upload a GIAS extract first"
MSG_STALE_PREVIEW = (
    "The files were uploaded again since this preview was shown: check the new preview"
)
MSG_CHOOSE = "Choose at least one local authority, or preview them all"


def _table(extract: Extract) -> pd.DataFrame:
    return selectors.gias_table(extract.register, extract.census, extract.links)


@require_GET
@login_required
def authority_list(request: HttpRequest) -> HttpResponse:
    """The LAs the user may read (every LA, for administrators)."""
    context = {
        "authorities": selectors.authorities_readable(request.user),
        "may_load": has_permission(request.user, Permission.ORGANISATIONS_MANAGE),
    }
    return render(request, "organisations/authority_list.html", context)


def _authority(request: HttpRequest, la_code: str) -> LocalAuthority:
    authority = get_object_or_404(LocalAuthority, la_code=la_code)
    if not selectors.authority_readable(request.user, authority):
        raise PermissionDenied
    return authority


@require_GET
@login_required
def authority_detail(request: HttpRequest, la_code: str) -> HttpResponse:
    """An LA's settings, read by the people of the LA; its lead and administrators may change
    them, and see the audit contact."""
    authority = _authority(request, la_code)
    editable = selectors.authority_editable(request.user, authority)
    context = {
        "authority": authority,
        "editable": editable,
        "show_audit_contact": editable
        or has_permission(request.user, Permission.AUDIT_VIEW, authority=authority),
    }
    return render(request, "organisations/authority_detail.html", context)


@require_http_methods(["GET", "POST"])
@permission_required(Permission.AUTHORITY_SETTINGS_EDIT)
def authority_edit(request: HttpRequest, la_code: str) -> HttpResponse:
    authority = get_object_or_404(LocalAuthority, la_code=la_code)
    if not selectors.authority_editable(request.user, authority):
        raise PermissionDenied
    initial = {name: getattr(authority, name) for name in SETTINGS_FIELDS}
    form = AuthoritySettingsForm(request.POST or None, initial=initial)
    if form.is_valid():
        services.authority_settings_update(
            authority=authority, by=request.user, **form.cleaned_data
        )
        messages.success(request, MSG_SETTINGS_SAVED.format(authority=authority.shown_name))
        return redirect("organisations:authority_detail", la_code=authority.la_code)
    context = {
        "form": form,
        "title": "Change the local authority's settings",
        "caption": str(authority),
        "submit": "Save settings",
        "back": reverse("organisations:authority_detail", kwargs={"la_code": la_code}),
    }
    return render(request, "core/form.html", context)


@require_http_methods(["GET", "POST"])
@permission_required(Permission.ORGANISATIONS_MANAGE)
def gias_upload(request: HttpRequest) -> HttpResponse:
    """Upload a GIAS extract (with a census and a links file where needed); it is read and
    checked now, and kept on the server for the preview."""
    form = GiasUploadForm(request.POST or None, request.FILES or None)
    if form.is_valid():
        files = {kind: form.cleaned_data[kind] for kind in KINDS if form.cleaned_data[kind]}
        kept = upload_keep(request.session, files)
        try:
            _table(upload_read(kept))
        except InputError as error:
            upload_discard(request.session)
            form.add_error("gias", str(error))
        else:
            return redirect("organisations:gias_preview")
    context = {
        "form": form,
        "title": "Load schools from a GIAS extract",
        "intro": (
            "Nothing changes until you have seen the preview and applied it. Schools are "
            "read as the command threshold register build reads them."
        ),
        "submit": "Upload and preview",
        "back": reverse("organisations:authority_list"),
    }
    return render(request, "organisations/gias_upload.html", context)


def _kept_extract(request: HttpRequest) -> tuple[KeptUpload, Extract] | None:
    """The session's upload, read; None (with a message) when there is none or it changed."""
    kept = upload_kept(request.session)
    if kept is None:
        messages.error(request, MSG_NO_UPLOAD)
        return None
    try:
        return kept, upload_read(kept)
    except (UploadChanged, InputError) as error:
        upload_discard(request.session)
        messages.error(request, str(error))
        return None


@require_GET
@permission_required(Permission.ORGANISATIONS_MANAGE)
def gias_preview(request: HttpRequest) -> HttpResponse:
    """Choose the LAs to load, then see what applying the extract to them would do."""
    found = _kept_extract(request)
    if found is None:
        return redirect("organisations:gias_upload")
    kept, extract = found
    in_file = selectors.gias_authorities(_table(extract))
    names = {la.la_code: la.shown_name for la in selectors.authority_list()}
    choices = [
        (
            code,
            f"{names.get(code, selectors.NEW_AUTHORITY_NAME.format(la_code=code))} ({code}), "
            f"{n:,} school{pluralize(n)}",
        )
        for code, n in in_file
    ]
    form = AuthorityChoiceForm(request.GET or None, authorities=choices)
    chosen: list[str] = []
    if "all" in request.GET:
        chosen = [code for code, _ in in_file]
    elif form.is_valid():
        chosen = form.cleaned_data["la"]
        if not chosen:
            form.add_error("la", MSG_CHOOSE)
    plan = None
    if chosen:
        plan = selectors.gias_plan(
            register=extract.register,
            census=extract.census,
            links=extract.links,
            la_codes=chosen,
            today=timezone.localdate(),
        )
    context = {
        "form": form,
        "files": [name for name, _ in kept.files.values()],
        "authority_count": len(in_file),
        "chosen": chosen,
        "plan": plan,
        "digest": kept.digest,
        "limit": PREVIEW_ROWS,
        "rows": f":{PREVIEW_ROWS}",
    }
    return render(request, "organisations/gias_preview.html", context)


@require_POST
@permission_required(Permission.ORGANISATIONS_MANAGE)
def gias_apply(request: HttpRequest) -> HttpResponse:
    """Apply the previewed extract to the chosen LAs: worked out again from the kept files,
    whose digest must be the one the preview showed."""
    found = _kept_extract(request)
    if found is None:
        return redirect("organisations:gias_upload")
    kept, extract = found
    if request.POST.get("digest") != kept.digest:
        messages.error(request, MSG_STALE_PREVIEW)
        return redirect("organisations:gias_preview")
    in_file = {code for code, _ in selectors.gias_authorities(_table(extract))}
    chosen = [code for code in request.POST.getlist("la") if code in in_file]
    if not chosen:
        messages.error(request, MSG_CHOOSE)
        return redirect("organisations:gias_preview")
    counts = services.organisations_gias_apply(
        register=extract.register,
        census=extract.census,
        links=extract.links,
        la_codes=chosen,
        source=kept.source,
        by=request.user,
    )
    upload_discard(request.session)
    messages.success(request, MSG_APPLIED.format(**vars(counts)))
    return redirect("organisations:authority_list")
