"""Home (one page that shows each role its places and what it can do), the health check, and
the service's own pages (help, accessibility, privacy, cookies), which need no sign-in."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.messages.storage.cookie import CookieStorage
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
from threshold.web.core.due import due_list
from threshold.web.organisations.selectors import help_authority

EVERYWHERE = "all local authorities and schools"
PLACES_LABEL = {
    Scope.GLOBAL: "Where",
    Scope.AUTHORITY: "Local authorities",
    Scope.SCHOOL: "Schools",
}
LINKS = (
    (Permission.AUDIT_VIEW, "audit:event_list", "Read the audit log"),
    (
        Permission.USERS_MANAGE,
        "people:person_list",
        "Manage people: invite them, change their roles, deactivate accounts",
    ),
    (
        (Permission.ORGANISATIONS_MANAGE, Permission.AUTHORITY_SETTINGS_EDIT),
        "organisations:authority_list",
        "Local authorities: their schools, front door, help and audit contacts",
    ),
    (Permission.JOBS_VIEW, "jobs:failed", "See background jobs that failed, with their errors"),
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
    (
        Permission.TRIALS_VIEW,
        "trials:trial_list",
        "Trials: protocol, randomisation, trial health, analysis and de-identified data",
    ),
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
        "due": due_list(user=request.user),
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


@require_GET
def help_page(request: HttpRequest) -> HttpResponse:
    """Help and contact: the person's LA's help contact and front door where they belong to one
    LA, else the service's."""
    context = {
        "authority": help_authority(request.user),
        "service_contact": settings.HELP_CONTACT,
    }
    return render(request, "core/help.html", context)


@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "core/accessibility.html")


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "core/privacy.html")


@require_GET
def cookies(request: HttpRequest) -> HttpResponse:
    """The cookies the service sets, named as the settings name them."""
    context = {
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "session_minutes": settings.SESSION_COOKIE_AGE // 60,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "csrf_days": settings.CSRF_COOKIE_AGE // (24 * 60 * 60),
        "messages_cookie": CookieStorage.cookie_name,
    }
    return render(request, "core/cookies.html", context)
