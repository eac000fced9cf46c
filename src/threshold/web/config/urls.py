"""Every URL of the service. tests/web/integration/test_authorisation_matrix.py lists each one's
expected status for every role, and fails when a pattern here has no entry there."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("", include("threshold.web.core.urls")),
    path("accounts/", include("threshold.web.accounts.urls")),
    path("audit/", include("threshold.web.audit.urls")),
    path("people/", include("threshold.web.people.urls")),
    path("organisations/", include("threshold.web.organisations.urls")),
    path("", include("threshold.web.programme.urls")),
    path("supervision/", include("threshold.web.supervision.urls")),
    path("insights/", include("threshold.web.insights.urls")),
    path("guidance/", include("threshold.web.guidance.urls")),
    path("jobs/", include("threshold.web.jobs.urls")),
    path("trials/", include("threshold.web.trials.urls")),
    path("", include("threshold.web.surveys.urls")),
    path("reminders/", include("threshold.web.reminders.urls")),
]
