"""The "where should this go?" pathway: every path ends in a route, immediate danger always
routes to the police first, and norms speak only with enough data and a majority."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from threshold.web.guidance.pathway import (
    BY_ID,
    LABELS,
    MIN_NORM_OUTCOMES,
    MSG_UNKNOWN_ANSWER,
    MSG_UNKNOWN_QUESTION,
    NON_URGENT,
    QUESTIONS,
    YES,
    PathwayError,
    Question,
    Recommendation,
    Route,
    contact_norm,
    next_step,
    outcome_norm,
)


def walk(choose: dict[str, str]) -> tuple[Recommendation, dict[str, str]]:
    """Answer each question asked from `choose`; the recommendation and the answers used."""
    answers: dict[str, str] = {}
    for _ in range(len(QUESTIONS) + 1):
        step = next_step(answers)
        if isinstance(step, Recommendation):
            return step, answers
        answers[step.id] = choose[step.id]
    raise AssertionError("the pathway did not end")


ALL_CHOICES = [
    dict(zip(BY_ID, combo, strict=True))
    for combo in itertools.product(*([v for v, _ in q.answers] for q in QUESTIONS))
]


@pytest.mark.parametrize("choose", ALL_CHOICES)
def test_every_path_reaches_a_route(choose: dict[str, str]) -> None:
    recommendation, answers = walk(choose)
    assert recommendation.route in LABELS
    assert recommendation.reason
    assert recommendation.gain
    assert 1 <= recommendation.level <= 4
    if choose["danger"] == YES:
        assert recommendation.route is Route.POLICE
        assert recommendation.then is Route.FRONT_DOOR
        assert answers == {"danger": YES}


def test_every_route_but_police_is_reachable_without_danger() -> None:
    reached = {walk(c)[0].route for c in ALL_CHOICES if c["danger"] != YES}
    assert reached == set(Route) - {Route.POLICE}


def test_first_question_is_danger_and_no_answers_ask_it() -> None:
    assert QUESTIONS[0].id == "danger"
    assert next_step({}) is BY_ID["danger"]


answer_maps = st.fixed_dictionaries(
    {},
    optional={q.id: st.sampled_from([v for v, _ in q.answers]) for q in QUESTIONS},
)


@given(answer_maps)
def test_any_valid_answers_ask_an_unanswered_question_or_recommend(answers: dict) -> None:
    step = next_step(answers)
    if isinstance(step, Question):
        assert step.id not in answers
    else:
        assert step.route in LABELS
    if answers.get("danger") == YES:
        assert step.route is Route.POLICE


@given(answer_maps)
def test_danger_wins_whatever_else_was_answered(answers: dict) -> None:
    step = next_step({**answers, "danger": YES})
    assert isinstance(step, Recommendation)
    assert step.route is Route.POLICE


def test_unknown_question_and_answer_are_refused() -> None:
    with pytest.raises(PathwayError, match="unknown question 'age'"):
        next_step({"age": "12"})
    assert MSG_UNKNOWN_QUESTION.startswith("unknown question")
    with pytest.raises(PathwayError) as raised:
        next_step({"danger": "maybe"})
    assert str(raised.value) == MSG_UNKNOWN_ANSWER.format(
        answer="maybe", question="danger", known="yes, no"
    )


@given(st.integers(0, 200), st.integers(0, 200))
def test_outcome_norm_needs_enough_data_and_a_majority(taken: int, extra: int) -> None:
    recorded = taken + extra
    message = outcome_norm(area="Northmoor", route=Route.EARLY_HELP, taken=taken, recorded=recorded)
    if recorded < MIN_NORM_OUTCOMES or 2 * taken <= recorded:
        assert message is None
    else:
        assert message is not None
        assert "Northmoor" in message
        assert "Early Help" in message


def test_norms_never_for_urgent_routes_and_say_tenths() -> None:
    assert outcome_norm(area="A", route=Route.FRONT_DOOR, taken=30, recorded=30) is None
    assert Route.FRONT_DOOR not in NON_URGENT
    assert outcome_norm(area="A", route=Route.FIS, taken=16, recorded=20).startswith("8 in 10")
    assert contact_norm(area="A", not_needed=19, contacts=MIN_NORM_OUTCOMES - 1) is None
    assert contact_norm(area="A", not_needed=10, contacts=20) is None
    assert "7 in 10" in contact_norm(area="A", not_needed=14, contacts=20)
