"""The evaluation's published cost figures from a constructed costs table.

Published (NIESR for WWCSC, secondary DSL supervision): LA spend in ten LAs plus just over
£13,000 of central SSW training and support, 145 schools assigned to treatment: about £1,900 per
school per year (total ÷ schools), about £2,500 as a simple mean of per-LA figures, and LA-only
costs per school from about £1,200 to more than £5,000. The per-LA figures below are invented
to be consistent with those; the test checks the arithmetic reproduces them.
"""

from __future__ import annotations

import pytest

from threshold.costs import summarise_costs

SIZES = (32, 26, 22, 18, 14, 10, 8, 7, 5, 3)
LA_ONLY_PER_SCHOOL = (1_200, 1_350, 1_450, 1_600, 1_850, 2_150, 2_500, 3_100, 3_600, 5_200)
CENTRAL = 13_050.0


@pytest.fixture
def summary(make_costs, make_schools):
    las = [f"9{k:02d}" for k in range(len(SIZES))]
    schools, allocations = make_schools(dict(zip(las, SIZES, strict=True)))
    lines: list[tuple[str | None, str, str, float]] = [(None, "ssw_training", "start_up", CENTRAL)]
    for la, n, per_school in zip(las, SIZES, LA_ONLY_PER_SCHOOL, strict=True):
        lines.append((la, "ssw_salary", "recurring", n * per_school - 200))
        lines.append((la, "management", "recurring", 200))
    return summarise_costs(make_costs(lines), allocations, schools)


def test_published_cost_per_school_both_ways(summary):
    assert summary.schools_assigned == 145
    assert round(summary.per_school_pooled, -2) == 1_900
    assert round(summary.per_school_mean_of_las, -2) == 2_500
    assert summary.per_school_pooled == pytest.approx(
        (sum(n * c for n, c in zip(SIZES, LA_ONLY_PER_SCHOOL, strict=True)) + CENTRAL) / 145
    )
    assert summary.per_school_mean_of_las == pytest.approx(
        sum(LA_ONLY_PER_SCHOOL) / 10 + CENTRAL / 145
    )


def test_published_la_only_range(summary):
    assert summary.la_only_min == pytest.approx(1_200)
    assert summary.la_only_max > 5_000
    assert summary.central_spend > 13_000
