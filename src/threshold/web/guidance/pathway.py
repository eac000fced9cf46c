"""The DSL's "where should this go?" pathway (pure Python, no Django).

A few plain questions, one per screen, lead to a recommended route with the reason. Written on
behavioural-insights principles: one step per screen in plain words (simplification); what
other DSLs in the area did, only when there is enough data (social norms); and the gain of the
right route ("help received; case resolved"). Immediate danger always routes to the police
first, and then the front door.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

MIN_NORM_OUTCOMES = 20
"""The fewest recorded outcomes (or front-door contacts) a social-norm message may rest on;
below it the pathway says nothing about what others did."""


class Route(StrEnum):
    """Where a matter can go; the value is stored, `LABELS` gives the default name."""

    POLICE = "police"
    FRONT_DOOR = "front_door"
    CONSULTATION = "consultation"
    EARLY_HELP = "early_help"
    FIS = "fis"


LABELS = {
    Route.POLICE: "Police (999) in an emergency",
    Route.FRONT_DOOR: "The front door (MASH)",
    Route.CONSULTATION: "DSL information line (consultation)",
    Route.EARLY_HELP: "Early Help",
    Route.FIS: "Family Information Service",
}
NON_URGENT = frozenset({Route.CONSULTATION, Route.EARLY_HELP, Route.FIS})
"""Routes that need no contact to the front door."""

YES, NO, NOT_SURE = "yes", "no", "not_sure"


@dataclass(frozen=True)
class Question:
    """One screen: its id (in the URL), the question, a hint and the answers offered."""

    id: str
    text: str
    hint: str
    answers: tuple[tuple[str, str], ...]


QUESTIONS = (
    Question(
        "danger",
        "Is a child in immediate danger, or has a crime just happened?",
        "For example a child is hurt and the person who hurt them is nearby, or a child is "
        "missing and at risk now.",
        ((YES, "Yes"), (NO, "No")),
    ),
    Question(
        "harm",
        "Has a child been harmed, or do you think they are at risk of significant harm?",
        "For example a disclosure of abuse, an injury that has not been explained, or an "
        "allegation about an adult who works with children.",
        ((YES, "Yes"), (NO, "No"), (NOT_SURE, "I'm not sure")),
    ),
    Question(
        "services",
        "Does the family need help from more than one service working together?",
        "For example school, health and housing all need to be involved.",
        ((YES, "Yes"), (NO, "No"), (NOT_SURE, "I'm not sure")),
    ),
    Question(
        "school",
        "Does the family need more help than your school can give on its own?",
        "For example support with parenting, a young carer, or worries about money or housing.",
        ((YES, "Yes"), (NO, "No")),
    ),
)
BY_ID = {question.id: question for question in QUESTIONS}


def position(question_id: str) -> tuple[int, int]:
    """Where a question stands: its number and how many questions there are at most ("Question
    2 of 4")."""
    return [q.id for q in QUESTIONS].index(question_id) + 1, len(QUESTIONS)


def previous_question(question_id: str) -> Question | None:
    """The question asked before `question_id` (None before the first). The questions are
    asked in order, each only when the earlier answers decide nothing, so the one before is
    always the one asked before."""
    number, _ = position(question_id)
    return QUESTIONS[number - 2] if number > 1 else None


def last_answered(answers: Mapping[str, str]) -> Question | None:
    """The last question answered (the one that decided the recommendation), if any."""
    asked = [q for q in QUESTIONS if q.id in answers]
    return asked[-1] if asked else None


MSG_UNKNOWN_QUESTION = "unknown question {question!r}: answer one of {known}"
MSG_UNKNOWN_ANSWER = "{answer!r} is not an answer to {question!r}: choose one of {known}"

GAIN = {
    Route.POLICE: "Acting now keeps the child safe; the police and the front door work together.",
    Route.FRONT_DOOR: "The front door can start an assessment today, so the child gets "
    "protection quickly.",
    Route.CONSULTATION: "You get a social worker's advice the same day, and most questions "
    "are settled in one call without a contact.",
    Route.EARLY_HELP: "The family gets help quickly from people who know them, and the worry "
    "is usually resolved without a front-door contact.",
    Route.FIS: "The family gets the right local service directly: help received, with no "
    "wait for a decision.",
}
"""The gain of each route, said plainly (gain framing)."""


@dataclass(frozen=True)
class Recommendation:
    """Where the matter should go, the level of need, why, and the gain in going there."""

    route: Route
    level: int
    reason: str
    then: Route | None = None
    """A second route after the first (the front door, after the police)."""

    @property
    def gain(self) -> str:
        return GAIN[self.route]


RECOMMENDATIONS = {
    "danger": Recommendation(
        Route.POLICE,
        4,
        "A child is in immediate danger: call 999 first, then tell the front door.",
        then=Route.FRONT_DOOR,
    ),
    "harm": Recommendation(
        Route.FRONT_DOOR,
        4,
        "Harm or risk of significant harm needs a decision by children's social care.",
    ),
    "unsure": Recommendation(
        Route.CONSULTATION,
        3,
        "You are not sure how serious this is: talk it through with a social worker before "
        "deciding whether to make a contact.",
    ),
    "services": Recommendation(
        Route.EARLY_HELP,
        3,
        "Several services need to work together: Early Help can bring a team around the family.",
    ),
    "school": Recommendation(
        Route.EARLY_HELP,
        2,
        "The family needs more than school can give: an early help assessment starts support.",
    ),
    "universal": Recommendation(
        Route.FIS,
        1,
        "The family's needs can be met by universal services: the Family Information Service "
        "knows what is on offer locally.",
    ),
}


class PathwayError(ValueError):
    """An answer the pathway does not know; the message says what is allowed."""


def _validate(answers: Mapping[str, str]) -> None:
    for question_id, answer in answers.items():
        question = BY_ID.get(question_id)
        if question is None:
            raise PathwayError(
                MSG_UNKNOWN_QUESTION.format(question=question_id, known=", ".join(BY_ID))
            )
        known = [value for value, _ in question.answers]
        if answer not in known:
            raise PathwayError(
                MSG_UNKNOWN_ANSWER.format(
                    answer=answer, question=question_id, known=", ".join(known)
                )
            )


def next_step(answers: Mapping[str, str]) -> Question | Recommendation:
    """The next question to ask, or the recommendation once the answers decide one.

    Questions are asked in order; a decisive answer ends the pathway, so later answers (if
    any were given, e.g. by going back) are ignored. Immediate danger always wins.
    """
    _validate(answers)
    danger = answers.get("danger")
    if danger is None:
        return BY_ID["danger"]
    if danger == YES:
        return RECOMMENDATIONS["danger"]
    harm = answers.get("harm")
    if harm is None:
        return BY_ID["harm"]
    if harm == YES:
        return RECOMMENDATIONS["harm"]
    if harm == NOT_SURE:
        return RECOMMENDATIONS["unsure"]
    services = answers.get("services")
    if services is None:
        return BY_ID["services"]
    if services == YES:
        return RECOMMENDATIONS["services"]
    if services == NOT_SURE:
        return RECOMMENDATIONS["unsure"]
    school = answers.get("school")
    if school is None:
        return BY_ID["school"]
    return RECOMMENDATIONS["school" if school == YES else "universal"]


MSG_NORM_OUTCOMES = (
    "{share} in 10 DSLs in {area} who were pointed to {route} used it, and did not need to "
    "contact the front door."
)
MSG_NORM_CONTACTS = (
    "In {area}, {share} in 10 contacts from schools to the front door last year ended with "
    "no further action, advice only or a step to Early Help."
)


def _tenths(part: int, whole: int) -> int:
    """`part / whole` in whole tenths, rounded down (never "10 in 10" unless all did)."""
    return 10 * part // whole


def outcome_norm(*, area: str, route: Route, taken: int, recorded: int) -> str | None:
    """What most DSLs did when pointed to `route`: said only when at least
    `MIN_NORM_OUTCOMES` outcomes were recorded and most (over half) took the route; a norm of
    the minority would encourage the wrong thing, so then nothing is said."""
    if route not in NON_URGENT or recorded < MIN_NORM_OUTCOMES or 2 * taken <= recorded:
        return None
    return MSG_NORM_OUTCOMES.format(share=_tenths(taken, recorded), area=area, route=LABELS[route])


def contact_norm(*, area: str, not_needed: int, contacts: int) -> str | None:
    """How many front-door contacts from schools needed no social-care action: said only with
    at least `MIN_NORM_OUTCOMES` contacts and when that is most of them."""
    if contacts < MIN_NORM_OUTCOMES or 2 * not_needed <= contacts:
        return None
    return MSG_NORM_CONTACTS.format(area=area, share=_tenths(not_needed, contacts))
