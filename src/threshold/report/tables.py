"""The report's tables as plain rows (headers and formatted cells), shared by every format."""

from __future__ import annotations

import math
from dataclasses import dataclass

from threshold.analysis import ArmSummary, Estimate, Results


@dataclass(frozen=True)
class TableView:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""


def number(value: float | None, digits: int = 4) -> str:
    """A number to `digits` significant figures; a dash for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if value == 0:
        return "0"
    return f"{value:.{digits}g}"


def interval(low: float | None, high: float | None, digits: int = 3) -> str:
    return f"{number(low, digits)} to {number(high, digits)}"


def _arm(summary: ArmSummary) -> str:
    ci = interval(summary.ci_low, summary.ci_high)
    return f"{number(summary.mean)} ({ci}); {summary.n} ({summary.n_missing})"


def impact_table(results: Results, analysis: str) -> TableView:
    """Unadjusted means by arm and the adjusted impact, as in the evaluation's tables."""
    rows = []
    for e in (e for e in results.estimates if e.analysis == analysis):
        p = number(e.p_value, 3)
        if e.p_adjusted is not None:
            p += f" (adjusted {number(e.p_adjusted, 3)})"
        rows.append(
            (
                e.outcome,
                _arm(e.treatment),
                _arm(e.control),
                f"{number(e.coef)} ({number(e.se, 3)})",
                _pct_point(e),
                f"{number(e.glass_delta, 3)} ({interval(e.glass_ci_low, e.glass_ci_high)})",
                p,
                f"{e.n_treatment + e.n_control} ({e.n_treatment}; {e.n_control})",
            )
        )
    return TableView(
        title=f"{analysis.capitalize()} outcome{'s' if len(rows) != 1 else ''}",
        headers=(
            "Outcome",
            "Treatment mean (95% CI); n (missing)",
            "Control mean (95% CI); n (missing)",
            "Coefficient (SE)",
            "% point change (95% CI)",
            "Glass's Δ (95% CI)",
            "p-value",
            "n (T; C)",
        ),
        rows=tuple(rows),
        note=_adjustment_note(results, analysis),
    )


def _pct_point(e: Estimate) -> str:
    if e.pct_point is None:
        return "–"
    return f"{number(e.pct_point, 3)} ({interval(e.pct_point_ci_low, e.pct_point_ci_high)})"


def _adjustment_note(results: Results, analysis: str) -> str:
    if analysis != "secondary" or results.multiplicity == "none":
        return ""
    return f"Adjusted p-values: {results.multiplicity.capitalize()} across the secondary outcomes."


def further_table(results: Results) -> TableView:
    """Compliance, robustness and subgroup analyses of the primary outcome, one row each."""
    rows = tuple(
        (
            e.analysis,
            f"{number(e.coef)} ({number(e.se, 3)})",
            interval(e.ci_low, e.ci_high),
            f"{number(e.glass_delta, 3)} ({interval(e.glass_ci_low, e.glass_ci_high)})",
            number(e.p_value, 3),
            f"{e.n_treatment + e.n_control} ({e.n_treatment}; {e.n_control})",
        )
        for e in results.estimates
        if e.analysis not in ("primary", "secondary")
    )
    return TableView(
        f"Further analyses of the primary outcome ({results.primary.outcome})",
        ("Analysis", "Coefficient (SE)", "95% CI", "Glass's Δ (95% CI)", "p-value", "n (T; C)"),
        rows,
        note="Poisson coefficients are log incidence-rate ratios and logit coefficients log odds "
        "ratios (Glass's Δ not defined); IV coefficients are effects per unit of dosage; "
        "interactions are differences between groups.",
    )


def attrition_table(results: Results) -> TableView:
    rows = tuple(
        (
            str(r["arm"]),
            str(r["randomised"]),
            str(r["withdrawn"]),
            str(r["missing_outcome"]),
            str(r["analysed"]),
            f"{r['pct_analysed']:.1f}%",
        )
        for r in results.attrition.to_dict(orient="records")
    )
    return TableView(
        "Attrition (primary outcome)",
        ("Arm", "Randomised", "Withdrawn", "Outcome missing", "Analysed", "% analysed"),
        rows,
    )


def balance_view(results: Results) -> TableView:
    rows = []
    for r in results.balance.to_dict(orient="records"):
        level = r["level"]
        name = (
            r["characteristic"]
            if level is None or level != level
            else f"{r['characteristic']}: {level} (%)"
        )
        rows.append(
            (
                name,
                _balance_cell(r["mean_treatment"], r["sd_treatment"], r["n_treatment"]),
                _balance_cell(r["mean_control"], r["sd_control"], r["n_control"]),
                number(r["std_difference"], 3),
            )
        )
    return TableView(
        "Balance of the analysed sample",
        (
            "Characteristic",
            "Treatment mean (SD); n",
            "Control mean (SD); n",
            "Standardised difference",
        ),
        tuple(rows),
    )


def _balance_cell(mean: float, sd: float, n: int) -> str:
    spread = "" if sd != sd else f" ({number(sd, 3)})"
    return f"{number(mean)}{spread}; {n}"


def headline(results: Results) -> str:
    """One sentence on the primary outcome."""
    e: Estimate = results.primary
    significant = e.p_value < results.alpha
    verdict = "a statistically significant" if significant else "no statistically significant"
    ci = interval(e.glass_ci_low, e.glass_ci_high, 2)
    sentence = (
        f"The primary analysis ({e.outcome}) found {verdict} effect at the {results.alpha:.0%} "
        f"level: Glass's Δ {number(e.glass_delta, 2)} (95% CI {ci}), p = {number(e.p_value, 2)}, "
        f"with {e.n_treatment} treatment and {e.n_control} control schools."
    )
    inference = results.randomisation_inference
    if inference:
        p_value = number(float(inference["p_value"]), 2)  # type: ignore[arg-type]
        sentence += (
            f" Randomisation inference ({inference['draws']:,} re-randomisations by the trial's "
            f"own procedure): p = {p_value}."
        )
    return sentence
