"""Demo surveys for `seed_demo`: a baseline survey of Northmoor's programme, open now, with
answers from both treatment schools and none from the control school, so the response
monitor warns of differential response. The demo DSL (`dsl.lead`) has not answered: their
link is on "Your surveys". Adds nothing if the survey exists."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from threshold.model import DslExperience, SurveyRole, SurveyWave, WarrAnswer
from threshold.surveys import WARR_FEELINGS, Confidence
from threshold.web.audit.services import Actor
from threshold.web.organisations.models import School
from threshold.web.programme.models import Programme
from threshold.web.surveys.models import Respondent, Wave
from threshold.web.surveys.services import respondent_add, response_submit, wave_create

DEMO_LA = "990"
MSG_CREATED = "surveys demo: a baseline survey for {programme}, {responses} responses"
MSG_EXISTS = "surveys demo: {programme} has a baseline survey already: left as it is"
MSG_NO_PROGRAMME = "surveys demo: no Northmoor programme, so no survey"
NO_ACCOUNT = (
    (990002, SurveyRole.LEAD_DSL),
    (990002, SurveyRole.DEPUTY_DSL),
    (990003, SurveyRole.LEAD_DSL),
)
"""People without an account who are given a token: (school URN, role)."""
ANSWERS = {
    **{f"warr_{feeling}": WarrAnswer.SOME_OF_THE_TIME.value for feeling in WARR_FEELINGS},
    "warr_tense": WarrAnswer.MOST_OF_THE_TIME.value,
    "confidence": Confidence.FAIRLY.value,
    "dsl_experience": DslExperience.YEARS_3_4.value,
}


def seed_demo_surveys(*, by: Actor) -> list[str]:
    """Create the demo baseline survey and its answers, unless it exists; a line saying so."""
    programme = Programme.objects.filter(authority__la_code=DEMO_LA).order_by("-school_year")
    programme = programme.first()
    if programme is None:
        return [MSG_NO_PROGRAMME]
    if Wave.objects.filter(programme=programme, wave=SurveyWave.BASELINE).exists():
        return [MSG_EXISTS.format(programme=programme)]
    today = timezone.localdate()
    wave, _ = wave_create(
        programme=programme,
        wave=SurveyWave.BASELINE,
        opens_on=today - dt.timedelta(days=7),
        closes_on=today + dt.timedelta(days=21),
        by=by,
    )
    for urn, role in NO_ACCOUNT:
        respondent_add(school=School.objects.get(urn=urn), role=role, by=by)
    answering = [
        *Respondent.objects.filter(school__urn=990001, user__username="dsl.deputy"),
        *Respondent.objects.filter(school__urn=990003),
    ]
    for respondent in answering:
        response_submit(respondent=respondent, wave=wave, answers=ANSWERS)
    return [MSG_CREATED.format(programme=programme, responses=len(answering))]
