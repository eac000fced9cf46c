"""Small hand-made contract tables for the cost tests.

LA 201 has 1 treatment school, LA 202 has 3, LA 203's only treatment school withdrew (no costs),
LA 204's treatment school has no cost lines. Central SSW training is £400.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest


def cost_lines(
    rows: list[tuple[str | None, str, str, float]], year: str = "2021/22"
) -> pd.DataFrame:
    """Costs from (la_code, category, kind, amount) tuples, all in `year`."""
    return pd.DataFrame(
        {
            "cost_id": [f"C-{year}-{k}" for k in range(len(rows))],
            "la_code": [row[0] for row in rows],
            "school_year": year,
            "category": [row[1] for row in rows],
            "kind": [row[2] for row in rows],
            "amount_gbp": [float(row[3]) for row in rows],
            "description": None,
        }
    )


def schools_and_allocations(
    sizes: dict[str, int],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`sizes[la]` active treatment schools per LA, plus one control school per LA."""
    urns, las, arms = [], [], []
    urn = 100001
    for la, n in sizes.items():
        for arm in ["treatment"] * n + ["control"]:
            urns.append(urn)
            las.append(la)
            arms.append(arm)
            urn += 1
    schools = pd.DataFrame({"urn": urns, "la_code": las})
    allocations = pd.DataFrame(
        {"urn": urns, "arm": arms, "withdrawn_on": pd.Series([pd.NaT] * len(urns))}
    )
    return schools, allocations


def small_world() -> dict[str, pd.DataFrame]:
    schools, allocations = schools_and_allocations({"201": 1, "202": 3, "203": 1, "204": 1})
    withdrawn = schools["la_code"].eq("203")
    allocations.loc[withdrawn.to_numpy(), "withdrawn_on"] = pd.Timestamp("2021-10-01")
    costs = cost_lines(
        [
            ("201", "ssw_salary", "recurring", 3000),
            ("201", "materials", "start_up", 600),
            ("202", "ssw_salary", "recurring", 6000),
            ("202", "travel", "recurring", 300),
            (None, "ssw_training", "start_up", 400),
            ("202", "school_cover", "recurring", 500),
        ]
    )
    return {"costs": costs, "allocations": allocations, "schools": schools}


@pytest.fixture
def world() -> dict[str, pd.DataFrame]:
    return small_world()


@pytest.fixture
def make_costs() -> Callable[..., pd.DataFrame]:
    return cost_lines


@pytest.fixture
def make_schools() -> Callable[[dict[str, int]], tuple[pd.DataFrame, pd.DataFrame]]:
    return schools_and_allocations
