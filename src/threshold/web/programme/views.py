"""Programme pages: programmes and enrolments (LA lead), schedules and sessions (SSW, with the
DSL seeing their own school's), take-up, and community-of-practice meetings."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TypeVar

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from threshold.model import TABLES, ContractError, SessionFormat, SessionStatus, read_table
from threshold.web.accounts.authorisation import has_permission
from threshold.web.accounts.decorators import permission_required
from threshold.web.accounts.permissions import Permission
from threshold.web.core.exports import download_format
from threshold.web.core.lists import back_to_list, page_of
from threshold.web.organisations.models import School
from threshold.web.organisations.selectors import authority_list
from threshold.web.programme import calendars, downloads, selectors, services
from threshold.web.programme.filters import (
    MeetingFilterForm,
    ProgrammeFilterForm,
    SchoolFilterForm,
    SessionFilterForm,
)
from threshold.web.programme.forms import (
    AllocationUploadForm,
    CalendarForm,
    CancelForm,
    CancellerForm,
    DirectChoiceForm,
    DirectUploadForm,
    EnrolmentForm,
    HeldForm,
    MeetingForm,
    PlanForm,
    ProgrammeForm,
    RemoveForm,
    RescheduleForm,
    UndoHeldForm,
)
from threshold.web.programme.models import (
    BlockedDate,
    CalendarFeed,
    Enrolment,
    Programme,
    SupervisionSession,
)
from threshold.web.programme.services import ProgrammeError
from threshold.web.supervision.services import IdentifyingDetailsFound

ALLOCATIONS = TABLES["allocations"]
MSG_PROGRAMME_SAVED = "Programme saved"
MSG_IMPORTED = (
    "Allocation file imported: {created} schools enrolled, {updated} updated, {unchanged} unchanged"
)
MSG_CONTRACT = "The file breaks the data contract in {count} place(s): see the list below"
UPLOAD_INTRO = (
    "Every school in the file must be in this local authority. The file is checked against "
    "the data contract first; nothing is imported unless every row is right. Uploading the "
    "same file again changes nothing."
)
MSG_ENROLMENT_SAVED = "{school}: saved"
MSG_DATE_ADDED = "{date} added to the calendar"
MSG_PLANNED = "Session {number} planned for {date}"
MSG_RESCHEDULED = "Session {number} moved to {date}"
MSG_CANCELLED = "Session {number} cancelled"
MSG_HELD = "Session {number} recorded as held"
MSG_UNDONE = "Session {number} is planned again: “held” undone"
MSG_REMOVED = "Session on {date} removed"
MSG_CANCELLER = "Session {number}: now recorded as cancelled by {who}"
MSG_MEETING_SAVED = "Meeting recorded"
REMOVE_INTRO = (
    "Only for a session that should never have been entered. It is kept, marked removed with "
    "who removed it, when and why, and left out of schedules, take-up and exports."
)

View = Callable[..., HttpResponse]
T = TypeVar("T")
MANAGE_OR_RECORD = (Permission.PROGRAMME_MANAGE, Permission.SUPERVISION_RECORD)
NEW_PROGRAMME = {
    "interval_min_weeks": 4,
    "interval_max_weeks": 6,
    "max_minutes": 120,
    "planned_sessions": 8,
    "csa_focus": "no",
}
"""A new programme's settings until the lead changes them: the Bolton model's."""


def any_permission_required(*permissions: Permission) -> Callable[[View], View]:
    """Like `permission_required`, for a page open to holders of any of `permissions`."""

    def decorator(view: View) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not any(has_permission(request.user, p) for p in permissions):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return guarded

    return decorator


def _form_page(
    request: HttpRequest, form: Form, template: str = "core/form.html", **context: object
) -> HttpResponse:
    """The generic form page (or one extending it): `title`, `caption` and `intro` above the
    form, `submit` (the button's text) and `back` (the back link's address)."""
    return render(request, template, {"form": form, **context})


def _saved(form: Form, write: Callable[[], T]) -> T | None:
    """What `write()` returns, for a valid form; None when the form is not valid or the service
    refuses the write (a `ProgrammeError`, whose message is then put on the form, or
    identifying details in a `CheckedForm`'s text, which the form then shows)."""
    if not form.is_valid():
        return None
    try:
        return write()
    except ProgrammeError as error:
        field = getattr(error, "field", None)
        form.add_error(field if field in form.fields else None, str(error))
    except IdentifyingDetailsFound as found:
        form.show_findings(found.findings)
    return None


def _managed_programme(request: HttpRequest, pk: int) -> Programme:
    programme = get_object_or_404(Programme.objects.select_related("authority"), pk=pk)
    if not selectors.programme_manageable(request.user, programme):
        raise PermissionDenied
    return programme


def _recordable_session(request: HttpRequest, pk: int) -> SupervisionSession:
    session = get_object_or_404(
        SupervisionSession.objects.select_related(
            "enrolment__school__authority", "enrolment__programme"
        ),
        pk=pk,
    )
    if not selectors.can_record(request.user, session.enrolment):
        raise PermissionDenied
    return session


def _recordable_enrolment(request: HttpRequest, urn: int) -> Enrolment:
    school = get_object_or_404(School, urn=urn)
    enrolment = selectors.current_enrolment(school)
    if enrolment is None or not selectors.can_record(request.user, enrolment):
        raise PermissionDenied
    return enrolment


SESSIONS_VIEW = "sessions"
"""The schedule's `view` showing sessions (the schools otherwise)."""


@require_GET
@permission_required(Permission.PROGRAMME_MANAGE)
def programme_list(request: HttpRequest) -> HttpResponse:
    programmes = selectors.programme_list(user=request.user)
    authorities = {p.authority.la_code: p.authority.name for p in programmes}
    years = sorted({p.school_year for p in programmes}, reverse=True)
    form = ProgrammeFilterForm(
        request.GET or None,
        authorities=sorted(authorities.items(), key=lambda item: item[1]),
        school_years=years,
    )
    data = form.cleaned_data if form.is_valid() else getattr(form, "cleaned_data", {})
    chosen = selectors.programmes_filtered(
        programmes,
        authority=data.get("authority") or "",
        school_year=data.get("school_year") or "",
    )
    page, query = page_of(request, chosen)
    filtered = form.is_bound and (bool(form.errors) or any(data.values()))
    context = {"form": form, "page": page, "query": query, "filtered": filtered}
    return render(request, "programme/programme_list.html", context)


@require_http_methods(["GET", "POST"])
@permission_required(Permission.PROGRAMME_MANAGE)
def programme_create(request: HttpRequest) -> HttpResponse:
    managed = selectors.managed_authorities(request.user)
    authorities = list(authority_list()) if managed is None else managed
    form = ProgrammeForm(
        request.POST or None,
        authorities=authorities,
        initial=NEW_PROGRAMME,
    )

    def create() -> Programme:
        values = dict(form.cleaned_data)
        code = values.pop("authority")
        authority = next(la for la in authorities if la.la_code == code)
        return services.programme_create(authority=authority, by=request.user, **values)

    programme = _saved(form, create)
    if programme is not None:
        messages.success(request, MSG_PROGRAMME_SAVED)
        return redirect("programme:programme_detail", pk=programme.pk)
    return _form_page(
        request,
        form,
        title="Start a programme",
        submit="Save programme",
        back=reverse("programme:programme_list"),
    )


@require_GET
@permission_required(Permission.PROGRAMME_MANAGE)
def programme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    programme = _managed_programme(request, pk)
    enrolments = programme.enrolments.select_related("school", "ssw").prefetch_related("sessions")
    rows = [
        {
            "enrolment": e,
            "held": sum(1 for s in e.sessions.all() if s.status == SessionStatus.HELD),
        }
        for e in enrolments
    ]
    context = {"programme": programme, "rows": rows}
    return render(request, "programme/programme_detail.html", context)


@require_http_methods(["GET", "POST"])
@permission_required(Permission.PROGRAMME_MANAGE)
def programme_edit(request: HttpRequest, pk: int) -> HttpResponse:
    programme = _managed_programme(request, pk)
    form = ProgrammeForm(request.POST or None, initial=ProgrammeForm.initial_from(programme))
    updated = _saved(
        form,
        lambda: services.programme_update(
            programme=programme, by=request.user, **form.cleaned_data
        ),
    )
    if updated is not None:
        messages.success(request, MSG_PROGRAMME_SAVED)
        return redirect("programme:programme_detail", pk=programme.pk)
    return _form_page(
        request,
        form,
        title="Change the programme",
        caption=str(programme),
        submit="Save programme",
        back=reverse("programme:programme_detail", kwargs={"pk": programme.pk}),
    )


@require_http_methods(["GET", "POST"])
@permission_required(Permission.PROGRAMME_MANAGE)
def allocations_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Enrol schools from the trial's allocation file: checked against the data contract
    (every violation shown by row and field), then imported all or nothing."""
    programme = _managed_programme(request, pk)
    form = AllocationUploadForm(request.POST or None, request.FILES or None)
    violations = []
    if form.is_valid():
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / ALLOCATIONS.filename
            with path.open("wb") as target:
                for chunk in form.cleaned_data["file"].chunks():
                    target.write(chunk)
            try:
                table = read_table(Path(directory), ALLOCATIONS)
                counts = services.enrolments_import(
                    programme=programme, allocations=table, by=request.user
                )
            except ContractError as error:
                violations = error.violations
                form.add_error("file", MSG_CONTRACT.format(count=len(violations)))
            except ProgrammeError as error:
                form.add_error("file", str(error))
            else:
                messages.success(request, MSG_IMPORTED.format(**vars(counts)))
                return redirect("programme:programme_detail", pk=programme.pk)
    return _form_page(
        request,
        form,
        "programme/allocations_upload.html",
        title="Enrol schools from an allocation file",
        caption=str(programme),
        intro=UPLOAD_INTRO,
        submit="Upload and enrol",
        back=reverse("programme:programme_detail", kwargs={"pk": programme.pk}),
        violations=violations,
    )


@require_http_methods(["GET", "POST"])
@permission_required(Permission.PROGRAMME_MANAGE)
def enrolment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = get_object_or_404(
        Enrolment.objects.select_related("school__authority", "programme__authority", "ssw"), pk=pk
    )
    if not selectors.programme_manageable(request.user, enrolment.programme):
        raise PermissionDenied
    form = EnrolmentForm(
        request.POST or None,
        candidates=selectors.ssw_candidates(enrolment.school.authority),
        initial={
            "ssw": enrolment.ssw_id or "",
            "mou_status": enrolment.mou_status,
            "supervision_agreement_status": enrolment.supervision_agreement_status,
        },
    )
    updated = _saved(
        form,
        lambda: services.enrolment_update(
            enrolment=enrolment, by=request.user, **form.cleaned_data
        ),
    )
    if updated is not None:
        messages.success(request, MSG_ENROLMENT_SAVED.format(school=enrolment.school.name))
        return redirect("programme:programme_detail", pk=enrolment.programme_id)
    return _form_page(
        request,
        form,
        title="SSW and agreements",
        caption=enrolment.school.name,
        submit="Save",
        back=reverse("programme:programme_detail", kwargs={"pk": enrolment.programme_id}),
    )


@require_GET
@permission_required(Permission.SUPERVISION_VIEW)
def school_list(request: HttpRequest) -> HttpResponse:
    """The schedule: the schools the person sees, or (`?view=sessions`) their sessions, each
    searched, filtered and a page at a time."""
    sessions = request.GET.get("view") == SESSIONS_VIEW
    form: SchoolFilterForm | SessionFilterForm
    if sessions:
        scope = selectors.schedule_sessions(user=request.user)
        form = SessionFilterForm(request.GET or None, choices=selectors.session_choices(scope))
        form.is_valid()
        items = selectors.sessions_filtered(scope, form.filters())
    else:
        enrolments = selectors.enrolments_visible(user=request.user)
        form = SchoolFilterForm(
            request.GET or None, choices=selectors.enrolment_choices(enrolments)
        )
        form.is_valid()
        items = selectors.enrolments_filtered(enrolments, form.filters())
    page, query = page_of(request, items)
    context = {
        "form": form,
        "page": page,
        "query": query,
        "view": SESSIONS_VIEW if sessions else "schools",
        "several_las": "authority" in form.fields,
    }
    return render(request, "programme/school_list.html", context)


@require_GET
@permission_required(Permission.SUPERVISION_VIEW)
def schedule_download(request: HttpRequest) -> HttpResponse:
    """The schedule's sessions as the person filtered them, as CSV or XLSX (audited)."""
    fmt = download_format(request.GET.get("format"))
    scope = selectors.schedule_sessions(user=request.user)
    form = SessionFilterForm(request.GET, choices=selectors.session_choices(scope))
    if not form.is_valid():
        return back_to_list(request, "programme:school_list", view=SESSIONS_VIEW)
    sessions = list(selectors.sessions_filtered(scope, form.filters()))
    return downloads.audited_download(
        downloads.sessions_frame(sessions),
        by=request.user,
        what="schedule",
        object_type="programme.supervisionsession",
        filters=form.filters(),
        fmt=fmt,
        stem="supervision-schedule",
        title="Supervision schedule",
        authority_codes=[s.enrolment.school.authority.la_code for s in sessions],
    )


@require_GET
@permission_required(Permission.SUPERVISION_VIEW)
def school_schedule(request: HttpRequest, urn: int) -> HttpResponse:
    school = get_object_or_404(School.objects.select_related("authority"), urn=urn)
    enrolment = selectors.current_enrolment(school)
    if not selectors.school_visible(request.user, school, enrolment):
        raise PermissionDenied
    sessions = list(selectors.enrolment_sessions(enrolment)) if enrolment else []
    now = timezone.now()
    for session in sessions:
        session.started = session.scheduled_for <= now
        session.may_undo = services.undo_allowed(session, request.user, now=now)
    context = {
        "school": school,
        "enrolment": enrolment,
        "sessions": sessions,
        "calendar": enrolment.calendar.all() if enrolment else [],
        "can_record": enrolment is not None and selectors.can_record(request.user, enrolment),
        "can_correct": enrolment is not None and selectors.can_correct(request.user, enrolment),
        "take_up": (
            selectors.school_take_up(enrolment, today=timezone.localdate())
            if enrolment is not None
            else None
        ),
    }
    return render(request, "programme/school_schedule.html", context)


@require_http_methods(["GET", "POST"])
@permission_required(Permission.SUPERVISION_RECORD)
def session_plan(request: HttpRequest, urn: int) -> HttpResponse:
    """Plan the school's next session, offering suggested dates (links that fill the date)."""
    enrolment = _recordable_enrolment(request, urn)
    programme = enrolment.programme
    form = PlanForm(
        request.POST or None,
        initial={
            "date": request.GET.get("date", ""),
            "planned_minutes": programme.max_minutes,
            "format": (
                SessionFormat.GROUP
                if programme.model == Programme.Model.GROUP
                else SessionFormat.ONE_TO_ONE
            ),
        },
    )
    session = _saved(
        form,
        lambda: services.session_plan(
            enrolment=enrolment,
            scheduled_for=form.scheduled_for(),
            format=form.cleaned_data["format"],
            mode=form.cleaned_data["mode"],
            planned_minutes=form.cleaned_data["planned_minutes"],
            confirmed=form.cleaned_data["confirm"],
            **form.when_options(),
            by=request.user,
        ),
    )
    if session is not None:
        day = selectors.day_text(selectors.session_day(session))
        messages.success(request, MSG_PLANNED.format(number=session.number, date=day))
        return redirect("programme:school_schedule", urn=urn)
    suggestions = selectors.slot_suggestions(enrolment, today=timezone.localdate())
    inset = {d.date for d in enrolment.calendar.all() if d.kind == BlockedDate.Kind.INSET}
    return _form_page(
        request,
        form,
        "programme/session_plan.html",
        title="Plan a session",
        caption=enrolment.school.name,
        submit="Plan session",
        back=reverse("programme:school_schedule", kwargs={"urn": urn}),
        enrolment=enrolment,
        suggestions=[
            {"iso": day.isoformat(), "text": selectors.day_text(day), "inset": day in inset}
            for day in suggestions
        ],
    )


@require_http_methods(["GET", "POST"])
@permission_required(Permission.SUPERVISION_RECORD)
def calendar_add(request: HttpRequest, urn: int) -> HttpResponse:
    enrolment = _recordable_enrolment(request, urn)
    form = CalendarForm(request.POST or None)
    added = _saved(
        form,
        lambda: services.calendar_date_add(
            enrolment=enrolment,
            date=form.cleaned_data["date"],
            kind=form.cleaned_data["kind"],
            note=form.cleaned_data["note"],
            confirmed=form.cleaned_data["confirm"],
            by=request.user,
        ),
    )
    if added is not None:
        day = selectors.day_text(form.cleaned_data["date"])
        messages.success(request, MSG_DATE_ADDED.format(date=day))
        return redirect("programme:school_schedule", urn=urn)
    return _form_page(
        request,
        form,
        title="Add a day to the school's calendar",
        caption=enrolment.school.name,
        intro="Blocked days are never suggested for sessions; INSET days are suggested first.",
        submit="Add day",
        back=reverse("programme:school_schedule", kwargs={"urn": urn}),
    )


def _session_page(
    request: HttpRequest,
    session: SupervisionSession,
    form: Form,
    title: str,
    submit: str,
    intro: str = "",
) -> HttpResponse:
    day = selectors.day_text(selectors.session_day(session))
    return _form_page(
        request,
        form,
        title=title,
        caption=f"{session.enrolment.school.name}: session {session.number}, {day}",
        intro=intro,
        submit=submit,
        back=reverse("programme:school_schedule", kwargs={"urn": session.enrolment.school.urn}),
    )


@require_http_methods(["GET", "POST"])
@permission_required(Permission.SUPERVISION_RECORD)
def session_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    session = _recordable_session(request, pk)
    form = RescheduleForm(request.POST or None)
    replacement = _saved(
        form,
        lambda: services.session_reschedule(
            session=session,
            scheduled_for=form.scheduled_for(),
            changed_by=form.cleaned_data["changed_by"],
            reason=form.cleaned_data["change_reason"],
            confirmed=form.cleaned_data["confirm"],
            **form.when_options(),
            by=request.user,
        ),
    )
    if replacement is not None:
        day = selectors.day_text(selectors.session_day(replacement))
        messages.success(request, MSG_RESCHEDULED.format(number=session.number, date=day))
        return redirect("programme:school_schedule", urn=session.enrolment.school.urn)
    return _session_page(request, session, form, "Move a session", "Move session")


@require_http_methods(["GET", "POST"])
@permission_required(Permission.SUPERVISION_RECORD)
def session_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    session = _recordable_session(request, pk)
    form = CancelForm(request.POST or None)
    cancelled = _saved(
        form,
        lambda: services.session_cancel(
            session=session,
            changed_by=form.cleaned_data["changed_by"],
            reason=form.cleaned_data["change_reason"],
            confirmed=form.cleaned_data["confirm"],
            by=request.user,
        ),
    )
    if cancelled is not None:
        messages.success(request, MSG_CANCELLED.format(number=session.number))
        return redirect("programme:school_schedule", urn=session.enrolment.school.urn)
    return _session_page(request, session, form, "Cancel a session", "Cancel session")


@require_http_methods(["GET", "POST"])
@permission_required(Permission.SUPERVISION_RECORD)
def session_held(request: HttpRequest, pk: int) -> HttpResponse:
    session = _recordable_session(request, pk)
    form = HeldForm(request.POST or None, initial={"duration_minutes": session.planned_minutes})
    held = _saved(
        form,
        lambda: services.session_record_held(session=session, by=request.user, **form.cleaned_data),
    )
    if held is not None:
        messages.success(request, MSG_HELD.format(number=session.number))
        return redirect("programme:school_schedule", urn=session.enrolment.school.urn)
    return _session_page(request, session, form, "Record a session as held", "Save")


def _correctable_session(request: HttpRequest, pk: int) -> SupervisionSession:
    session = get_object_or_404(
        SupervisionSession.objects.select_related(
            "enrolment__school__authority", "enrolment__programme__authority"
        ),
        pk=pk,
    )
    if not selectors.can_correct(request.user, session.enrolment):
        raise PermissionDenied
    return session


@require_http_methods(["GET", "POST"])
@any_permission_required(*MANAGE_OR_RECORD)
def session_undo_held(request: HttpRequest, pk: int) -> HttpResponse:
    """Undo "held" recorded by mistake (the SSW within 14 days, later the LA lead)."""
    session = _correctable_session(request, pk)
    form = UndoHeldForm(request.POST or None)
    undone = _saved(
        form,
        lambda: services.session_undo_held(
            session=session,
            reason=form.cleaned_data["change_reason"],
            confirmed=form.cleaned_data["confirm"],
            by=request.user,
        ),
    )
    if undone is not None:
        messages.success(request, MSG_UNDONE.format(number=session.number))
        return redirect("programme:school_schedule", urn=session.enrolment.school.urn)
    return _session_page(request, session, form, "Undo “held”", "Undo held")


@require_http_methods(["GET", "POST"])
@any_permission_required(*MANAGE_OR_RECORD)
def session_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a session entered in error: kept and marked, never deleted."""
    session = _correctable_session(request, pk)
    form = RemoveForm(request.POST or None)
    removed = _saved(
        form,
        lambda: services.session_remove(
            session=session,
            reason=form.cleaned_data["removal_reason"],
            confirmed=form.cleaned_data["confirm"],
            by=request.user,
        ),
    )
    if removed is not None:
        day = selectors.day_text(selectors.session_day(session))
        messages.success(request, MSG_REMOVED.format(date=day))
        return redirect("programme:school_schedule", urn=session.enrolment.school.urn)
    return _session_page(
        request,
        session,
        form,
        "Remove a session entered in error",
        "Remove session",
        intro=REMOVE_INTRO,
    )


@require_http_methods(["GET", "POST"])
@any_permission_required(*MANAGE_OR_RECORD)
def session_canceller(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct who cancelled a session."""
    session = _correctable_session(request, pk)
    form = CancellerForm(request.POST or None, initial={"changed_by": session.changed_by})
    changed = _saved(
        form,
        lambda: services.session_canceller_change(
            session=session,
            changed_by=form.cleaned_data["changed_by"],
            reason=form.cleaned_data["change_reason"],
            confirmed=form.cleaned_data["confirm"],
            by=request.user,
        ),
    )
    if changed is not None:
        who = changed.get_changed_by_display().lower()
        messages.success(request, MSG_CANCELLER.format(number=session.number, who=who))
        return redirect("programme:school_schedule", urn=session.enrolment.school.urn)
    return _session_page(request, session, form, "Change who cancelled a session", "Save")


@require_GET
@any_permission_required(*MANAGE_OR_RECORD)
def take_up(request: HttpRequest) -> HttpResponse:
    """Counts and lists of schools with no session yet, overdue or with nothing planned,
    narrowed by a search and the LA and SSW."""
    today = timezone.localdate()
    choices = selectors.enrolment_choices(
        selectors.take_up_enrolments(user=request.user, today=today)
    )
    form = SchoolFilterForm(request.GET or None, choices=choices)
    form.is_valid()
    context = {
        "take_up": selectors.take_up(user=request.user, today=today, filters=form.filters()),
        "today": today,
        "form": form,
    }
    return render(request, "programme/take_up.html", context)


@require_GET
@any_permission_required(*MANAGE_OR_RECORD)
def take_up_download(request: HttpRequest) -> HttpResponse:
    """Each school's take-up (counts and flags), as the person filtered it, as CSV or XLSX
    (audited)."""
    fmt = download_format(request.GET.get("format"))
    today = timezone.localdate()
    choices = selectors.enrolment_choices(
        selectors.take_up_enrolments(user=request.user, today=today)
    )
    form = SchoolFilterForm(request.GET, choices=choices)
    if not form.is_valid():
        return back_to_list(request, "programme:take_up")
    found = selectors.take_up(user=request.user, today=today, filters=form.filters())
    return downloads.audited_download(
        downloads.take_up_frame(found),
        by=request.user,
        what="take-up",
        object_type="programme.enrolment",
        filters=form.filters(),
        fmt=fmt,
        stem="take-up",
        title="Take-up",
        authority_codes=[s.enrolment.school.authority.la_code for s in found.overall.schools],
    )


@require_GET
@any_permission_required(*MANAGE_OR_RECORD)
def meeting_list(request: HttpRequest) -> HttpResponse:
    authorities = selectors.community_authorities(request.user)
    form = MeetingFilterForm(
        request.GET or None, authorities=[(la.la_code, la.name) for la in authorities]
    )
    data = form.cleaned_data if form.is_valid() else getattr(form, "cleaned_data", {})
    meetings = selectors.meetings_filtered(
        selectors.community_meeting_list(authorities=authorities),
        authority=data.get("authority") or "",
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    )
    page, query = page_of(request, meetings)
    filtered = form.is_bound and (bool(form.errors) or any(data.values()))
    context = {"form": form, "page": page, "query": query, "filtered": filtered}
    return render(request, "programme/meeting_list.html", context)


@require_http_methods(["GET", "POST"])
@any_permission_required(*MANAGE_OR_RECORD)
def meeting_create(request: HttpRequest) -> HttpResponse:
    authorities = selectors.community_authorities(request.user)
    people = {user.pk: user for la in authorities for user in selectors.ssw_candidates(la)}
    form = MeetingForm(
        request.POST or None, authorities=authorities, attendees=list(people.values())
    )
    meeting = _saved(
        form,
        lambda: services.community_meeting_record(
            authority=form.cleaned_data["authority"],
            held_on=form.cleaned_data["held_on"],
            attendees=form.cleaned_data["attendees"],
            topics=form.cleaned_data["topics"],
            confirmed=form.cleaned_data["confirm"],
            by=request.user,
        ),
    )
    if meeting is not None:
        messages.success(request, MSG_MEETING_SAVED)
        return redirect("programme:meeting_list")
    return _form_page(
        request,
        form,
        title="Record a community-of-practice meeting",
        submit="Save meeting",
        back=reverse("programme:meeting_list"),
    )


@require_http_methods(["GET", "POST"])
@permission_required(Permission.SUPERVISION_VIEW)
def feed(request: HttpRequest) -> HttpResponse:
    """The person's calendar feed: make or reset its link (shown once, when made)."""
    address = None
    if request.method == "POST":
        token = services.calendar_feed_reset(user=request.user, by=request.user)
        address = request.build_absolute_uri(reverse("programme:feed_ics", args=[token]))
    existing = CalendarFeed.objects.filter(user=request.user).first()
    context = {"feed": existing, "address": address}
    return render(request, "programme/feed.html", context)


@require_GET
def feed_ics(request: HttpRequest, token: str) -> HttpResponse:
    """The feed itself, for calendar apps: the token is the credential; the sessions are
    those its person sees in the schedule now (none once they cannot)."""
    found = calendars.feed_for_token(token)
    if found is None or not has_permission(found.user, Permission.SUPERVISION_VIEW):
        raise Http404
    CalendarFeed.objects.filter(pk=found.pk).update(last_read_at=timezone.now())
    body = calendars.sessions_calendar(found.user, site=request.get_host())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="supervision-sessions.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


# Programmes without a trial: the LA lead enrols schools directly.

MSG_DIRECT_ENROLLED = "Schools enrolled: {created} new, {unchanged} already enrolled"
DIRECT_UPLOAD_INTRO = (
    "List the schools to enrol, one URN a line. The school's name is only a check that the URN "
    "is right. Every school must be an open school of this local authority and not in a "
    "trial; nothing is enrolled unless every row is right. Uploading the same file again "
    "changes nothing."
)


@require_http_methods(["GET", "POST"])
@permission_required(Permission.PROGRAMME_MANAGE)
def enrolments_choose(request: HttpRequest, pk: int) -> HttpResponse:
    """Enrol schools without a trial, chosen from the LA's open schools not yet enrolled."""
    programme = _managed_programme(request, pk)
    candidates = selectors.direct_candidates(programme)
    posted = request.POST if request.method == "POST" else None
    form = DirectChoiceForm(posted, schools=[c.school for c in candidates if not c.refusal])
    counts = _saved(
        form,
        lambda: services.enrolments_add(
            programme=programme, schools=form.cleaned_data["schools"], by=request.user
        ),
    )
    if counts is not None:
        messages.success(request, MSG_DIRECT_ENROLLED.format(**vars(counts)))
        return redirect("programme:programme_detail", pk=programme.pk)
    chosen = set(request.POST.getlist("schools")) if request.method == "POST" else set()
    context = {"programme": programme, "form": form, "candidates": candidates, "chosen": chosen}
    return render(request, "programme/enrol_choose.html", context)


@require_http_methods(["GET", "POST"])
@permission_required(Permission.PROGRAMME_MANAGE)
def enrolments_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Enrol schools without a trial from a CSV of URNs (the template's columns): checked row
    by row, every problem shown, then enrolled all or nothing."""
    programme = _managed_programme(request, pk)
    form = DirectUploadForm(
        request.POST if request.method == "POST" else None, request.FILES or None
    )
    problems: list[str] = []
    if form.is_valid():
        name = Path(request.FILES["file"].name).name
        try:
            schools = services.direct_file_read(programme, form.cleaned_data["file"], name=name)
            counts = services.enrolments_add(
                programme=programme, schools=schools, by=request.user, source=name
            )
        except services.DirectEnrolmentRefused as refused:
            problems = refused.problems
            form.add_error("file", services.MSG_DIRECT_PROBLEMS.format(count=len(problems)))
        else:
            messages.success(request, MSG_DIRECT_ENROLLED.format(**vars(counts)))
            return redirect("programme:programme_detail", pk=programme.pk)
    return _form_page(
        request,
        form,
        "programme/enrol_upload.html",
        title="Enrol schools from a file",
        caption=str(programme),
        intro=DIRECT_UPLOAD_INTRO,
        submit="Upload and enrol",
        back=reverse("programme:programme_detail", kwargs={"pk": programme.pk}),
        problems=problems,
        programme=programme,
    )


@require_GET
@permission_required(Permission.PROGRAMME_MANAGE)
def enrolments_template(request: HttpRequest, pk: int) -> HttpResponse:
    """The CSV template of the direct-enrolment file: the LA's schools that may be enrolled
    directly, formula cells neutralised."""
    programme = _managed_programme(request, pk)
    frame = services.direct_template(programme)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = (
        f"enrolments-{programme.authority.la_code}-{programme.school_year.replace('/', '-')}.csv"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    frame.to_csv(response, index=False, lineterminator="\n")
    return response
