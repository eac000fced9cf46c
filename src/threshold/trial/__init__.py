"""Trial design and randomisation."""

from threshold.trial.diagnosis import Diagnosis, diagnose, fit_many
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
    "Diagnosis",
    "PowerResult",
    "RandomisationSpec",
    "diagnose",
    "draw_assignments",
    "fit_many",
    "mdes",
    "median_split",
    "power",
    "randomise",
    "randomise_as_evaluated",
    "required_units",
]
