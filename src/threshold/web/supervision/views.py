"""Supervision pages: sessions and their records, the first-session sheet, the DSLs'
worksheets and reflections, ad hoc support and need and engagement scores."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from threshold.model import SessionStatus
from threshold.web.accounts.authorisation import has_permission
from threshold.web.accounts.decorators import permission_required
from threshold.web.accounts.permissions import Permission
from threshold.web.core.exports import download_format
from threshold.web.core.lists import back_to_list, page_of
from threshold.web.programme import downloads
from threshold.web.programme.models import SupervisionSession
from threshold.web.programme.selectors import can_record, session_choices
from threshold.web.supervision import selectors, services
from threshold.web.supervision.filters import SupervisionSessionFilterForm
from threshold.web.supervision.forms import (
    AdHocSupportForm,
    CheckedForm,
    DeliveryRatingForm,
    FirstSessionSheetForm,
    ReflectionForm,
    SupervisionRecordForm,
    WorksheetForm,
)
from threshold.web.supervision.models import Theme
from threshold.web.supervision.record_meta import record_meta

MSG_SAVED = "{what} saved."
NOT_WRITTEN = "Not written yet."
NOT_HELD_YET = (
    "This session is not recorded as held: write its record once it has taken place and is "
    "recorded as held in the school's schedule."
)
GET_POST = ["GET", "POST"]

Document = dict[str, object]
"""A record to show read-only: {"heading": str, "rows": [(label, value), …]}."""


def _session(request: HttpRequest, session_id: int) -> SupervisionSession:
    """The session, if the user may read its school's supervision records (else 404)."""
    return get_object_or_404(selectors.session_list(user=request.user), pk=session_id)


def _document(heading: str, instance: models.Model, fields: Iterable[str]) -> Document:
    rows = []
    for name in fields:
        field = instance._meta.get_field(name)
        value = getattr(instance, name)
        if name == "themes":
            value = ", ".join(Theme(t).label for t in value) or "None"
        elif isinstance(value, bool):
            value = "Yes" if value else "No"
        rows.append((str(field.verbose_name), value if value not in ("", None) else "None"))
    return {
        "heading": heading,
        "rows": rows,
        "written_by": getattr(instance, "written_by", None),
        "written_at": getattr(instance, "written_at", None),
    }


def _form_page(
    request: HttpRequest,
    form: CheckedForm,
    *,
    title: str,
    caption: str,
    intro: str = "",
    meta: dict[str, object] | None = None,
) -> HttpResponse:
    return render(
        request,
        "supervision/form.html",
        {"form": form, "title": title, "caption": caption, "intro": intro, "meta": meta},
    )


def _form_posted(
    request: HttpRequest,
    form_class: type[CheckedForm],
    save: Callable[[CheckedForm], object],
    *,
    may_write: bool,
    title: str,
    caption: str,
    intro: str = "",
) -> HttpResponse:
    """The posted `form_class` form, refused (403) unless the user may write it. Saved through
    `save`, then back to the sessions; or shown again with its errors, the identifying details
    found, or the message of a refused guard."""
    if not may_write:
        raise PermissionDenied
    form = form_class(request.POST)
    if form.is_valid():
        try:
            save(form)
        except services.IdentifyingDetailsFound as found:
            form.show_findings(found.findings)
        except services.SupervisionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, MSG_SAVED.format(what=title))
            return redirect("supervision:session_list")
    return _form_page(request, form, title=title, caption=caption, intro=intro)


def _read_page(
    request: HttpRequest,
    *,
    title: str,
    caption: str,
    documents: list[Document],
    empty: str = NOT_WRITTEN,
    meta: dict[str, object] | None = None,
) -> HttpResponse:
    return render(
        request,
        "supervision/read.html",
        {
            "title": title,
            "caption": caption,
            "documents": documents,
            "empty": empty,
            "meta": meta,
        },
    )


@require_http_methods(["GET"])
@permission_required(Permission.SUPERVISION_VIEW)
def session_list(request: HttpRequest) -> HttpResponse:
    """The sessions the user may see, searched and filtered, a page at a time, with links to
    their records and forms."""
    user = request.user
    form = SupervisionSessionFilterForm(
        request.GET or None, choices=session_choices(selectors.session_list(user=user))
    )
    form.is_valid()
    found = selectors.session_list_filtered(user=user, filters=form.filters())
    page, query = page_of(request, found)
    for session in page:
        school = session.enrolment.school
        session.may_record = can_record(user, session.enrolment)
        session.may_prepare = has_permission(user, Permission.SUPERVISION_PREPARE, school=school)
    context = {
        "form": form,
        "page": page,
        "query": query,
        "several_las": "authority" in form.fields,
        "may_record": has_permission(user, Permission.SUPERVISION_RECORD),
    }
    return render(request, "supervision/session_list.html", context)


@require_http_methods(["GET"])
@permission_required(Permission.SUPERVISION_VIEW)
def session_download(request: HttpRequest) -> HttpResponse:
    """The sessions as the person filtered them, as CSV or XLSX (an audited read): whether
    each held session's record is written, never what it says."""
    fmt = download_format(request.GET.get("format"))
    user = request.user
    form = SupervisionSessionFilterForm(
        request.GET, choices=session_choices(selectors.session_list(user=user))
    )
    if not form.is_valid():
        return back_to_list(request, "supervision:session_list")
    sessions = list(selectors.session_list_filtered(user=user, filters=form.filters()))
    return downloads.audited_download(
        downloads.sessions_frame(sessions),
        by=user,
        what="supervision sessions",
        object_type="programme.supervisionsession",
        filters=form.filters(),
        fmt=fmt,
        stem="supervision-sessions",
        title="Supervision sessions",
        authority_codes=[s.enrolment.school.authority.la_code for s in sessions],
    )


@require_http_methods(GET_POST)
@permission_required(Permission.SUPERVISION_VIEW)
def first_session_sheet(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    """The SSW writes the school's first-session sheet; others who may see it read it."""
    visible = selectors.enrolment_list(user=request.user, permission=Permission.SUPERVISION_VIEW)
    enrolment = get_object_or_404(visible, pk=enrolment_id)
    school = enrolment.school
    title, caption = "First-session sheet", school.name
    may_write = can_record(request.user, enrolment)
    if request.method == "POST":

        def save(form: CheckedForm) -> object:
            return services.first_session_sheet_save(
                enrolment=enrolment,
                **form.texts(),
                confirmed=form.cleaned_data["confirm"],
                by=request.user,
            )

        return _form_posted(
            request, FirstSessionSheetForm, save, may_write=may_write, title=title, caption=caption
        )
    sheet = selectors.first_session_sheet_get(enrolment=enrolment, by=request.user)
    meta = record_meta(enrolment=enrolment, written=sheet)
    if may_write:
        return _form_page(
            request,
            FirstSessionSheetForm(instance=sheet),
            title=title,
            caption=caption,
            meta=meta,
        )
    documents = (
        [] if sheet is None else [_document(title, sheet, FirstSessionSheetForm.Meta.fields)]
    )
    return _read_page(request, title=title, caption=caption, documents=documents, meta=meta)


@require_http_methods(GET_POST)
@permission_required(Permission.SUPERVISION_VIEW)
def record(request: HttpRequest, session_id: int) -> HttpResponse:
    """The SSW writes the record of supervision; others who may see it read it."""
    session = _session(request, session_id)
    title, caption = "Record of supervision", str(session)
    may_write = can_record(request.user, session.enrolment)
    if request.method == "POST":

        def save(form: CheckedForm) -> object:
            return services.supervision_record_save(
                session=session,
                **form.texts(),
                themes=form.cleaned_data["themes"],
                no_open_case_confirmed=form.cleaned_data["no_open_case_confirmed"],
                confirmed=form.cleaned_data["confirm"],
                by=request.user,
            )

        return _form_posted(
            request, SupervisionRecordForm, save, may_write=may_write, title=title, caption=caption
        )
    existing = selectors.supervision_record_get(session=session, by=request.user)
    meta = record_meta(session=session, written=existing)
    if may_write and (session.status == SessionStatus.HELD or existing is not None):
        return _form_page(
            request,
            SupervisionRecordForm(instance=existing),
            title=title,
            caption=caption,
            meta=meta,
        )
    fields = SupervisionRecordForm.Meta.fields
    documents = [] if existing is None else [_document(title, existing, fields)]
    held = session.status == SessionStatus.HELD
    return _read_page(
        request,
        title=title,
        caption=caption,
        documents=documents,
        empty=NOT_WRITTEN if held else NOT_HELD_YET,
        meta=meta,
    )


def _dsl_page(
    request: HttpRequest,
    session_id: int,
    *,
    title: str,
    intro: str,
    form_class: type[WorksheetForm | ReflectionForm],
    own: Callable[..., models.Model | None],
    everyone: Callable[..., list[models.Model]],
    save: Callable[..., object],
) -> HttpResponse:
    """A DSL writes their own worksheet or reflection; others who may see them read them all."""
    session = _session(request, session_id)
    caption = str(session)
    may_write = has_permission(
        request.user, Permission.SUPERVISION_PREPARE, school=session.enrolment.school
    )
    if request.method == "POST":

        def save_form(form: CheckedForm) -> object:
            values = {k: v for k, v in form.cleaned_data.items() if k != "confirm"}
            return save(
                session=session, **values, confirmed=form.cleaned_data["confirm"], by=request.user
            )

        return _form_posted(
            request,
            form_class,
            save_form,
            may_write=may_write,
            title=title,
            caption=caption,
            intro=intro,
        )
    if may_write:
        mine = own(session=session, by=request.user)
        return _form_page(
            request,
            form_class(instance=mine),
            title=title,
            caption=caption,
            intro=intro,
            meta=record_meta(session=session, written=mine),
        )
    documents = [
        _document(
            f"{title} by {item.written_by.get_full_name() or item.written_by}",
            item,
            form_class.Meta.fields,
        )
        for item in everyone(session=session, by=request.user)
    ]
    return _read_page(
        request,
        title=title,
        caption=caption,
        documents=documents,
        meta=record_meta(session=session),
    )


@require_http_methods(GET_POST)
@permission_required(Permission.SUPERVISION_VIEW)
def worksheet(request: HttpRequest, session_id: int) -> HttpResponse:
    """Before a session: the situation a DSL would like to bring, and what they want from it."""
    return _dsl_page(
        request,
        session_id,
        title="Session worksheet",
        intro=(
            "Think about a situation you would like the group to reflect on. Describe it "
            "without names, dates of birth, addresses or anything else that identifies anyone. "
            "Situations where a child already has a social worker are not discussed."
        ),
        form_class=WorksheetForm,
        own=selectors.worksheet_own,
        everyone=selectors.worksheet_list,
        save=services.worksheet_save,
    )


@require_http_methods(GET_POST)
@permission_required(Permission.SUPERVISION_VIEW)
def reflection(request: HttpRequest, session_id: int) -> HttpResponse:
    """After a session: what the DSL takes away, their confidence and the session's use."""
    return _dsl_page(
        request,
        session_id,
        title="Reflection form",
        intro="After the session: what will you take away from it?",
        form_class=ReflectionForm,
        own=selectors.reflection_own,
        everyone=selectors.reflection_list,
        save=services.reflection_save,
    )


@require_http_methods(GET_POST)
@permission_required(Permission.SUPERVISION_RECORD)
def ad_hoc_support(request: HttpRequest) -> HttpResponse:
    """Log ad hoc support, and list what has been logged."""
    enrolments = selectors.recordable_enrolments(user=request.user)
    form = AdHocSupportForm(request.POST or None, enrolments=enrolments)
    if request.method == "POST" and form.is_valid():
        services.ad_hoc_support_create(**form.cleaned_data, by=request.user)
        messages.success(request, MSG_SAVED.format(what="Ad hoc support"))
        return redirect("supervision:ad_hoc_support")
    context = {"form": form, "support": selectors.ad_hoc_support_list(user=request.user)}
    return render(request, "supervision/ad_hoc_support.html", context)


@require_http_methods(GET_POST)
@permission_required(Permission.SUPERVISION_RECORD)
def ratings(request: HttpRequest) -> HttpResponse:
    """Score schools' need and engagement by term, and list the scores."""
    enrolments = selectors.recordable_enrolments(user=request.user)
    form = DeliveryRatingForm(request.POST or None, enrolments=enrolments)
    if request.method == "POST" and form.is_valid():
        try:
            services.delivery_rating_save(**form.cleaned_data, by=request.user)
        except services.SupervisionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, MSG_SAVED.format(what="Scores"))
            return redirect("supervision:ratings")
    context = {"form": form, "ratings": selectors.delivery_rating_list(user=request.user)}
    return render(request, "supervision/ratings.html", context)
