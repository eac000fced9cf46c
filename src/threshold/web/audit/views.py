"""The audit log viewer: events in the LAs where the viewer holds AUDIT_VIEW."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from threshold.web.accounts.decorators import permission_required
from threshold.web.accounts.permissions import Permission
from threshold.web.accounts.selectors import authorities_where
from threshold.web.audit.forms import AuditFilterForm
from threshold.web.audit.selectors import AuditFilters, audit_event_list
from threshold.web.audit.services import audit_read
from threshold.web.organisations.selectors import authority_list

PAGE_SIZE = 50


@require_GET
@permission_required(Permission.AUDIT_VIEW)
def event_list(request: HttpRequest) -> HttpResponse:
    """List, filter and page through audit events; the viewing itself is audited."""
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
    page = Paginator(audit_event_list(filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    audit_read(
        by=request.user,
        object_type="audit.auditevent",
        authority_code=chosen if chosen else (codes[0] if codes and len(codes) == 1 else ""),
        detail={
            "page": page.number,
            "filters": {k: str(v) for k, v in data.items() if v},
            "events": [event.sequence for event in page],
        },
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/event_list.html", {"form": form, "page": page, "query": query})
