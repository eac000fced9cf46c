"""Response monitoring against hand-computed numbers, and wave linkage."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from threshold.surveys import (
    differential_by_arm,
    differential_response,
    rates_by_arm,
    rates_by_school,
    wave_linkage,
)


def _invited() -> pd.DataFrame:
    # Treatment: school 1 (A, B), school 2 (C); control: school 3 (D), school 4 (E, F), 5 (G).
    return pd.DataFrame(
        {
            "respondent_token": list("ABCDEFG"),
            "urn": [1, 1, 2, 3, 4, 4, 5],
            "arm": ["treatment"] * 3 + ["control"] * 4,
        }
    )


def test_rates_by_school_and_arm() -> None:
    by_school = rates_by_school(_invited(), {"A", "B", "C", "E"})
    rows = by_school.set_index("urn")
    assert rows["invited"].to_dict() == {1: 2, 2: 1, 3: 1, 4: 2, 5: 1}
    assert rows["responded"].to_dict() == {1: 2, 2: 1, 3: 0, 4: 1, 5: 0}
    assert rows.loc[4, "rate"] == 0.5
    by_arm = rates_by_arm(by_school).set_index("arm")
    assert by_arm.loc[
        "treatment", ["schools", "schools_responded", "invited", "responded"]
    ].tolist() == [2, 2, 3, 3]
    assert by_arm.loc["control", "school_rate"] == pytest.approx(1 / 3)
    assert by_arm.loc["control", "person_rate"] == pytest.approx(1 / 4)


def test_enrolled_schools_with_no_one_invited_count_as_not_responding() -> None:
    schools = pd.DataFrame({"urn": [1, 2, 9], "arm": ["treatment", "treatment", "control"]})
    by_school = rates_by_school(_invited().iloc[:3], {"A"}, schools).set_index("urn")
    assert by_school.loc[9, "invited"] == 0
    assert math.isnan(by_school.loc[9, "rate"])
    assert not by_school.loc[9, "school_responded"]
    by_arm = rates_by_arm(by_school.reset_index()).set_index("arm")
    assert by_arm.loc["control", ["schools", "schools_responded"]].tolist() == [1, 0]


def test_an_arm_with_no_school_is_listed_with_no_rate() -> None:
    by_arm = rates_by_arm(rates_by_school(_invited().iloc[:3], {"A"})).set_index("arm")
    assert by_arm.loc["control", "schools"] == 0
    assert math.isnan(by_arm.loc["control", "school_rate"])
    assert differential_by_arm(by_arm.reset_index()) is None


def test_difference_and_wald_interval_by_hand() -> None:
    # 8/16 vs 4/16: d = 0.25; SE = sqrt(.5·.5/16 + .25·.75/16) = 0.1653595;
    # half-width = 1.959964 × SE = 0.3240983.
    result = differential_response(8, 16, 4, 16)
    assert result.difference == pytest.approx(0.25)
    assert result.ci_low == pytest.approx(0.25 - 0.3240983, abs=1e-6)
    assert result.ci_high == pytest.approx(0.25 + 0.3240983, abs=1e-6)
    assert result.warn


@pytest.mark.parametrize(
    ("treatment", "control", "warn"),
    [((6, 10), (5, 10), True), ((59, 100), (50, 100), False), ((40, 100), (53, 100), True)],
)
def test_warns_at_ten_points_either_way(treatment, control, warn) -> None:
    assert differential_response(*treatment, *control).warn is warn


def test_the_evaluations_baseline_gap_warns() -> None:
    # DOMAIN.md: baseline school-level response 53% (treatment) vs 36% (control).
    result = differential_response(77, 145, 52, 144)
    assert result.difference == pytest.approx(77 / 145 - 52 / 144)
    assert result.warn
    assert result.ci_low > 0


def test_wave_linkage_counts_people_and_duplicates() -> None:
    responses = pd.DataFrame(
        {
            "respondent_token": ["A", "A", "B", "C", "D", "D"],
            "wave": ["baseline", "endline", "baseline", "endline", "endline", "endline"],
        }
    )
    assert wave_linkage(responses).to_dict() == {
        "both": 1,
        "baseline_only": 1,
        "endline_only": 2,
        "duplicates": 1,
    }


def test_missing_columns_are_named() -> None:
    with pytest.raises(ValueError, match=r"lacks \['arm'\]"):
        rates_by_school(pd.DataFrame({"respondent_token": [], "urn": []}), set())
