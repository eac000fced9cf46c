"""Trials' scheduled job: the weekly trial-health e-mail (in `threshold.web.jobs.schedules`)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django_tasks import task

from threshold.web.jobs.retries import retrying
from threshold.web.trials.health import trial_health_mail

ACTOR = "job:trial-health"
MSG_NO_SITE_URL = (
    "THRESHOLD_SITE_URL is not set: the weekly trial-health e-mail links to each trial's "
    "health page, so set it to the service's address (e.g. https://threshold.example.gov.uk)"
)


@task()
@retrying
def trial_health_mail_weekly() -> int:
    """E-mail this week's trial health (once a week per trial); how many messages were sent."""
    if not settings.SITE_URL:
        raise ImproperlyConfigured(MSG_NO_SITE_URL)
    run = trial_health_mail(today=timezone.localdate(), site_url=settings.SITE_URL, by=ACTOR)
    return run.messages
