"""Demo supervision content for `seed_demo`: a record of supervision for each held session, a
first-session sheet per school with a held session, some ad hoc support and need and engagement
scores. Written through the services, by each school's SSW; adds only what is missing."""

from __future__ import annotations

import datetime as dt

from threshold.model import AdHocChannel, AdHocTopic, Arm, SessionStatus
from threshold.web.programme.models import Enrolment, SupervisionSession
from threshold.web.supervision.models import (
    AdHocSupport,
    DeliveryRating,
    FirstSessionSheet,
    Initiator,
    SupervisionRecord,
    Term,
    Theme,
)
from threshold.web.supervision.services import (
    ad_hoc_support_create,
    delivery_rating_save,
    first_session_sheet_save,
    supervision_record_save,
)

MSG_RECORDS = (
    "supervision demo: added {records} records of supervision, {sheets} first-session sheets, "
    "{support} episodes of ad hoc support and {ratings} schools' scores"
)
DEMO_RECORD = {
    "wellbeing": "Members described a busy half term; one felt the role was isolating.",
    "presentation": (
        "A member brought a worry about a Year 10 pupil whose attendance had dropped and who "
        "seemed withdrawn; no case is open to children's social care."
    ),
    "group_reflection": (
        "The group wondered what might lie behind the change, what the pupil's voice would "
        "say, and who else in school knows the family well."
    ),
    "shared_discussion": (
        "The presenter said the questions helped them see an early help conversation with "
        "the family as a first step; all discussed how to open it."
    ),
    "resources": "The LA's continuum of need; the Early Help assessment guidance.",
    "actions": "The SSW to send the continuum of need after the session.",
}
DEMO_THEMES = (Theme.ATTENDANCE, Theme.EARLY_HELP, Theme.THRESHOLDS)
DEMO_SHEET = {
    "team_roles": "Lead DSL (deputy head), two deputy DSLs (heads of year), the SENCO.",
    "hopes": "Time to think about complex situations together, and confidence with thresholds.",
    "ground_rules": "No names or identifying details; cases open to social care not discussed.",
    "practicalities": "Tuesdays after school, in the library, every five to six weeks.",
}


def seed_demo_supervision() -> list[str]:
    """Add the demo content that is missing; a line saying what was added."""
    added = {"records": 0, "sheets": 0, "support": 0, "ratings": 0}
    held = SupervisionSession.objects.filter(status=SessionStatus.HELD).select_related(
        "enrolment__school__authority", "ssw"
    )
    for session in held.order_by("scheduled_for"):
        if not SupervisionRecord.objects.filter(session=session).exists():
            supervision_record_save(
                session=session,
                **DEMO_RECORD,
                themes=DEMO_THEMES,
                no_open_case_confirmed=True,
                by=session.ssw,
            )
            added["records"] += 1
        if not FirstSessionSheet.objects.filter(enrolment=session.enrolment).exists():
            first_session_sheet_save(enrolment=session.enrolment, **DEMO_SHEET, by=session.ssw)
            added["sheets"] += 1
    enrolments = Enrolment.objects.filter(
        arm=Arm.TREATMENT, ssw__isnull=False, sessions__status=SessionStatus.HELD
    ).distinct()
    for enrolment in enrolments.select_related("school__authority", "programme", "ssw"):
        if not AdHocSupport.objects.filter(enrolment=enrolment).exists():
            ad_hoc_support_create(
                enrolment=enrolment,
                support_date=enrolment.programme.starts_on + dt.timedelta(days=40),
                channel=AdHocChannel.EMAIL,
                initiated_by=Initiator.SSW,
                topic=AdHocTopic.PROCESS,
                duration_minutes=20,
                by=enrolment.ssw,
            )
            added["support"] += 1
        if not DeliveryRating.objects.filter(enrolment=enrolment).exists():
            delivery_rating_save(
                enrolment=enrolment,
                term=Term.AUTUMN,
                need=1 + enrolment.school.urn % 4,
                engagement=None,
                by=enrolment.ssw,
            )
            added["ratings"] += 1
    return [MSG_RECORDS.format(**added)]
