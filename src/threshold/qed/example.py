"""The Warwickshire evaluation as a worked example: DSL-level records consistent with every
published figure, and the comparison run on them.

Published: 165 trained and 984 comparison DSLs; 65% fewer non-urgent contacts; 5% of trained and
21% of comparison DSLs called; 1,398 fewer calls a year; savings of over £370,000 a year out of
the £570,000 that non-urgent calls cost. Assumed (not published): each DSL is observed for one
year; full roll-out means all 1,149 DSLs trained; the cost per call is £570,000 divided by the
calls a year all DSLs would make at the comparison rate. The smallest whole numbers of calls
that reproduce every figure (to the published rounding) are 1,841 calls by 207 comparison DSLs
and 108 calls by 8 trained DSLs, spread as evenly as possible among the DSLs who called.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from threshold.qed.api import compare
from threshold.qed.results import QEDResults

TRAINED, COMPARISON = 165, 984
TRAINED_CALLERS, COMPARISON_CALLERS = 8, 207
TRAINED_CALLS, COMPARISON_CALLS = 108, 1841
EXPOSURE_YEARS = 1.0
ROLLOUT = TRAINED + COMPARISON
ANNUAL_COST = 570_000.0
GROUP, COUNT, EXPOSURE, UNIT = "group", "non_urgent_calls", "dsl_years", "dsl_id"
TRAINED_LABEL = "trained"


def warwickshire_records() -> pd.DataFrame:
    """One row per DSL: id, group, DSL-years observed and non-urgent calls."""
    counts = np.r_[
        _spread(TRAINED_CALLS, TRAINED_CALLERS, TRAINED),
        _spread(COMPARISON_CALLS, COMPARISON_CALLERS, COMPARISON),
    ]
    return pd.DataFrame(
        {
            UNIT: [f"DSL{i:04d}" for i in range(1, ROLLOUT + 1)],
            GROUP: [TRAINED_LABEL] * TRAINED + ["comparison"] * COMPARISON,
            EXPOSURE: EXPOSURE_YEARS,
            COUNT: counts,
        }
    )


def implied_cost_per_call() -> float:
    """£570,000 over the calls a year all DSLs would make at the comparison rate."""
    return ANNUAL_COST / (ROLLOUT * COMPARISON_CALLS / (COMPARISON * EXPOSURE_YEARS))


def run_example(seed: int = 0) -> tuple[pd.DataFrame, QEDResults]:
    """The records and the comparison on them (Poisson, robust SE, Newcombe interval)."""
    records = warwickshire_records()
    results = compare(
        records,
        group=GROUP,
        treated=TRAINED_LABEL,
        count=COUNT,
        exposure=EXPOSURE,
        unit=UNIT,
        rollout=ROLLOUT,
        cost_per_call=implied_cost_per_call(),
        seed=seed,
    )
    return records, results


def _spread(calls: int, callers: int, units: int) -> np.ndarray:
    """`calls` shared as evenly as possible by the first `callers` of `units`; the rest zero."""
    base, extra = divmod(calls, callers)
    counts = np.zeros(units, dtype=int)
    counts[:callers] = base
    counts[:extra] += 1
    return counts
