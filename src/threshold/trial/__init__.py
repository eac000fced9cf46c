"""Trial design and randomisation."""

from threshold.trial.randomisation import ALLOCATION_COLUMNS, median_split, randomise_alternating

__all__ = ["ALLOCATION_COLUMNS", "median_split", "randomise_alternating"]
