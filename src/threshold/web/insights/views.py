"""Front-door pages: the LA dashboard, a school's dashboard, importing an LA export (LA
analysts), an import's result, and the quarantine (LA analysts: child-level, audited)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from threshold.frontdoor import Profile, load_profile
from threshold.model import InputError
from threshold.web.accounts.authorisation import has_permission
from threshold.web.accounts.decorators import permission_required
from threshold.web.accounts.permissions import Permission
from threshold.web.core.context_processors import may_follow
from threshold.web.insights import selectors
from threshold.web.insights.charts import bar_chart
from threshold.web.insights.forms import ImportForm
from threshold.web.insights.models import FrontDoorImport
from threshold.web.insights.services import FrontDoorError, frontdoor_import
from threshold.web.organisations.models import LocalAuthority, School

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
MSG_IMPORT_FAILED = "Nothing was imported: {reason}"
IMPORT_INTRO = (
    "Every record is either loaded or quarantined with the reason; re-importing the same file "
    "changes nothing. Child identifiers are pseudonymised as the file is read."
)


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


@require_GET
@permission_required(Permission.INSIGHTS_VIEW)
def authority_dashboard(request: HttpRequest, la_code: str) -> HttpResponse:
    authority = _authority_for(request, la_code, Permission.INSIGHTS_VIEW)
    year, years = _school_year(request, authority)
    fresh = selectors.freshness(authority)
    figures = selectors.authority_figures(authority, year, until=fresh.latest_contact)
    sort = request.GET.get("sort", "name")
    sort = sort if sort in SORTABLE else "name"
    descending = request.GET.get("order") == "desc"
    table = figures.schools.sort_values(sort, ascending=not descending, na_position="last")
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
    context = {
        "authority": authority,
        "year": year,
        "years": years,
        "headers": headers,
        "rows": table.astype(object).where(table.notna(), None).to_dict("records"),
        "totals": {name: int(figures.schools[name].sum()) for name in CHART_SERIES},
        "chart": chart,
        "month_rows": month_rows,
        "freshness": fresh,
        "can_import": has_permission(
            request.user, Permission.FRONTDOOR_IMPORT, authority=authority
        ),
    }
    return render(request, "insights/authority.html", context)


@require_GET
@login_required
def school_dashboard(request: HttpRequest, urn: int) -> HttpResponse:
    if not may_follow(request.user, VIEWERS):
        raise PermissionDenied
    school = get_object_or_404(School.objects.select_related("authority"), urn=urn)
    if not selectors.can_view_school(request.user, school):
        raise PermissionDenied
    year, years = _school_year(request, school.authority)
    fresh = selectors.freshness(school.authority)
    figures = selectors.authority_figures(school.authority, year, until=fresh.latest_contact)
    comparisons, group = selectors.school_comparison(figures, school)
    chart, month_rows = _months_chart("school-months", selectors.school_months(figures, school))
    selectors.record_school_view(school=school, school_year=year, by=request.user)
    own = figures.schools[figures.schools["urn"] == school.urn].iloc[0]
    own = own.astype(object).where(own.notna(), None).to_dict()
    context = {
        "school": school,
        "year": year,
        "years": years,
        "own": own,
        "comparisons": comparisons,
        "group": group,
        "chart": chart,
        "month_rows": month_rows,
        "freshness": fresh,
        "la_view": has_permission(request.user, Permission.INSIGHTS_VIEW, school=school),
    }
    return render(request, "insights/school.html", context)


def _saved(upload: UploadedFile, directory: Path) -> Path:
    path = directory / (Path(upload.name or "export").name or "export")
    with path.open("wb") as target:
        for chunk in upload.chunks():
            target.write(chunk)
    return path


@require_http_methods(["GET", "POST"])
@permission_required(Permission.FRONTDOOR_IMPORT)
def import_upload(request: HttpRequest, la_code: str) -> HttpResponse:
    authority = _authority_for(request, la_code, Permission.FRONTDOOR_IMPORT)
    form = ImportForm(request.POST or None, request.FILES or None)
    if form.is_valid():
        with tempfile.TemporaryDirectory() as directory:
            folder = Path(directory)
            path = _saved(form.cleaned_data["file"], folder)
            try:
                record = frontdoor_import(
                    authority=authority,
                    path=path,
                    format=form.cleaned_data["format"],
                    profile=_profile(form.cleaned_data["profile"], folder / "profile"),
                    by=request.user,
                )
            except (FrontDoorError, InputError) as error:
                form.add_error("file", MSG_IMPORT_FAILED.format(reason=error))
            else:
                return redirect("insights:import_detail", pk=record.pk)
    context = {
        "form": form,
        "authority": authority,
        "intro": IMPORT_INTRO,
        "imports": selectors.import_list(authority),
        "back": reverse("insights:authority", kwargs={"la_code": authority.la_code}),
    }
    return render(request, "insights/import.html", context)


def _profile(upload: UploadedFile | None, directory: Path) -> Profile | None:
    """The uploaded profile, read and checked (None when none was uploaded)."""
    if upload is None:
        return None
    directory.mkdir()
    return load_profile(_saved(upload, directory))


@require_GET
@permission_required(Permission.FRONTDOOR_IMPORT)
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(FrontDoorImport.objects.select_related("authority"), pk=pk)
    if not has_permission(request.user, Permission.FRONTDOOR_IMPORT, authority=record.authority):
        raise PermissionDenied
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
