"""What every format of the report says, in order: the status line, the tables, the methods."""

from __future__ import annotations

import math

from threshold.analysis import Results
from threshold.report.tables import (
    TableView,
    attrition_table,
    balance_view,
    further_table,
    impact_table,
)

SE_WORDS = {
    "hc1": "heteroskedasticity-robust (HC1, as Stata's `robust`)",
    "hc2": "heteroskedasticity-robust (HC2)",
    "hc3": "heteroskedasticity-robust (HC3)",
    "classical": "classical (homoskedastic)",
    "cluster": "clustered by randomisation block",
}
FIGURES_DIR = "figures"
"""Where write_report puts the PNGs, beside report.md, which refers to them."""


def title(results: Results) -> str:
    return f"{results.trial}: impact evaluation"


def status(results: Results) -> str:
    """Confirmatory (with the protocol's digest) or, in capitals, exploratory."""
    if results.confirmatory:
        digest = str(results.protocol_sha256)[:12]
        return f"Confirmatory analysis of the locked protocol (SHA-256 {digest})."
    if results.protocol_state == "none":
        return "EXPLORATORY ANALYSIS of a flat table: no pre-registered protocol."
    return (
        "EXPLORATORY ANALYSIS: the protocol was "
        + ("changed after it was locked" if results.protocol_state == "altered" else "not locked")
        + "; these are not the pre-registered results."
    )


def views(results: Results) -> list[TableView]:
    """The report's tables, in order."""
    return [
        impact_table(results, "primary"),
        impact_table(results, "secondary"),
        *([further] if (further := further_table(results)).rows else []),
        attrition_table(results),
        balance_view(results),
    ]


def methods(results: Results) -> list[str]:
    """The methods, in words."""
    se = SE_WORDS.get(results.standard_errors, results.standard_errors)
    if results.multiplicity == "none":
        multiplicity = "No adjustment was made for multiple secondary outcomes."
    else:
        multiplicity = (
            "Secondary outcomes' p-values are also shown adjusted by the "
            f"{results.multiplicity.capitalize()} method."
        )
    return [
        "Schools were randomised within blocks; the analysis is by intention to treat: every "
        "school is analysed in the arm it was allocated to, whatever it received.",
        "Each outcome was regressed by ordinary least squares on the allocation, the same outcome "
        "in the baseline year and the randomisation blocks. Where a school's local authority could "
        "not provide baseline data, the baseline was set to zero and a missing-baseline indicator "
        f"added. Standard errors are {se}.",
        "Effect sizes are Glass's Δ: the coefficient divided by the standard deviation of the "
        "outcome among control schools; its confidence interval is the coefficient's interval "
        "divided by the same standard deviation, which treats that standard deviation as "
        "known. The % point change is the coefficient × 100.",
        *_glass_carried(results),
        f"Tests are two-sided at the {results.alpha:.0%} level. {multiplicity}",
        "Outcomes an LA could not provide are missing for its schools, never counted as zero.",
        *([randomisation(results.randomisation)] if results.randomisation else []),
    ]


def _glass_carried(results: Results) -> list[str]:
    """The primary outcome's Glass's Δ interval that also carries the control SD's uncertainty."""
    e = results.primary
    if e.glass_sd_ci_low is None or math.isnan(e.glass_sd_ci_low):
        return []
    return [
        "Carrying the control standard deviation's own sampling error as well (delta method: "
        "Var(Δ) ≈ SE²/s² + Δ²/(2(n꜀ − 1))), the primary outcome's Glass's Δ interval is "
        f"{e.glass_sd_ci_low:.3f} to {e.glass_sd_ci_high:.3f}, against "
        f"{e.glass_ci_low:.3f} to {e.glass_ci_high:.3f} with the standard deviation taken as known."
    ]


def randomisation(record: dict[str, object]) -> str:
    """How the allocation was bound to the locked protocol (or that it was not), and the trial
    ledger's head."""
    ledger = record["ledger_head"]
    bound = record["bound"]
    assert isinstance(ledger, dict)
    if isinstance(bound, dict):
        numbers = " ".join(map(str, bound["public_draw"]))
        said = (
            f"The allocation {bound['allocation']} was randomised on {bound['created']} under the "
            f"commitment of the protocol locked with SHA-256 {str(bound['protocol_sha256'])[:12]}:"
            f" its seed ({bound['seed']}) comes from that protocol, the units file committed with "
            f"it and the public draw {numbers}; `threshold randomise verify` recomputes both."
        )
    else:
        said = (
            "The trial ledger records no randomisation under a locked protocol's commitment, so "
            "nothing shows that the allocation analysed was fixed before it was seen."
        )
    return f"{said} Trial ledger head: entry {ledger['entries']}, SHA-256 {ledger['sha256']}."


def footer(results: Results) -> str:
    return f"Produced by {results.software}."
