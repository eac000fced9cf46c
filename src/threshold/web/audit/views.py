"""The audit log viewer: events in the LAs where the viewer holds AUDIT_VIEW."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from threshold.web.accounts.decorators import permission_required
from threshold.web.accounts.permissions import Permission
from threshold.web.accounts.selectors import authorities_where
from threshold.web.audit.forms import AuditFilterForm
from threshold.web.audit.selectors import AuditFilters, audit_event_list
from threshold.web.audit.services import audit_read
from threshold.web.core.exports import download_format, table_download, table_frame
from threshold.web.core.lists import page_of
from threshold.web.organisations.selectors import authority_list

PAGE_SIZE = 50
DOWNLOAD_MAX = 100_000
"""The most events one download holds: narrow the filters (dates, say) for more."""
MSG_TOO_MANY = (
    "{count:,} events match: a download holds at most {limit:,}. Narrow the dates or the other "
    "filters, then download again."
)
COLUMNS = ("#", "When", "Who", "What happened", "Record", "Where")
"""The download's columns, headed as on the page."""


@require_GET
@permission_required(Permission.AUDIT_VIEW)
def event_list(request: HttpRequest) -> HttpResponse:
    """List, filter and page through audit events; the viewing itself is audited."""
    form, filters, data, where = _filters(request)
    page, query = page_of(request, audit_event_list(filters=filters), PAGE_SIZE)
    audit_read(
        by=request.user,
        object_type="audit.auditevent",
        authority_code=where,
        detail={
            "page": page.number,
            "filters": {k: str(v) for k, v in data.items() if v},
            "events": [event.sequence for event in page],
        },
    )
    return render(request, "audit/event_list.html", {"form": form, "page": page, "query": query})


def _filters(request: HttpRequest) -> tuple[AuditFilterForm, AuditFilters, dict, str]:
    """The audit log's filters, for the list and its download alike (the same scope): the
    form, the filters, the cleaned data and the LA code to record the reading under."""
    visible = authorities_where(request.user, Permission.AUDIT_VIEW)  # None: everywhere
    choices = [(la.la_code, la.name) for la in (authority_list() if visible is None else visible)]
    form = AuditFilterForm(request.GET or None, authorities=choices)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    chosen = data.get("authority") or ""
    codes = None if visible is None else [code for code, _ in choices]
    filters = AuditFilters(
        authority_codes=[chosen] if chosen else codes,
        action=data.get("action") or "",
        actor=data.get("actor") or "",
        object_type=data.get("object_type") or "",
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    )
    where = chosen if chosen else (codes[0] if codes and len(codes) == 1 else "")
    return form, filters, data, where


@require_GET
@permission_required(Permission.AUDIT_VIEW)
def event_download(request: HttpRequest) -> HttpResponse:
    """The events the list shows for its filters (every page, newest first) as CSV or XLSX,
    for those who may read the log, in the same scope; the download itself is audited."""
    fmt = download_format(request.GET.get("format"))
    form, filters, data, where = _filters(request)
    back = request.GET.copy()
    back.pop("format", None)
    back_url = f"{reverse('audit:event_list')}?{back.urlencode()}"
    if form.is_bound and not form.is_valid():
        return redirect(back_url)
    events = audit_event_list(filters=filters)
    count = events.count()
    if count > DOWNLOAD_MAX:
        messages.error(request, MSG_TOO_MANY.format(count=count, limit=DOWNLOAD_MAX))
        return redirect(back_url)
    rows = [
        (
            event.sequence,
            timezone.localtime(event.occurred_at).replace(tzinfo=None),
            event.actor,
            event.get_action_display(),
            f"{event.object_type} {event.object_id}".strip(),
            f"{event.authority_code} / {event.school_urn}"
            if event.school_urn
            else event.authority_code,
        )
        for event in events.iterator()
    ]
    audit_read(
        by=request.user,
        object_type="audit.auditevent",
        authority_code=where,
        detail={
            "download": "audit log",
            "format": fmt,
            "filters": {k: str(v) for k, v in data.items() if v},
            "rows": len(rows),
            "events": [rows[-1][0], rows[0][0]] if rows else [],
        },
    )
    return table_download(table_frame(COLUMNS, rows), stem="audit-log", fmt=fmt, title="Audit log")
