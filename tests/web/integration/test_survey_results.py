"""Survey results by arm: Warr scale scores by arm and wave (n, mean, t-based 95% interval)
checked against a direct computation, cells of fewer than 5 hidden with the total that would
give them away, scoped to the user's LA, linked from the wave pages, and an audited read."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from scipy import stats

from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.accounts.services import membership_grant, user_create
from threshold.web.audit.models import AuditEvent
from threshold.web.organisations.models import School
from threshold.web.programme.models import Enrolment, Programme
from threshold.web.surveys.models import Respondent, Response, Wave
from threshold.web.surveys.results import survey_results
from threshold.web.surveys.views import SUPPRESSED

ACTOR = "test"
SCORE = {
    "all_of_the_time": -2,
    "most_of_the_time": -1,
    "some_of_the_time": 0,
    "occasionally": 1,
    "never": 2,
}
ANSWERS = list(SCORE)
ANXIETY = ("tense", "worried", "uneasy")
DEPRESSION = ("depressed", "gloomy", "miserable")


@pytest.fixture
def programme(places: dict[str, object]) -> Programme:
    """Northmoor's programme: the home school in treatment, another school in control, with a
    baseline and an endline survey."""
    control = School.objects.create(
        urn=990002, name="St Bede's High School", authority=places["home_la"], phase="secondary"
    )
    programme = Programme.objects.create(
        authority=places["home_la"],
        school_year="2024/25",
        starts_on=dt.date(2024, 9, 2),
        ends_on=dt.date(2025, 7, 18),
    )
    for school, arm in ((places["home_school"], "treatment"), (control, "control")):
        Enrolment.objects.create(programme=programme, school=school, arm=arm)
    for wave, opens in (("baseline", dt.date(2024, 10, 1)), ("endline", dt.date(2025, 6, 2))):
        Wave.objects.create(
            programme=programme, wave=wave, opens_on=opens, closes_on=opens + dt.timedelta(30)
        )
    return programme


def answer(programme: Programme, school: School, n: int, *, seed: int, **blank: bool) -> None:
    """`n` people at `school` answer the baseline survey; answers vary with `seed`."""
    wave = programme.waves.get(wave="baseline")
    for i in range(n):
        respondent = Respondent.objects.create(
            token=f"R{school.urn}{seed}{i:03d}".ljust(16, "Z"), school=school, role="lead_dsl"
        )
        answers = {
            f"warr_{feeling}": ANSWERS[(i * (k + 2) + seed) % 5]
            for k, feeling in enumerate(ANXIETY + DEPRESSION)
        }
        if blank.get("tense") and i == 0:
            answers["warr_tense"] = ""
        Response.objects.create(
            respondent=respondent, wave=wave, submitted_on=dt.date(2024, 10, 9), **answers
        )


def direct(school: School, feelings: tuple[str, ...]) -> tuple[int, float, float, float]:
    """n, mean and the t 95% interval of a scale at the school, computed here."""
    scores = []
    for response in Response.objects.filter(respondent__school=school):
        values = [getattr(response, f"warr_{feeling}") for feeling in feelings]
        if all(values):
            scores.append(sum(SCORE[value] for value in values))
    mean = statistics.mean(scores)
    half = stats.t.ppf(0.975, len(scores) - 1) * statistics.stdev(scores) / math.sqrt(len(scores))
    return len(scores), mean, mean - half, mean + half


def cells(result: object, wave: str, scale: str) -> dict[str, object]:
    row = next(r for r in result.rows if r.wave == wave and r.scale == scale)
    return {cell.arm: cell for cell in row.cells}


def test_four_respondents_are_hidden_with_the_total_five_are_shown(
    programme: Programme, places: dict[str, object]
) -> None:
    treatment = places["home_school"]
    control = School.objects.get(urn=990002)
    answer(programme, treatment, 6, seed=1, tense=True)  # one misses an anxiety item
    answer(programme, control, 4, seed=2)
    result = survey_results(programme=programme, by=ACTOR)
    anxiety = cells(result, "baseline", "anxiety_contentment")
    n, mean, low, high = direct(treatment, ANXIETY)
    assert n == 5
    assert anxiety["treatment"].n == 5
    assert anxiety["treatment"].mean == pytest.approx(mean)
    assert (anxiety["treatment"].ci_low, anxiety["treatment"].ci_high) == pytest.approx((low, high))
    assert anxiety["control"].suppressed
    assert anxiety["control"].mean is None
    assert anxiety["total"].suppressed  # 5 + 4 would give the control's 4 away
    depression = cells(result, "baseline", "depression_enthusiasm")
    assert depression["treatment"].n == 6
    assert depression["treatment"].mean == pytest.approx(direct(treatment, DEPRESSION)[1])
    assert result.unanswered == ("Endline (June–July)",)
    assert not [row for row in result.rows if row.wave == "endline"]

    answer(programme, control, 1, seed=3)
    result = survey_results(programme=programme, by=ACTOR)
    anxiety = cells(result, "baseline", "anxiety_contentment")
    n, mean, low, high = direct(control, ANXIETY)
    assert (anxiety["control"].n, n) == (5, 5)
    assert anxiety["control"].mean == pytest.approx(mean)
    assert anxiety["control"].ci_high == pytest.approx(high)
    assert anxiety["total"].n == 10


def test_the_page_is_scoped_linked_and_audited(
    programme: Programme,
    places: dict[str, object],
    make_user: Callable[..., User],
    client: Client,
    sign_in: Callable[..., Client],
) -> None:
    answer(programme, places["home_school"], 5, seed=4)
    answer(programme, School.objects.get(urn=990002), 3, seed=5)
    url = reverse("surveys:results", kwargs={"programme_pk": programme.pk})
    outsider = user_create(username="eastvale_lead", password="x" * 16, by=ACTOR)
    membership_grant(user=outsider, role=RoleName.LA_LEAD, authority=places["other_la"], by=ACTOR)
    assert sign_in(Client(), outsider).get(url).status_code == 404
    evaluator = make_user(RoleName.EVALUATOR)
    sign_in(client, evaluator)
    monitor = client.get(reverse("surveys:monitor", kwargs={"pk": programme.waves.first().pk}))
    assert url in monitor.content.decode()
    assert url in client.get(reverse("surveys:wave_list")).content.decode()
    before = AuditEvent.objects.count()
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert SUPPRESSED in text
    assert "Anxiety–contentment" in text
    assert "No one has answered this survey yet." in text  # the endline
    assert not any(r.token in text for r in Respondent.objects.all())
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-sequence").first()
    assert (event.action, event.object_type, event.object_id, event.authority_code) == (
        "read",
        "programme.programme",
        str(programme.pk),
        "990",
    )
    assert event.detail == {"what": "survey results by arm"}


def test_a_programme_with_no_survey_says_so(
    places: dict[str, object], make_user: Callable[..., User], client: Client, sign_in: Callable
) -> None:
    programme = Programme.objects.create(
        authority=places["home_la"],
        school_year="2025/26",
        starts_on=dt.date(2025, 9, 1),
        ends_on=dt.date(2026, 7, 17),
    )
    sign_in(client, make_user(RoleName.LA_ANALYST))
    page = client.get(reverse("surveys:results", kwargs={"programme_pk": programme.pk}))
    assert "This programme has no survey yet." in page.content.decode()
