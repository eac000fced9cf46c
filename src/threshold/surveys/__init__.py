"""DSL wellbeing surveys: scoring Warr's scales, school means by wave."""

from threshold.surveys.scoring import school_means, score_responses

__all__ = ["school_means", "score_responses"]
