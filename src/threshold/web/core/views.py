"""Home (one page that shows each role its places and what it can do) and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from threshold.web.accounts.permissions import Permission
from threshold.web.accounts.roles import RoleName, Scope
from threshold.web.accounts.selectors import confirmed_device, membership_list
from threshold.web.core.context_processors import may_follow

EVERYWHERE = "all local authorities and schools"
PLACES_LABEL = {
    Scope.GLOBAL: "Where",
    Scope.AUTHORITY: "Local authorities",
    Scope.SCHOOL: "Schools",
}
LINKS = (
    (Permission.AUDIT_VIEW, "audit:event_list", "Read the audit log"),
    (Permission.PROGRAMME_MANAGE, "programme:programme_list", "Run the supervision programme"),
    (Permission.SUPERVISION_VIEW, "programme:school_list", "See the supervision schedule"),
    (
        Permission.SUPERVISION_VIEW,
        "supervision:session_list",
        "Write or read records of supervision, worksheets and reflections",
    ),
    (
        (Permission.PROGRAMME_MANAGE, Permission.SUPERVISION_RECORD),
        "programme:take_up",
        "Check take-up: schools with no session yet or overdue",
    ),
    (
        (Permission.PROGRAMME_MANAGE, Permission.SUPERVISION_RECORD),
        "programme:meeting_list",
        "Community-of-practice meetings",
    ),
    (
        (Permission.INSIGHTS_VIEW, Permission.INSIGHTS_SCHOOL_VIEW),
        "insights:index",
        "See the front-door dashboard: contacts, NFA and referrals by school",
    ),
    (Permission.SURVEY_RESULTS_VIEW, "surveys:wave_list", "Follow survey response rates"),
    (Permission.SURVEY_RESPOND, "surveys:invitations", "Answer the DSL surveys"),
    (
        Permission.GUIDANCE_VIEW,
        "guidance:index",
        "DSL guidance: threshold document, where should this go?, information line",
    ),
)
"""(permission, or a tuple of which any will do; URL name; text) of the home page's links;
each shown to those who may follow it."""


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    roles: dict[RoleName, dict[str, object]] = {}
    for membership in membership_list(user=request.user):
        role = membership.role_class
        entry = roles.setdefault(
            role.name,
            {
                "label": role.name.label,
                "summary": role.summary,
                "places_label": PLACES_LABEL[role.scope],
                "places": [],
            },
        )
        entry["places"].append(membership.school or membership.authority or EVERYWHERE)
    links = [
        {"href": reverse(name), "text": text}
        for permission, name, text in LINKS
        if may_follow(request.user, permission)
    ]
    context = {
        "roles": list(roles.values()),
        "links": links,
        "has_device": confirmed_device(request.user) is not None,
        "setup_href": reverse("accounts:two_factor_setup"),
    }
    return render(request, "core/home.html", context)


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """200 with {"status": "ok"} when the database answers; 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
