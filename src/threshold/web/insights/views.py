"""Front-door pages: the LA dashboard, a school's dashboard, importing an LA export (LA
analysts: uploaded, then imported by a background job whose progress is shown), an import's
result, and the quarantine (LA analysts: child-level, audited)."""

from __future__ import annotations

from typing import TypeVar

import pandas as pd
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from django_tasks import TaskResultStatus

from threshold.web.accounts.authorisation import has_permission
from threshold.web.accounts.decorators import permission_required
from threshold.web.accounts.permissions import Permission
from threshold.web.core.context_processors import may_follow
from threshold.web.core.exports import download_format, table_download, table_frame
from threshold.web.core.lists import page_of
from threshold.web.insights import selectors
from threshold.web.insights.charts import bar_chart
from threshold.web.insights.figures_cache import FIGURES_SECONDS, figures_key, kept
from threshold.web.insights.filters import ImportFilterForm
from threshold.web.insights.forms import ImportForm
from threshold.web.insights.models import FrontDoorImport, ImportJob
from threshold.web.insights.services import import_job_create
from threshold.web.jobs.selectors import job_status
from threshold.web.organisations.models import LocalAuthority, School

Importable = TypeVar("Importable", FrontDoorImport, ImportJob)
VIEWERS = (Permission.INSIGHTS_VIEW, Permission.INSIGHTS_SCHOOL_VIEW)
SORTABLE = {
    "name": "School",
    "pupils_on_roll": "Pupils",
    "pct_fsm": "% FSM",
    "contacts": "Contacts",
    "nfa_contacts": "Ending in NFA",
    "nfa_rate": "NFA rate",
    "non_urgent_contacts": "Non-urgent",
    "referrals": "Referrals",
    "nfa_contacts_per_100": "NFA per 100 pupils",
}
CHART_SERIES = {
    "contacts": "Contacts",
    "nfa_contacts": "Ending in NFA",
    "non_urgent_contacts": "Non-urgent",
    "referrals": "Referrals",
}
MONTH_FORMAT = "%b %Y"
SCHOOL_COLUMNS = (
    "School",
    "URN",
    "Pupils",
    "% FSM",
    "Contacts",
    "Ending in NFA",
    "NFA rate (%)",
    "Non-urgent",
    "Referrals",
    "NFA per 100 pupils",
)
MONTH_COLUMNS = ("Month", "Contacts", "Ending in NFA", "Non-urgent", "Referrals")
COMPARISON_COLUMNS = (
    "Measure (per 100 pupils on roll)",
    "Your school",
    "Similar schools: middle (median)",
    "Middle half of similar schools: from",
    "Middle half of similar schools: to",
    "Similar schools",
)
IMPORT_COLUMNS = ("When", "File", "Format", "By", "Status", "Records", "Quarantined")
"""The downloads' columns, headed as on the pages."""
IMPORT_INTRO = (
    "Every record is either loaded or quarantined with the reason; re-importing the same file "
    "changes nothing. Child identifiers are pseudonymised as the file is read. The import runs "
    "in the background: you will see its progress, and get an e-mail when it ends."
)
STAGES = {
    TaskResultStatus.READY: ("Waiting to start", "govuk-tag--grey"),
    TaskResultStatus.RUNNING: ("Importing: reading, linking and loading", "govuk-tag--blue"),
    TaskResultStatus.SUCCESSFUL: ("Finished", "govuk-tag--green"),
    TaskResultStatus.FAILED: ("Failed", "govuk-tag--red"),
}
"""A job's status as the progress page names it, and the colour of its tag."""


def _authority_for(request: HttpRequest, la_code: str, permission: Permission) -> LocalAuthority:
    authority = get_object_or_404(LocalAuthority, la_code=la_code)
    if not has_permission(request.user, permission, authority=authority):
        raise PermissionDenied
    return authority


def _school_year(request: HttpRequest, authority: LocalAuthority) -> tuple[str, list[str]]:
    years = selectors.school_years_with_data(authority, timezone.localdate())
    chosen = request.GET.get("year", "")
    return (chosen if chosen in years else years[0]), years


def _months_chart(key: str, months: pd.DataFrame) -> tuple[object, list[dict[str, object]]]:
    labels = [pd.Timestamp(day).strftime(MONTH_FORMAT) for day in months["start"]]
    series = {text: months[name].tolist() for name, text in CHART_SERIES.items()}
    chart = bar_chart(key=key, title="By month", labels=labels, series=series)
    rows = [
        {"month": label, **{name: int(months[name].iloc[i]) for name in CHART_SERIES}}
        for i, label in enumerate(labels)
    ]
    return chart, rows


@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The dashboards this user may open."""
    if not may_follow(request.user, VIEWERS):
        raise PermissionDenied
    context = {
        "authorities": selectors.insight_authorities(request.user),
        "schools": selectors.insight_schools(request.user),
        "can_import": has_permission(request.user, Permission.FRONTDOOR_IMPORT),
    }
    return render(request, "insights/index.html", context)


def _sort(request: HttpRequest) -> tuple[str, bool]:
    """The schools table's column to sort by (`sort`) and whether descending (`order`)."""
    sort = request.GET.get("sort", "name")
    return (sort if sort in SORTABLE else "name"), request.GET.get("order") == "desc"


def _sorted_schools(figures: selectors.Figures, sort: str, descending: bool) -> pd.DataFrame:
    return figures.schools.sort_values(sort, ascending=not descending, na_position="last")


def _authority_page(figures: selectors.Figures, sort: str, descending: bool) -> dict[str, object]:
    """The LA dashboard's table of schools (sorted), totals and chart by month."""
    table = _sorted_schools(figures, sort, descending)
    headers = [
        {
            "key": key,
            "text": text,
            "sort": ("descending" if descending else "ascending") if key == sort else "none",
            "order": "asc" if key == sort and descending else "desc" if key == sort else "asc",
        }
        for key, text in SORTABLE.items()
    ]
    chart, month_rows = _months_chart("la-months", selectors.authority_months(figures))
    return {
        "headers": headers,
        "rows": table.astype(object).where(table.notna(), None).to_dict("records"),
        "totals": {name: int(figures.schools[name].sum()) for name in CHART_SERIES},
        "chart": chart,
        "month_rows": month_rows,
    }


@require_GET
@permission_required(Permission.INSIGHTS_VIEW)
def authority_dashboard(request: HttpRequest, la_code: str) -> HttpResponse:
    authority = _authority_for(request, la_code, Permission.INSIGHTS_VIEW)
    year, years = _school_year(request, authority)
    fresh = selectors.freshness(authority)
    figures = selectors.authority_figures(authority, year, until=fresh.latest_contact)
    sort, descending = _sort(request)
    key = figures_key(figures.key, "authority page", sort, descending)
    context = {
        "authority": authority,
        "year": year,
        "years": years,
        **kept(key, lambda: _authority_page(figures, sort, descending)),
        "page_key": key,
        "figures_seconds": FIGURES_SECONDS,
        "freshness": fresh,
        "can_import": has_permission(
            request.user, Permission.FRONTDOOR_IMPORT, authority=authority
        ),
    }
    return render(request, "insights/authority.html", context)


def _school_page(figures: selectors.Figures, school: School) -> dict[str, object]:
    """A school dashboard's own figures, comparison with similar schools and chart by month."""
    comparisons, group = selectors.school_comparison(figures, school)
    chart, month_rows = _months_chart("school-months", selectors.school_months(figures, school))
    own = figures.schools[figures.schools["urn"] == school.urn].iloc[0]
    return {
        "own": own.astype(object).where(own.notna(), None).to_dict(),
        "comparisons": comparisons,
        "group": group,
        "chart": chart,
        "month_rows": month_rows,
    }


@require_GET
@login_required
def school_dashboard(request: HttpRequest, urn: int) -> HttpResponse:
    school = _school_for(request, urn)
    year, years = _school_year(request, school.authority)
    fresh = selectors.freshness(school.authority)
    figures = selectors.authority_figures(school.authority, year, until=fresh.latest_contact)
    key = figures_key(figures.key, "school page", school.urn, school.authority.name)
    selectors.record_school_view(school=school, school_year=year, by=request.user)
    context = {
        "school": school,
        "year": year,
        "years": years,
        **kept(key, lambda: _school_page(figures, school)),
        "page_key": key,
        "figures_seconds": FIGURES_SECONDS,
        "freshness": fresh,
        "la_view": has_permission(request.user, Permission.INSIGHTS_VIEW, school=school),
    }
    return render(request, "insights/school.html", context)


def _optional(value: object, digits: int | None = None) -> object:
    """A cell of a download: missing values empty, rates rounded as the page shows them."""
    if value is None or pd.isna(value):
        return None
    if digits is None:
        return int(value)
    return round(float(value), digits)


def _school_row(row: dict[str, object]) -> tuple[object, ...]:
    contacts = row["contacts"]
    nfa_rate = row["nfa_contacts"] / contacts * 100 if contacts else None
    return (
        row["name"],
        int(row["urn"]),
        _optional(row["pupils_on_roll"]),
        _optional(row["pct_fsm"], 1),
        _optional(row["contacts"]),
        _optional(row["nfa_contacts"]),
        _optional(nfa_rate, 1),
        _optional(row["non_urgent_contacts"]),
        _optional(row["referrals"]),
        _optional(row["nfa_contacts_per_100"], 2),
    )


@require_GET
@permission_required(Permission.INSIGHTS_VIEW)
def authority_schools_download(request: HttpRequest, la_code: str) -> HttpResponse:
    """The LA dashboard's table of schools for the year chosen, sorted as on the page, as CSV
    or XLSX; audited."""
    authority = _authority_for(request, la_code, Permission.INSIGHTS_VIEW)
    fmt = download_format(request.GET.get("format"))
    year, figures = _year_figures(request, authority)
    table = _sorted_schools(figures, *_sort(request))
    rows = [_school_row(row) for row in table.to_dict("records")]
    selectors.record_download(
        by=request.user,
        what="front-door schools table",
        fmt=fmt,
        rows=len(rows),
        authority=authority,
        detail={"school_year": year},
    )
    return table_download(
        table_frame(SCHOOL_COLUMNS, rows),
        stem=f"front-door-schools-{authority.la_code}-{year.replace('/', '-')}",
        fmt=fmt,
        title=f"Schools {year}",
    )


def _months_download(
    request: HttpRequest,
    months: pd.DataFrame,
    *,
    authority: LocalAuthority,
    school: School | None,
    year: str,
    stem: str,
) -> HttpResponse:
    fmt = download_format(request.GET.get("format"))
    _, rows = _months_chart("download", months)
    body = [(r["month"], *(r[name] for name in CHART_SERIES)) for r in rows]
    selectors.record_download(
        by=request.user,
        what="front-door months table",
        fmt=fmt,
        rows=len(body),
        authority=authority,
        school=school,
        detail={"school_year": year},
    )
    return table_download(
        table_frame(MONTH_COLUMNS, body),
        stem=f"{stem}-{year.replace('/', '-')}",
        fmt=fmt,
        title=f"By month {year}",
    )


@require_GET
@permission_required(Permission.INSIGHTS_VIEW)
def authority_months_download(request: HttpRequest, la_code: str) -> HttpResponse:
    """The LA dashboard's table of all schools by month, as CSV or XLSX; audited."""
    authority = _authority_for(request, la_code, Permission.INSIGHTS_VIEW)
    year, figures = _year_figures(request, authority)
    return _months_download(
        request,
        selectors.authority_months(figures),
        authority=authority,
        school=None,
        year=year,
        stem=f"front-door-months-{authority.la_code}",
    )


def _year_figures(request: HttpRequest, authority: LocalAuthority) -> tuple[str, selectors.Figures]:
    """The school year asked for (the latest by default) and the LA's figures for it, up to
    its latest data."""
    year, _ = _school_year(request, authority)
    fresh = selectors.freshness(authority)
    return year, selectors.authority_figures(authority, year, until=fresh.latest_contact)


def _school_for(request: HttpRequest, urn: int) -> School:
    """The school whose dashboard the user may see (404 if none, else 403)."""
    if not may_follow(request.user, VIEWERS):
        raise PermissionDenied
    school = get_object_or_404(School.objects.select_related("authority"), urn=urn)
    if not selectors.can_view_school(request.user, school):
        raise PermissionDenied
    return school


@require_GET
@login_required
def school_months_download(request: HttpRequest, urn: int) -> HttpResponse:
    """A school dashboard's table by month, as CSV or XLSX; audited."""
    school = _school_for(request, urn)
    year, figures = _year_figures(request, school.authority)
    return _months_download(
        request,
        selectors.school_months(figures, school),
        authority=school.authority,
        school=school,
        year=year,
        stem=f"front-door-months-{school.urn}",
    )


@require_GET
@login_required
def school_comparison_download(request: HttpRequest, urn: int) -> HttpResponse:
    """A school dashboard's comparison with similar schools (per 100 pupils), as CSV or
    XLSX; audited. Like the page, it never names another school."""
    school = _school_for(request, urn)
    fmt = download_format(request.GET.get("format"))
    year, figures = _year_figures(request, school.authority)
    comparisons, group = selectors.school_comparison(figures, school)
    rows = [
        (
            c.label,
            _optional(c.value, 2),
            _optional(c.median, 2),
            _optional(c.lower, 2),
            _optional(c.upper, 2),
            group,
        )
        for c in comparisons
    ]
    selectors.record_download(
        by=request.user,
        what="front-door comparison table",
        fmt=fmt,
        rows=len(rows),
        authority=school.authority,
        school=school,
        detail={"school_year": year},
    )
    return table_download(
        table_frame(COMPARISON_COLUMNS, rows),
        stem=f"front-door-comparison-{school.urn}-{year.replace('/', '-')}",
        fmt=fmt,
        title=f"Compared {year}",
    )


def _import_filters(request: HttpRequest) -> tuple[ImportFilterForm, selectors.ImportFilters]:
    form = ImportFilterForm(request.GET or None)
    if not (form.is_bound and form.is_valid()):
        return form, selectors.ImportFilters()
    data = form.cleaned_data
    return form, selectors.ImportFilters(
        status=data["status"], date_from=data["date_from"], date_to=data["date_to"]
    )


@require_GET
@permission_required(Permission.INSIGHTS_VIEW)
def import_list(request: HttpRequest, la_code: str) -> HttpResponse:
    """The LA's imports (finished, running and failed), filtered by status and dates, a page
    at a time."""
    authority = _authority_for(request, la_code, Permission.INSIGHTS_VIEW)
    form, filters = _import_filters(request)
    rows = [] if form.errors else selectors.import_rows(authority, filters)
    page, query = page_of(request, rows)
    context = {
        "authority": authority,
        "form": form,
        "page": page,
        "query": query,
        "can_import": has_permission(
            request.user, Permission.FRONTDOOR_IMPORT, authority=authority
        ),
        "back": reverse("insights:authority", kwargs={"la_code": authority.la_code}),
    }
    return render(request, "insights/import_list.html", context)


@require_GET
@permission_required(Permission.INSIGHTS_VIEW)
def import_list_download(request: HttpRequest, la_code: str) -> HttpResponse:
    """The LA's imports as the list shows them (every page), as CSV or XLSX; audited."""
    authority = _authority_for(request, la_code, Permission.INSIGHTS_VIEW)
    fmt = download_format(request.GET.get("format"))
    form, filters = _import_filters(request)
    if form.is_bound and not form.is_valid():
        query = request.GET.copy()
        query.pop("format", None)
        url = reverse("insights:import_list", kwargs={"la_code": authority.la_code})
        return redirect(f"{url}?{query.urlencode()}")
    rows = [
        (
            timezone.localtime(row.when).replace(tzinfo=None),
            row.file_name,
            row.format,
            row.by,
            row.status.label,
            row.records,
            row.quarantined,
        )
        for row in selectors.import_rows(authority, filters)
    ]
    selectors.record_download(
        by=request.user,
        what="front-door imports",
        fmt=fmt,
        rows=len(rows),
        authority=authority,
        detail={"filters": filters.as_detail()},
    )
    return table_download(
        table_frame(IMPORT_COLUMNS, rows),
        stem=f"front-door-imports-{authority.la_code}",
        fmt=fmt,
        title="Imports",
    )


def _importable(request: HttpRequest, model: type[Importable], pk: int) -> Importable:
    """The import or import job `pk`, of an LA the user may import into (404, else 403)."""
    found = get_object_or_404(model.objects.select_related("authority"), pk=pk)
    if not has_permission(request.user, Permission.FRONTDOOR_IMPORT, authority=found.authority):
        raise PermissionDenied
    return found


@require_http_methods(["GET", "POST"])
@permission_required(Permission.FRONTDOOR_IMPORT)
def import_upload(request: HttpRequest, la_code: str) -> HttpResponse:
    authority = _authority_for(request, la_code, Permission.FRONTDOOR_IMPORT)
    form = ImportForm(request.POST or None, request.FILES or None)
    if form.is_valid():
        job = import_job_create(
            authority=authority,
            upload=form.cleaned_data["file"],
            format=form.cleaned_data["format"],
            profile=form.cleaned_data["profile"],
            site_url=request.build_absolute_uri("/"),
            by=request.user,
        )
        return redirect("insights:import_progress", pk=job.pk)
    context = {
        "form": form,
        "authority": authority,
        "intro": IMPORT_INTRO,
        "imports": selectors.import_list(authority),
        "jobs": selectors.open_import_jobs(authority),
        "back": reverse("insights:authority", kwargs={"la_code": authority.la_code}),
    }
    return render(request, "insights/import.html", context)


@require_GET
@permission_required(Permission.FRONTDOOR_IMPORT)
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """Where an uploaded import's job is; once it has imported, the import's result page."""
    job = _importable(request, ImportJob, pk)
    if job.record_id is not None:
        return redirect("insights:import_detail", pk=job.record_id)
    status = job_status(job.task_id)
    context = {
        "job": job,
        "stage": STAGES[status][0],
        "stage_colour": STAGES[status][1],
        "failed": status == TaskResultStatus.FAILED,
        "again": reverse("insights:import_upload", kwargs={"la_code": job.authority.la_code}),
    }
    return render(request, "insights/import_progress.html", context)


@require_GET
@permission_required(Permission.FRONTDOOR_IMPORT)
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = _importable(request, FrontDoorImport, pk)
    context = {
        "record": record,
        "parts": record.summary.get("parts", []),
        "queue": selectors.link_queue(record.authority).to_dict("records"),
        "can_see_quarantine": has_permission(
            request.user, Permission.CHILD_DATA_VIEW, authority=record.authority
        ),
    }
    return render(request, "insights/import_detail.html", context)


@require_GET
@permission_required(Permission.CHILD_DATA_VIEW)
def quarantine(request: HttpRequest, la_code: str) -> HttpResponse:
    authority = _authority_for(request, la_code, Permission.CHILD_DATA_VIEW)
    rows, total = selectors.quarantine_list(authority=authority, by=request.user)
    context = {"authority": authority, "rows": rows.to_dict("records"), "total": total}
    return render(request, "insights/quarantine.html", context)
