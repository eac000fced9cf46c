"""Delivery costs per school and per LA: both of the evaluation's cost-per-school methods,
start-up and recurring costs, central costs, school-side cover and cost per contact avoided."""

from threshold.costs.api import (
    PLANNED_SESSION_HOURS,
    REASON_CI_INCLUDES_ZERO,
    REASON_DEFINED,
    REASON_HARMFUL,
    ContactEffect,
    CostPerContactAvoided,
    CostSummary,
    SchoolSideCosts,
    cost_per_contact_avoided,
    summarise_costs,
)

__all__ = [
    "PLANNED_SESSION_HOURS",
    "REASON_CI_INCLUDES_ZERO",
    "REASON_DEFINED",
    "REASON_HARMFUL",
    "ContactEffect",
    "CostPerContactAvoided",
    "CostSummary",
    "SchoolSideCosts",
    "cost_per_contact_avoided",
    "summarise_costs",
]
