"""Impact estimates: least squares as Stata fits them, and the evaluation's effect sizes."""

from threshold.analysis.effects import MeanCI, StandardisedEffect, glass_delta, hedges_g, mean_ci
from threshold.analysis.ols import SE, Estimate, OLSResult, WeightKind, fit_ols

__all__ = [
    "SE",
    "Estimate",
    "MeanCI",
    "OLSResult",
    "StandardisedEffect",
    "WeightKind",
    "fit_ols",
    "glass_delta",
    "hedges_g",
    "mean_ci",
]
