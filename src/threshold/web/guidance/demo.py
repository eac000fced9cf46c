"""Demo guidance for `seed_demo`: Northmoor's threshold document (version 1 published by the
LA lead, and a draft with one change waiting), a few pathway outcomes recorded by the DSL of
Northmoor Academy, and calls to the DSL information line taken by the SSW. Eastvale has no
LA lead among the demo users, so no document. Running it again adds only what is missing."""

from __future__ import annotations

import copy
import datetime as dt

from django.utils import timezone

from threshold.web.accounts.models import User
from threshold.web.guidance.content import EXAMPLE
from threshold.web.guidance.models import (
    CallerRole,
    ConcernCategory,
    InformationLineCall,
    PathwayOutcome,
    ThresholdDocument,
)
from threshold.web.guidance.pathway import NO, NOT_SURE, YES, Route
from threshold.web.guidance.services import (
    document_publish,
    document_save_draft,
    line_call_create,
    pathway_outcome_record,
)
from threshold.web.organisations.models import LocalAuthority, School

MSG_DOCUMENT = "published the demo threshold document for {authority} (and a draft change)"
MSG_OUTCOMES = "recorded {count} demo pathway outcomes for {school}"
MSG_CALLS = "recorded {count} demo information-line calls"
MSG_SKIPPED = "demo guidance: {what} exists already or its users are missing; left as it is"

OUTCOMES = (
    ({"danger": NO, "harm": NO, "services": NO, "school": YES}, Route.EARLY_HELP, False),
    ({"danger": NO, "harm": NO, "services": NO, "school": NO}, Route.FIS, False),
    ({"danger": NO, "harm": NOT_SURE}, Route.CONSULTATION, False),
    ({"danger": NO, "harm": NO, "services": YES}, Route.FRONT_DOOR, True),
)
"""(answers, route taken, contacted the front door) of each demo outcome."""
CALLS = (
    (990001, 3, ConcernCategory.THRESHOLD, Route.EARLY_HELP, 12, "Talked through the levels."),
    (990002, 10, ConcernCategory.ATTENDANCE, Route.FIS, 8, "Signposted local family support."),
    (990002, 20, ConcernCategory.ABUSE, Route.FRONT_DOOR, 15, "Advised a contact today."),
    (991001, 6, ConcernCategory.MENTAL_HEALTH, Route.EARLY_HELP, 20, "Early help assessment."),
)
"""(school URN, days ago, concern, route advised, minutes, advice) of each demo call."""


def _document(lead: User, authority: LocalAuthority) -> list[str]:
    if ThresholdDocument.objects.filter(authority=authority).exists():
        return [MSG_SKIPPED.format(what=f"{authority.name}'s document")]
    document_save_draft(authority=authority, content=EXAMPLE, by=lead)
    document_publish(authority=authority, by=lead)
    changed = copy.deepcopy(EXAMPLE)
    changed["services"][2]["contact"] = "01632 960150, weekdays 8:30am to 5pm"
    document_save_draft(authority=authority, content=changed, by=lead)
    return [MSG_DOCUMENT.format(authority=authority.name)]


def seed_demo_guidance() -> list[str]:
    """Add the demo document, outcomes and calls that are missing; a line for each step."""
    users = {
        u.username: u for u in User.objects.filter(username__in=("la.lead", "dsl.lead", "ssw"))
    }
    authority = LocalAuthority.objects.filter(la_code="990").first()
    school = School.objects.filter(urn=990001).first()
    if len(users) < 3 or authority is None or school is None:
        return [MSG_SKIPPED.format(what="everything")]
    lines = _document(users["la.lead"], authority)
    if PathwayOutcome.objects.filter(school=school).exists():
        lines.append(MSG_SKIPPED.format(what="pathway outcomes"))
    else:
        for answers, taken, contacted in OUTCOMES:
            pathway_outcome_record(
                school=school,
                answers=answers,
                route_taken=taken,
                contacted_front_door=contacted,
                by=users["dsl.lead"],
            )
        lines.append(MSG_OUTCOMES.format(count=len(OUTCOMES), school=school.name))
    if InformationLineCall.objects.exists():
        lines.append(MSG_SKIPPED.format(what="information-line calls"))
        return lines
    now = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    for urn, days_ago, category, route, minutes, advice in CALLS:
        line_call_create(
            school=School.objects.get(urn=urn),
            caller_role=CallerRole.DSL_LEAD,
            called_at=now - dt.timedelta(days=days_ago),
            category=category,
            advice_route=route,
            minutes=minutes,
            advice=advice,
            follow_up="",
            confirmed=(),
            by=users["ssw"],
        )
    lines.append(MSG_CALLS.format(count=len(CALLS)))
    return lines
