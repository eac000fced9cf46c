"""Trial design and randomisation."""

from threshold.trial.power import Design, PowerResult, mdes, power, required_units
from threshold.trial.randomisation import (
    ALLOCATION_COLUMNS,
    median_split,
    randomise_alternating,
    randomise_as_evaluated,
)

__all__ = [
    "ALLOCATION_COLUMNS",
    "Design",
    "PowerResult",
    "mdes",
    "median_split",
    "power",
    "randomise_alternating",
    "randomise_as_evaluated",
    "required_units",
]
