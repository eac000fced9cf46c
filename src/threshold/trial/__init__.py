"""Trial design and randomisation."""

from threshold.trial.power import Design, PowerResult, mdes, power, required_units
from threshold.trial.randomisation import (
    ALLOCATION_COLUMNS,
    EVALUATION_DESIGN,
    RandomisationSpec,
    draw_assignments,
    median_split,
    randomise,
    randomise_as_evaluated,
)

__all__ = [
    "ALLOCATION_COLUMNS",
    "EVALUATION_DESIGN",
    "Design",
    "PowerResult",
    "RandomisationSpec",
    "draw_assignments",
    "mdes",
    "median_split",
    "power",
    "randomise",
    "randomise_as_evaluated",
    "required_units",
]
