"""Warr's job-related affect scales: scoring responses, and school means by wave.

Each item ("how much of the time has your job made you feel tense…") scores −2 (all of the time)
to +2 (never); a scale sums its three items, −6 to +6, higher = better. A scale is missing when
any of its items is unanswered.
"""

from __future__ import annotations

import pandas as pd

from threshold.model import WARR_ITEMS, WARR_SCORES, Scale

_SCORE = {answer.value: score for answer, score in WARR_SCORES.items()}


def score_responses(responses: pd.DataFrame) -> pd.DataFrame:
    """The responses with one column per scale (`anxiety_contentment`, `depression_enthusiasm`)."""
    scored = responses.copy()
    for scale, feelings in WARR_ITEMS.items():
        items = responses[[f"warr_{feeling}" for feeling in feelings]]
        scores = items.apply(lambda column: column.map(_SCORE)).astype(float)
        scored[scale.value] = scores.sum(axis=1, min_count=len(feelings))
        scored.loc[items.isna().any(axis=1), scale.value] = float("nan")
    return scored


def school_means(responses: pd.DataFrame, wave: str) -> pd.DataFrame:
    """Per school, at one wave: the mean of each scale over respondents and the number of
    respondents with a score (`n_<scale>`)."""
    scored = score_responses(responses[responses["wave"] == wave])
    scales = [scale.value for scale in Scale]
    grouped = scored.groupby("urn")[scales]
    means = grouped.mean()
    counts = grouped.count().add_prefix("n_")
    return means.join(counts).reset_index()
