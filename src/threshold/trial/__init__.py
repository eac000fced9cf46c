"""Trial design and randomisation."""

from threshold.trial.randomisation import (
    ALLOCATION_COLUMNS,
    median_split,
    randomise_alternating,
    randomise_as_evaluated,
)

__all__ = [
    "ALLOCATION_COLUMNS",
    "median_split",
    "randomise_alternating",
    "randomise_as_evaluated",
]
