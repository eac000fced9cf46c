"""Quasi-experimental comparisons of trained and comparison groups: rate ratios, any-contact
differences, difference-in-differences, covariate weighting, and savings at full roll-out."""

from threshold.qed.api import CompareConfig, compare
from threshold.qed.example import implied_cost_per_call, run_example, warwickshire_records
from threshold.qed.models import CountFit, fit_counts, proportion_difference
from threshold.qed.results import (
    CAVEAT,
    Balance,
    GroupRate,
    ProportionDifference,
    QEDResults,
    RateRatio,
    Savings,
    Specification,
)
from threshold.qed.weights import balance, balancing_weights

__all__ = [
    "CAVEAT",
    "Balance",
    "CompareConfig",
    "CountFit",
    "GroupRate",
    "ProportionDifference",
    "QEDResults",
    "RateRatio",
    "Savings",
    "Specification",
    "balance",
    "balancing_weights",
    "compare",
    "fit_counts",
    "implied_cost_per_call",
    "proportion_difference",
    "run_example",
    "warwickshire_records",
]
