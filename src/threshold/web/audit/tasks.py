"""The audit chain's background job: the nightly anchor (scheduled in
`threshold.web.jobs.schedules`)."""

from __future__ import annotations

from django_tasks import task

from threshold.web.audit.services import anchor_publish
from threshold.web.jobs.retries import retrying

ACTOR = "job:audit-anchor"


@task()
@retrying
def audit_anchor_publish() -> int | None:
    """Publish the chain's head; the anchor's sequence number (None: nothing to anchor yet)."""
    anchor = anchor_publish(by=ACTOR)
    return anchor.sequence if anchor is not None else None
