"""Guidance pages: the LA's threshold document (read, edit, publish, history, poster), the
DSL's "where should this go?" pathway and their records, and the DSL information line."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from threshold.web.accounts.authorisation import has_permission
from threshold.web.accounts.decorators import permission_required
from threshold.web.accounts.permissions import Permission
from threshold.web.core.exports import download_format, table_download, table_frame
from threshold.web.core.lists import back_to_list, page_of
from threshold.web.guidance import selectors, services
from threshold.web.guidance.content import EXAMPLE, diff, service_for
from threshold.web.guidance.filters import CallFilterForm, OutcomeFilterForm
from threshold.web.guidance.forms import (
    CallForm,
    DocumentForm,
    OutcomeForm,
    QuestionForm,
)
from threshold.web.guidance.pathway import (
    BY_ID,
    QUESTIONS,
    PathwayError,
    Question,
    Route,
    last_answered,
    next_step,
    position,
    previous_question,
)
from threshold.web.guidance.poster import poster_pdf
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.supervision.services import IdentifyingDetailsFound

GET, GET_POST = ["GET"], ["GET", "POST"]
SESSION_KEY = "guidance_pathway"
MSG_DRAFT_SAVED = "Draft saved. Publish it when it is ready for DSLs."
MSG_PUBLISHED = "Version {number} published."
MSG_RECORDED = "Thank you: what you did is recorded."
MSG_CALL_SAVED = "Call recorded."
CALL_COLUMNS = ("When", "School", "School URN", "Concern", "Route advised", "Minutes")
OUTCOME_COLUMNS = (
    "Date",
    "School",
    "School URN",
    "Recommended",
    "What you did",
    "Front door contacted",
)
"""The downloads' columns, headed as on the page (with the school's URN beside its name)."""


def _authority(request: HttpRequest, la_code: str, permission: Permission) -> LocalAuthority:
    """The LA, if the user holds `permission` there (LA-wide or in one of its schools)."""
    for authority in selectors.authorities_for(request.user, permission):
        if authority.la_code == la_code:
            return authority
    raise Http404


def _schools(request: HttpRequest, permission: Permission) -> QuerySet[School]:
    """The schools where the user holds `permission`, as a queryset."""
    where = selectors.authorities_for(request.user, permission)
    schools = School.objects.filter(authority__in=where).select_related("authority")
    return schools.filter(
        pk__in=[s.pk for s in schools if has_permission(request.user, permission, school=s)]
    )


@require_http_methods(GET)
@permission_required(Permission.GUIDANCE_VIEW)
def index(request: HttpRequest) -> HttpResponse:
    """Where to start: the LAs' documents, and the pathway, calls and summaries one may use."""
    user = request.user
    context = {
        "authorities": selectors.authorities_for(user, Permission.GUIDANCE_VIEW),
        "may_use_pathway": has_permission(user, Permission.GUIDANCE_PATHWAY),
        "may_record_calls": has_permission(user, Permission.GUIDANCE_LINE_RECORD),
        "may_manage": has_permission(user, Permission.GUIDANCE_MANAGE),
    }
    return render(request, "guidance/index.html", context)


@require_http_methods(GET)
@permission_required(Permission.GUIDANCE_VIEW)
def document(request: HttpRequest, la_code: str) -> HttpResponse:
    """The LA's published threshold document."""
    authority = _authority(request, la_code, Permission.GUIDANCE_VIEW)
    version = selectors.published_version(authority)
    context = {
        "authority": authority,
        "version": version,
        "services": [service_for(version.content, route) for route in Route] if version else [],
        "may_manage": has_permission(request.user, Permission.GUIDANCE_MANAGE, authority=authority),
    }
    return render(request, "guidance/document.html", context)


@require_http_methods(GET)
@permission_required(Permission.GUIDANCE_VIEW)
def poster(request: HttpRequest, la_code: str) -> HttpResponse:
    """The one-page poster of the published version, as PDF."""
    authority = _authority(request, la_code, Permission.GUIDANCE_VIEW)
    version = selectors.published_version(authority)
    if version is None:
        raise Http404
    pdf = poster_pdf(
        version.content,
        area=authority.name,
        number=version.number,
        published=timezone.localtime(version.published_at).strftime("%-d %B %Y"),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="threshold-poster-{la_code}.pdf"'
    return response


@require_http_methods(GET_POST)
@permission_required(Permission.GUIDANCE_MANAGE)
def document_edit(request: HttpRequest, la_code: str) -> HttpResponse:
    """The LA lead edits the draft (a new draft starts from the example document)."""
    authority = _authority(request, la_code, Permission.GUIDANCE_MANAGE)
    current = selectors.document_get(authority)
    content = current.draft if current else EXAMPLE
    form = DocumentForm(request.POST or None, content=content)
    if request.method == "POST" and form.is_valid():
        services.document_save_draft(authority=authority, content=form.content(), by=request.user)
        messages.success(request, MSG_DRAFT_SAVED)
        return redirect("guidance:history", la_code=la_code)
    return render(request, "guidance/document_edit.html", {"form": form, "authority": authority})


@require_http_methods(["POST"])
@permission_required(Permission.GUIDANCE_MANAGE)
def document_publish(request: HttpRequest, la_code: str) -> HttpResponse:
    """Publish the draft as a new version."""
    authority = _authority(request, la_code, Permission.GUIDANCE_MANAGE)
    try:
        version = services.document_publish(authority=authority, by=request.user)
    except services.GuidanceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, MSG_PUBLISHED.format(number=version.number))
    return redirect("guidance:history", la_code=la_code)


@require_http_methods(GET)
@permission_required(Permission.GUIDANCE_MANAGE)
def history(request: HttpRequest, la_code: str) -> HttpResponse:
    """Published versions (who and when), and what the draft changes since the latest."""
    authority = _authority(request, la_code, Permission.GUIDANCE_MANAGE)
    versions = list(selectors.version_list(authority))
    draft = selectors.document_get(authority)
    changes = None
    if draft is not None:
        changes = diff(versions[0].content if versions else {}, draft.draft)
    context = {"authority": authority, "versions": versions, "draft": draft, "changes": changes}
    return render(request, "guidance/history.html", context)


@require_http_methods(GET)
@permission_required(Permission.GUIDANCE_MANAGE)
def version(request: HttpRequest, la_code: str, number: int) -> HttpResponse:
    """One published version and what it changed from the one before."""
    authority = _authority(request, la_code, Permission.GUIDANCE_MANAGE)
    versions = selectors.version_list(authority)
    shown = get_object_or_404(versions, number=number)
    before = versions.filter(number__lt=number).first()
    context = {
        "authority": authority,
        "shown": shown,
        "changes": diff(before.content if before else {}, shown.content),
    }
    return render(request, "guidance/version.html", context)


def _answers(request: HttpRequest) -> dict[str, str]:
    return dict(request.session.get(SESSION_KEY, {}))


def _pathway_school(request: HttpRequest) -> School:
    """The school whose LA's document the pathway uses: the DSL's first school."""
    schools = selectors.schools_where(request.user, Permission.GUIDANCE_PATHWAY)
    if not schools:
        raise PermissionDenied
    return schools[0]


@require_http_methods(GET)
@permission_required(Permission.GUIDANCE_PATHWAY)
def pathway_start(request: HttpRequest) -> HttpResponse:
    """The start page; starting again forgets earlier answers."""
    request.session[SESSION_KEY] = {}
    first = reverse("guidance:pathway_question", kwargs={"question": QUESTIONS[0].id})
    return render(
        request, "guidance/pathway_start.html", {"first": first, "questions": len(QUESTIONS)}
    )


@require_http_methods(GET_POST)
@permission_required(Permission.GUIDANCE_PATHWAY)
def pathway_question(request: HttpRequest, question: str) -> HttpResponse:
    """One question a screen; the answer decides the next screen."""
    if question not in BY_ID:
        raise Http404
    asked: Question = BY_ID[question]
    answers = _answers(request)
    form = QuestionForm(
        request.POST or None, question=asked, initial={"answer": answers.get(question)}
    )
    if request.method == "POST" and form.is_valid():
        order = [q.id for q in QUESTIONS]
        kept = {k: v for k, v in answers.items() if order.index(k) < order.index(question)}
        kept[question] = form.cleaned_data["answer"]
        request.session[SESSION_KEY] = kept
        step = next_step(kept)
        if isinstance(step, Question):
            return redirect("guidance:pathway_question", question=step.id)
        return redirect("guidance:pathway_result")
    number, total = position(question)
    context = {"form": form, "number": number, "total": total, "back": _pathway_back(question)}
    return render(request, "guidance/pathway_question.html", context)


def _pathway_back(question: str | None) -> str:
    """Where the Back link of a pathway page goes: the question before `question` (or the
    last one answered, for the result), else the start page."""
    before = previous_question(question) if question else None
    if before is None:
        return reverse("guidance:pathway_start")
    return reverse("guidance:pathway_question", kwargs={"question": before.id})


def _recommendation_or_redirect(request: HttpRequest) -> tuple[object, HttpResponse | None]:
    try:
        step = next_step(_answers(request))
    except PathwayError:
        request.session[SESSION_KEY] = {}
        return None, redirect("guidance:pathway_start")
    if isinstance(step, Question):
        return None, redirect("guidance:pathway_question", question=step.id)
    return step, None


@require_http_methods(GET)
@permission_required(Permission.GUIDANCE_PATHWAY)
def pathway_result(request: HttpRequest) -> HttpResponse:
    """The recommended route, why, what others in the area did, and the gain."""
    step, elsewhere = _recommendation_or_redirect(request)
    if elsewhere is not None:
        return elsewhere
    authority = _pathway_school(request).authority
    version = selectors.published_version(authority)
    content = version.content if version else {}
    context = {
        "recommendation": step,
        "service": service_for(content, step.route),
        "then": service_for(content, step.then) if step.then else None,
        "norms": selectors.norms(authority, step.route),
        "back": _result_back(request),
    }
    return render(request, "guidance/pathway_result.html", context)


def _result_back(request: HttpRequest) -> str:
    """The result page's Back link: the question that decided it."""
    last = last_answered(_answers(request))
    if last is None:
        return reverse("guidance:pathway_start")
    return reverse("guidance:pathway_question", kwargs={"question": last.id})


@require_http_methods(GET_POST)
@permission_required(Permission.GUIDANCE_PATHWAY)
def pathway_record(request: HttpRequest) -> HttpResponse:
    """The DSL records what they did after the recommendation."""
    step, elsewhere = _recommendation_or_redirect(request)
    if elsewhere is not None:
        return elsewhere
    schools = _schools(request, Permission.GUIDANCE_PATHWAY)
    form = OutcomeForm(
        request.POST or None,
        schools=schools,
        initial={"school": schools.first(), "route_taken": step.route.value},
    )
    if request.method == "POST" and form.is_valid():
        services.pathway_outcome_record(
            school=form.cleaned_data["school"],
            answers=_answers(request),
            route_taken=Route(form.cleaned_data["route_taken"]),
            contacted_front_door=form.cleaned_data["contacted_front_door"],
            by=request.user,
        )
        request.session[SESSION_KEY] = {}
        messages.success(request, MSG_RECORDED)
        return redirect("guidance:outcome_list")
    return render(request, "guidance/pathway_record.html", {"form": form, "recommendation": step})


def _outcome_filters(request: HttpRequest) -> tuple[OutcomeFilterForm, selectors.OutcomeFilters]:
    form = OutcomeFilterForm(
        request.GET or None, schools=_schools(request, Permission.GUIDANCE_PATHWAY)
    )
    if not (form.is_bound and form.is_valid()):
        return form, selectors.OutcomeFilters()
    data = form.cleaned_data
    return form, selectors.OutcomeFilters(
        search=data["search"],
        school=data["school"],
        date_from=data["date_from"],
        date_to=data["date_to"],
        route_taken=data["route_taken"],
        contacted=data["contacted"],
    )


@require_http_methods(GET)
@permission_required(Permission.GUIDANCE_PATHWAY)
def outcome_list(request: HttpRequest) -> HttpResponse:
    """What the DSL recorded after using the pathway: searched, filtered, a page at a time."""
    form, filters = _outcome_filters(request)
    found = [] if form.errors else selectors.outcome_search(user=request.user, filters=filters)
    page, query = page_of(request, found)
    context = {"form": form, "page": page, "outcomes": page.object_list, "query": query}
    return render(request, "guidance/outcome_list.html", context)


@require_http_methods(GET)
@permission_required(Permission.GUIDANCE_PATHWAY)
def outcome_download(request: HttpRequest) -> HttpResponse:
    """The DSL's records as the list shows them (every page), as CSV or XLSX; audited."""
    fmt = download_format(request.GET.get("format"))
    form, filters = _outcome_filters(request)
    if form.is_bound and not form.is_valid():
        return back_to_list(request, "guidance:outcome_list")
    outcomes = selectors.outcome_download(user=request.user, filters=filters, fmt=fmt)
    frame = table_frame(
        OUTCOME_COLUMNS,
        (
            (
                timezone.localdate(outcome.recorded_at),
                outcome.school.name,
                outcome.school.urn,
                outcome.get_recommended_route_display(),
                outcome.get_route_taken_display(),
                "Yes" if outcome.contacted_front_door else "No",
            )
            for outcome in outcomes
        ),
    )
    return table_download(frame, stem="pathway-records", fmt=fmt, title="What you recorded")


def _call_filters(request: HttpRequest) -> tuple[CallFilterForm, selectors.CallFilters]:
    form = CallFilterForm(
        request.GET or None, schools=_schools(request, Permission.GUIDANCE_LINE_RECORD)
    )
    if not (form.is_bound and form.is_valid()):
        return form, selectors.CallFilters()
    data = form.cleaned_data
    return form, selectors.CallFilters(
        school=data["school"],
        date_from=data["date_from"],
        date_to=data["date_to"],
        category=data["category"],
        route=data["route"],
        search=data["search"],
    )


@require_http_methods(GET)
@permission_required(Permission.GUIDANCE_LINE_RECORD)
def call_list(request: HttpRequest) -> HttpResponse:
    """Search the information line's calls by words, school, dates, concern and route
    advised, a page at a time."""
    form, filters = _call_filters(request)
    found = [] if form.errors else selectors.call_list(user=request.user, filters=filters)
    page, query = page_of(request, found)
    context = {"form": form, "page": page, "calls": page.object_list, "query": query}
    return render(request, "guidance/call_list.html", context)


@require_http_methods(GET)
@permission_required(Permission.GUIDANCE_LINE_RECORD)
def call_download(request: HttpRequest) -> HttpResponse:
    """The calls the search finds (every page), as CSV or XLSX; audited."""
    fmt = download_format(request.GET.get("format"))
    form, filters = _call_filters(request)
    if form.is_bound and not form.is_valid():
        return back_to_list(request, "guidance:call_list")
    calls = selectors.call_download(user=request.user, filters=filters, fmt=fmt)
    frame = table_frame(
        CALL_COLUMNS,
        (
            (
                timezone.localtime(call.called_at).replace(tzinfo=None),
                call.school.name,
                call.school.urn,
                call.get_category_display(),
                call.get_advice_route_display(),
                call.minutes,
            )
            for call in calls
        ),
    )
    return table_download(frame, stem="information-line-calls", fmt=fmt, title="Calls")


@require_http_methods(GET_POST)
@permission_required(Permission.GUIDANCE_LINE_RECORD)
def call_create(request: HttpRequest) -> HttpResponse:
    """Record a call; identifying details in the text are shown before anything is saved."""
    form = CallForm(
        request.POST or None,
        schools=_schools(request, Permission.GUIDANCE_LINE_RECORD),
        initial={
            "called_on": timezone.localdate(),
            "called_time": timezone.localtime().strftime("%H:%M"),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            call = services.line_call_create(
                school=data["school"],
                caller_role=data["caller_role"],
                called_at=data["called_at"],
                category=data["category"],
                advice_route=Route(data["advice_route"]),
                minutes=data["minutes"],
                advice=data["advice"],
                follow_up=data["follow_up"],
                confirmed=data["confirm"],
                by=request.user,
            )
        except IdentifyingDetailsFound as found:
            form.show_findings(found.findings)
        else:
            messages.success(request, MSG_CALL_SAVED)
            return redirect("guidance:call_detail", pk=call.pk)
    return render(request, "guidance/call_form.html", {"form": form})


@require_http_methods(GET)
@permission_required(Permission.GUIDANCE_LINE_RECORD)
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One call, and the school's front-door contacts in the following days."""
    call = selectors.call_get(user=request.user, pk=pk)
    if call is None:
        raise Http404
    context = {
        "call": call,
        "contacts": selectors.later_contacts(call),
        "days": selectors.FOLLOW_UP_DAYS,
    }
    return render(request, "guidance/call_detail.html", context)


@require_http_methods(GET)
@permission_required(Permission.GUIDANCE_MANAGE)
def summary(request: HttpRequest) -> HttpResponse:
    """Non-urgent contacts avoided, and calls followed by a contact, by route advised."""
    authorities = selectors.authorities_for(request.user, Permission.GUIDANCE_MANAGE)
    context = {
        "avoided": selectors.avoided_counts(authorities),
        "routes": selectors.call_summary(authorities),
        "days": selectors.FOLLOW_UP_DAYS,
    }
    return render(request, "guidance/summary.html", context)
