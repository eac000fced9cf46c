"""Cost per school both ways, by LA, start-up and recurring, central costs, dosage and
school-side cover, against figures worked by hand on the small tables in conftest.py.

By hand: LA 201 spends £3,600 on 1 school, LA 202 £6,300 on 3; central £400; 4 schools.
Pooled: (3,600 + 6,300 + 400) / 4 = £2,575. Per LA with central shared by schools:
201: (3,600 + 100) / 1 = £3,700; 202: (6,300 + 300) / 3 = £2,200; mean £2,950.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from threshold.costs import PLANNED_SESSION_HOURS, summarise_costs
from threshold.costs.api import (
    MSG_BAD_COVER_RATE,
    MSG_LA_WITHOUT_SCHOOLS,
    MSG_METHODS_EQUAL,
    MSG_NO_DELIVERY_COSTS,
    MSG_NO_LA_COSTS,
)
from threshold.model import InputError


def summarise(world: dict[str, pd.DataFrame], **options: object):
    return summarise_costs(world["costs"], world["allocations"], world["schools"], **options)


def test_both_methods_and_the_la_only_figures(world):
    summary = summarise(world)
    assert summary.schools_assigned == 4
    assert summary.total_spend == pytest.approx(10_300)
    assert summary.central_spend == pytest.approx(400)
    assert summary.per_school_pooled == pytest.approx(2_575)
    assert summary.per_school_mean_of_las == pytest.approx(2_950)
    assert summary.la_only_pooled == pytest.approx(9_900 / 4)
    assert summary.la_only_mean_of_las == pytest.approx((3_600 + 2_100) / 2)
    assert (summary.la_only_min, summary.la_only_max) == pytest.approx((2_100, 3_600))


def test_methods_differ_when_la_sizes_differ_and_the_note_says_why(world):
    summary = summarise(world)
    assert summary.per_school_mean_of_las > summary.per_school_pooled
    note = summary.methods_note
    assert "weights every LA equally" in note
    assert "higher" in note
    assert "dearest LA 201: 1 schools, £3,700" in note
    assert "the largest, LA 202: 3 schools, £2,200" in note


def test_methods_agree_when_every_la_costs_the_same_per_school(make_costs, make_schools):
    schools, allocations = make_schools({"301": 2, "302": 5})
    costs = make_costs(
        [("301", "ssw_salary", "recurring", 4_000), ("302", "ssw_salary", "recurring", 10_000)]
    )
    summary = summarise_costs(costs, allocations, schools)
    assert summary.per_school_pooled == pytest.approx(2_000)
    assert summary.per_school_mean_of_las == pytest.approx(2_000)
    assert summary.methods_note == MSG_METHODS_EQUAL.format(pooled=2_000)


def test_methods_note_when_small_las_are_cheaper(make_costs, make_schools):
    schools, allocations = make_schools({"301": 1, "302": 4})
    costs = make_costs(
        [("301", "ssw_salary", "recurring", 1_000), ("302", "ssw_salary", "recurring", 12_000)]
    )
    summary = summarise_costs(costs, allocations, schools)
    assert summary.per_school_pooled == pytest.approx(13_000 / 5)
    assert summary.per_school_mean_of_las == pytest.approx(2_000)
    assert "lower" in summary.methods_note
    assert "cheapest LA 301" in summary.methods_note


def test_costs_by_la(world):
    by_la = summarise(world).by_la.set_index("la_code")
    assert by_la.index.tolist() == ["201", "202"]
    assert by_la["schools_assigned"].tolist() == [1, 3]
    assert by_la["la_spend"].tolist() == pytest.approx([3_600, 6_300])
    assert by_la["start_up"].tolist() == pytest.approx([600, 0])
    assert by_la["recurring"].tolist() == pytest.approx([3_000, 6_300])
    assert by_la["central_share"].tolist() == pytest.approx([100, 300])
    assert by_la["cost_per_school_per_year"].tolist() == pytest.approx([3_700, 2_200])


def test_withdrawn_schools_are_not_assigned_and_las_without_costs_are_noted(world):
    summary = summarise(world)
    assert "203" not in summary.by_la["la_code"].tolist()
    assert summary.notes == (
        "1 treatment school(s) in LAs without delivery cost lines are left out of every "
        "per-school figure.",
    )


def test_start_up_and_recurring_shown_separately(world):
    summary = summarise(world)
    assert summary.start_up == pytest.approx(1_000)
    assert summary.recurring == pytest.approx(9_300)
    assert summary.recurring_per_school_per_year == pytest.approx(9_300 / 4)
    assert summary.start_up_per_school == pytest.approx(250)


def test_school_cover_lines_are_not_delivery_costs(world):
    by_category = summarise(world).by_category
    assert "school_cover" not in by_category["category"].tolist()
    central = by_category[by_category["central"]]
    assert central[["category", "amount_gbp"]].values.tolist() == [["ssw_training", 400.0]]


def test_two_school_years_halve_the_per_year_figures(world, make_costs):
    second = make_costs(
        [
            ("201", "ssw_salary", "recurring", 3_000),
            ("202", "ssw_salary", "recurring", 6_300),
        ],
        year="2022/23",
    )
    world["costs"] = pd.concat([world["costs"], second], ignore_index=True)
    summary = summarise(world)
    assert summary.school_years == ("2021/22", "2022/23")
    assert summary.per_school_pooled == pytest.approx((10_300 + 9_300) / 4 / 2)
    assert summary.recurring_per_school_per_year == pytest.approx((9_300 + 9_300) / 4 / 2)
    assert summary.start_up_per_school == pytest.approx(250)  # one-off, not divided by years


def _sessions(rows: list[tuple[int, str, float, float | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["urn", "status", "attendees", "duration_minutes"]).astype(
        {"attendees": "Int64", "duration_minutes": "Int64"}
    )


def test_dosage_and_cover_costs(world):
    sessions = _sessions(
        [
            (100001, "held", 3, 90),
            (100003, "held", 2, None),  # no duration: the planned two hours
            (100003, "cancelled", 0, None),
            (100009, "held", 5, 60),  # LA 204 has no costs: out of scope
        ]
    )
    summary = summarise(world, sessions=sessions, cover_rate=40.0)
    assert summary.sessions_held == 2
    assert summary.cost_per_session_held == pytest.approx(10_300 / 2)
    side = summary.school_side
    assert PLANNED_SESSION_HOURS == 2.0
    assert side.attendee_hours == pytest.approx(3 * 1.5 + 2 * 2)
    assert side.imputed_sessions == 1
    assert side.cover == pytest.approx(8.5 * 40)
    assert side.reported == pytest.approx(500)
    assert side.total == pytest.approx(840)
    assert side.per_school_per_year == pytest.approx(210)


def test_cover_without_a_rate_counts_hours_but_costs_only_what_was_reported(world):
    sessions = _sessions([(100001, "held", 3, 90)])
    side = summarise(world, sessions=sessions).school_side
    assert side.attendee_hours == pytest.approx(4.5)
    assert side.cover is None
    assert side.total == pytest.approx(500)


def test_no_sessions_and_no_cover_lines_mean_no_school_side(world):
    world["costs"] = world["costs"][world["costs"]["category"] != "school_cover"]
    summary = summarise(world)
    assert summary.school_side is None
    assert summary.sessions_held is None


def test_tidy_and_to_dict(world):
    summary = summarise(world)
    tidy = summary.tidy().set_index("measure")["value"]
    assert tidy["per_school_per_year_pooled"] == pytest.approx(2_575)
    assert tidy["per_school_per_year_mean_of_las"] == pytest.approx(2_950)
    assert "cost_per_contact_avoided" not in tidy.index
    data = json.loads(json.dumps(summary.to_dict(), default=float))
    assert data["total_spend"] == pytest.approx(10_300)
    assert [row["la_code"] for row in data["by_la"]] == ["201", "202"]
    assert data["per_contact_avoided"] is None


@pytest.mark.parametrize(
    ("keep", "message"),
    [
        (lambda costs: costs["category"] == "school_cover", MSG_NO_DELIVERY_COSTS),
        (lambda costs: costs["la_code"].isna(), MSG_NO_LA_COSTS),
    ],
)
def test_tables_without_delivery_or_la_costs_are_refused(world, keep, message):
    world["costs"] = world["costs"][keep(world["costs"])]
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        summarise(world)


def test_la_with_costs_but_no_assigned_school_is_refused(world, make_costs):
    world["costs"] = pd.concat(
        [world["costs"], make_costs([("203", "travel", "recurring", 50)])], ignore_index=True
    )
    with pytest.raises(InputError) as error:
        summarise(world)
    assert str(error.value) == MSG_LA_WITHOUT_SCHOOLS.format(la="203")


@pytest.mark.parametrize("rate", [-1.0, float("nan")])
def test_bad_cover_rate_is_refused(world, rate):
    with pytest.raises(InputError) as error:
        summarise(world, cover_rate=rate)
    assert str(error.value) == MSG_BAD_COVER_RATE.format(value=rate)
