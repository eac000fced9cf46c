"""The baseline and endline questionnaire: every question's exact wording and answer scale.

Warr's six items are worded as in the evaluation (docs: DOMAIN.md, "Wellbeing"); their answers
are `WarrAnswer` and score as `WARR_SCORES`. The programme questions (usefulness, use of time,
would recommend) are asked only at endline of treatment schools, whose DSLs were offered
supervision.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

from threshold.model import WARR_ITEMS, Arm, Code, DslExperience, SurveyWave, WarrAnswer

WARR_STEM = "Thinking of the past few weeks, how much of the time has your job made you feel…"
"""The stem of Warr's items, exactly as the evaluation asked it."""

WARR_FEELINGS: tuple[str, ...] = tuple(chain.from_iterable(WARR_ITEMS.values()))
"""The six feelings, anxiety–contentment's first (tense, worried, uneasy, depressed, …)."""


class Confidence(Code):
    """Overall confidence in the DSL role."""

    VERY = "very", "Very confident"
    FAIRLY = "fairly", "Fairly confident"
    NEITHER = "neither", "Neither confident nor unconfident"
    NOT_VERY = "not_very", "Not very confident"
    NOT_AT_ALL = "not_at_all", "Not at all confident"


class Usefulness(Code):
    VERY = "very", "Very useful"
    QUITE = "quite", "Quite useful"
    NEUTRAL = "neutral", "Neutral"
    NOT_VERY = "not_very", "Not very useful"
    NOT_AT_ALL = "not_at_all", "Not at all useful"


class UseOfTime(Code):
    VERY_GOOD = "very_good", "Very good use of my time"
    GOOD = "good", "Good use of my time"
    NEUTRAL = "neutral", "Neutral"
    POOR = "poor", "Poor use of my time"
    VERY_POOR = "very_poor", "Very poor use of my time"


class Recommend(Code):
    DEFINITELY_YES = "definitely_yes", "Definitely yes"
    PROBABLY_YES = "probably_yes", "Probably yes"
    NOT_SURE = "not_sure", "Not sure"
    PROBABLY_NOT = "probably_not", "Probably not"
    DEFINITELY_NOT = "definitely_not", "Definitely not"


@dataclass(frozen=True)
class Question:
    """One question: its field name (as in `survey_responses` where the contract has it), its
    wording, its answers (a `Code`) and when it is asked (waves, arms)."""

    name: str
    text: str
    answers: type[Code]
    waves: frozenset[SurveyWave] = frozenset(SurveyWave)
    arms: frozenset[Arm] = frozenset(Arm)

    def asked(self, wave: SurveyWave | str, arm: Arm | str) -> bool:
        """Whether this question is asked at `wave` of a school in `arm`."""
        return SurveyWave(wave) in self.waves and Arm(arm) in self.arms


_PROGRAMME = {"waves": frozenset({SurveyWave.ENDLINE}), "arms": frozenset({Arm.TREATMENT})}

QUESTIONS: tuple[Question, ...] = (
    *(Question(f"warr_{feeling}", feeling.capitalize(), WarrAnswer) for feeling in WARR_FEELINGS),
    Question(
        "confidence", "Overall, how confident are you in performing the role of DSL?", Confidence
    ),
    Question(
        "dsl_experience",
        "How long have you held a designated safeguarding lead role (lead or deputy)?",
        DslExperience,
    ),
    Question(
        "usefulness",
        "Overall, how useful did you find the supervision sessions?",
        Usefulness,
        **_PROGRAMME,
    ),
    Question(
        "use_of_time",
        "Do you think the supervision sessions have been a good or poor use of your time?",
        UseOfTime,
        **_PROGRAMME,
    ),
    Question(
        "recommend",
        "Would you recommend other schools or DSLs to sign up for future versions of the "
        "programme?",
        Recommend,
        **_PROGRAMME,
    ),
)
"""Every question, in the order asked; the Warr items are shown under `WARR_STEM`."""


def questions_for(wave: SurveyWave | str, arm: Arm | str) -> tuple[Question, ...]:
    """The questions asked at `wave` of a school in `arm`, in order."""
    return tuple(question for question in QUESTIONS if question.asked(wave, arm))
