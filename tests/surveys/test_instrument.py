"""The questionnaire: Warr's wording and answers exactly as in DOMAIN.md, and who is asked what."""

from __future__ import annotations

from threshold.model import WARR_SCORES, WarrAnswer
from threshold.surveys import QUESTIONS, WARR_FEELINGS, WARR_STEM, questions_for

# Copied from the team's DOMAIN.md ("Wellbeing"); the project never reads it at run time:
STEM = "Thinking of the past few weeks, how much of the time has your job made you feel…"
FEELINGS = ("Tense", "Worried", "Uneasy", "Depressed", "Gloomy", "Miserable")
ANSWERS = ("All of the time", "Most", "Some", "Occasionally", "Never")
SCORES = (-2, -1, 0, 1, 2)


def test_warr_stem_and_items_have_the_exact_wording() -> None:
    assert WARR_STEM == STEM
    warr = [q for q in QUESTIONS if q.name.startswith("warr_")]
    assert tuple(q.text for q in warr) == FEELINGS
    assert tuple(q.name for q in warr) == tuple(f"warr_{f}" for f in WARR_FEELINGS)


def test_warr_answers_are_in_order_and_score_minus_two_to_two() -> None:
    labels = [answer.label for answer in WarrAnswer]
    assert all(label.startswith(short) for label, short in zip(labels, ANSWERS, strict=True))
    assert tuple(WARR_SCORES[answer] for answer in WarrAnswer) == SCORES
    assert all(q.answers is WarrAnswer for q in QUESTIONS if q.name.startswith("warr_"))


def test_programme_questions_only_at_endline_of_treatment_schools() -> None:
    programme = {"usefulness", "use_of_time", "recommend"}
    common = [f"warr_{f}" for f in WARR_FEELINGS] + ["confidence", "dsl_experience"]
    assert [q.name for q in questions_for("baseline", "treatment")] == common
    assert [q.name for q in questions_for("endline", "control")] == common
    endline = [q.name for q in questions_for("endline", "treatment")]
    assert endline[: len(common)] == common
    assert set(endline[len(common) :]) == programme
