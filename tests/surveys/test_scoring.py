"""Warr scale scoring and school means."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from threshold.surveys import school_means, score_responses


def _responses() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "urn": [1, 1, 2, 2],
            "wave": ["baseline", "baseline", "baseline", "endline"],
            "warr_tense": ["never", "all_of_the_time", "some_of_the_time", "occasionally"],
            "warr_worried": ["never", "most_of_the_time", None, "occasionally"],
            "warr_uneasy": ["occasionally", "most_of_the_time", "never", "never"],
            "warr_depressed": ["never"] * 4,
            "warr_gloomy": ["never"] * 4,
            "warr_miserable": ["never", "never", "never", "all_of_the_time"],
        }
    )


def test_scales_sum_three_items_and_are_missing_if_any_is():
    scored = score_responses(_responses())
    assert scored["anxiety_contentment"].tolist()[:2] == [5, -4]
    assert np.isnan(scored["anxiety_contentment"].iloc[2])
    assert scored["depression_enthusiasm"].tolist() == [6, 6, 6, 2]


def test_school_means_by_wave_count_scored_respondents():
    means = school_means(_responses(), "baseline").set_index("urn")
    assert means.loc[1, "anxiety_contentment"] == pytest.approx(0.5)
    assert means.loc[1, "n_anxiety_contentment"] == 2
    assert np.isnan(means.loc[2, "anxiety_contentment"])
    assert means.loc[2, "n_anxiety_contentment"] == 0
    assert means.loc[2, "depression_enthusiasm"] == 6
    assert school_means(_responses(), "endline").set_index("urn").loc[2, "anxiety_contentment"] == 4


@pytest.mark.parametrize("wave", ["baseline", "endline"])
def test_no_responses_give_no_school_means_not_a_crash(wave):
    """A trial whose surveys have no answers yet (or none at a wave): no school, numeric
    columns, so the analysis can say there is nothing to compare."""
    responses = _responses().astype("str").iloc[0:0]
    means = school_means(responses, wave)
    assert means.empty
    assert means["anxiety_contentment"].dtype == float
