"""Impact estimates: least squares as Stata fits them, the evaluation's effect sizes, the ITT
analysis of a protocol, and randomisation inference."""

from threshold.analysis.api import (
    analyse_protocol,
    analysed_balance,
    attrition_table,
    distributions,
)
from threshold.analysis.data import AnalysisData, assemble
from threshold.analysis.effects import MeanCI, StandardisedEffect, glass_delta, hedges_g, mean_ci
from threshold.analysis.flat import analyse_table
from threshold.analysis.impact import adjust_p_values, estimate_itt, itt_design
from threshold.analysis.inference import RandomisationTest, randomisation_test
from threshold.analysis.iv import (
    IVSE,
    FirstStage,
    IVResult,
    estimate_excluding_zero_dose,
    estimate_iv_any,
    estimate_iv_dose,
    fit_iv,
)
from threshold.analysis.multilevel import (
    EffectSizes,
    MultilevelDesign,
    MultilevelResult,
    VarianceComponents,
    estimate_multilevel,
    fit_multilevel,
)
from threshold.analysis.ols import SE, Coefficient, OLSResult, WeightKind, fit_ols
from threshold.analysis.results import ArmSummary, Estimate, Results

__all__ = [
    "IVSE",
    "SE",
    "AnalysisData",
    "ArmSummary",
    "Coefficient",
    "EffectSizes",
    "Estimate",
    "FirstStage",
    "IVResult",
    "MeanCI",
    "MultilevelDesign",
    "MultilevelResult",
    "OLSResult",
    "RandomisationTest",
    "Results",
    "StandardisedEffect",
    "VarianceComponents",
    "WeightKind",
    "adjust_p_values",
    "analyse_protocol",
    "analyse_table",
    "analysed_balance",
    "assemble",
    "attrition_table",
    "distributions",
    "estimate_excluding_zero_dose",
    "estimate_itt",
    "estimate_iv_any",
    "estimate_iv_dose",
    "estimate_multilevel",
    "fit_iv",
    "fit_multilevel",
    "fit_ols",
    "glass_delta",
    "hedges_g",
    "itt_design",
    "mean_ci",
    "randomisation_test",
]
