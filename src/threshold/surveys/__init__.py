"""DSL wellbeing surveys: the questionnaire, scoring Warr's scales, school means by wave,
response monitoring and the linkage of waves per respondent."""

from threshold.surveys.instrument import (
    QUESTIONS,
    WARR_FEELINGS,
    WARR_STEM,
    Confidence,
    Question,
    Recommend,
    Usefulness,
    UseOfTime,
    questions_for,
)
from threshold.surveys.monitoring import (
    DIFFERENTIAL_THRESHOLD,
    DifferentialResponse,
    WaveLinkage,
    differential_by_arm,
    differential_response,
    rates_by_arm,
    rates_by_school,
    wave_linkage,
)
from threshold.surveys.scoring import school_means, score_responses

__all__ = [
    "DIFFERENTIAL_THRESHOLD",
    "QUESTIONS",
    "WARR_FEELINGS",
    "WARR_STEM",
    "Confidence",
    "DifferentialResponse",
    "Question",
    "Recommend",
    "UseOfTime",
    "Usefulness",
    "WaveLinkage",
    "differential_by_arm",
    "differential_response",
    "questions_for",
    "rates_by_arm",
    "rates_by_school",
    "school_means",
    "score_responses",
    "wave_linkage",
]
