"""Randomisation inference: the p-value of an ITT estimate from re-running the trial's own
randomisation procedure many times (block-respecting), under the sharp null of no effect.

The covariates (baseline, its missing dummy, strata) are partialled out once; every draw's
coefficient then follows from matrix products (`treatment_coefs`), and the draws themselves
come from one vectorised call (`draw_assignments`), so 10,000 draws take a fraction of a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from threshold.analysis.data import AnalysisData
from threshold.analysis.impact import itt_design
from threshold.model import InputError
from threshold.trial import RandomisationSpec, draw_assignments, treatment_coefs

MSG_DRAWS = "draws={draws} must be at least 100"


@dataclass(frozen=True)
class RandomisationTest:
    """The observed coefficient, its randomisation p-value (two-sided) and the draws used."""

    outcome: str
    coef: float
    p_value: float
    draws: int
    seed: int

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def randomisation_test(
    data: AnalysisData, outcome: str, spec: RandomisationSpec, *, draws: int = 10_000, seed: int = 1
) -> RandomisationTest:
    """Re-randomise the analysed schools `draws` times by `spec` (within their blocks) and count
    how often a coefficient at least as large in absolute value as the observed one arises."""
    if draws < 100:
        raise InputError(MSG_DRAWS.format(draws=draws))
    units, frame = data.units, data.outcomes[outcome]
    sample = ~units["withdrawn"].astype(bool) & frame["y"].notna()
    design = itt_design(units.loc[sample], frame.loc[sample, "baseline"], ())
    covariates = np.column_stack(
        [np.ones(int(sample.sum())), design.drop(columns="treated").to_numpy()]
    )
    y = frame.loc[sample, "y"].to_numpy(dtype=float)
    observed = design["treated"].to_numpy()
    blocks = units.loc[sample, "block"].astype(str).to_numpy()
    treated, _, _ = draw_assignments(blocks, spec, np.random.default_rng(seed), draws)
    coefs = treatment_coefs(y, np.vstack([observed, treated], dtype=float), covariates)
    extreme = np.abs(coefs[1:]) >= np.abs(coefs[0]) - 1e-12 * max(1.0, abs(coefs[0]))
    return RandomisationTest(
        outcome, float(coefs[0]), float((1 + extreme.sum()) / (1 + draws)), draws, seed
    )
