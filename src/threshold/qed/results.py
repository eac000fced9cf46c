"""Frozen results of a quasi-experimental comparison; each carries the specification behind it."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

CAVEAT = (
    "This comparison is not randomised: DSLs (or schools) chose whether to attend training, so the "
    "groups may differ in ways the data do not show. Selection into training (keener or less "
    "pressed DSLs attend), regression to the mean (units picked after an unusual period drift "
    "back), differences in how contacts are recorded or classed as non-urgent between groups or "
    "periods, and spill-over (trained DSLs passing the guidance to untrained colleagues, which "
    "shrinks the difference) can each bias the estimate either way. Read it as an association "
    "consistent with an effect, not as proof of one."
)


@dataclass(frozen=True)
class Specification:
    """How an estimate was made: model, standard errors, weighting, covariates and level."""

    model: str
    se: str
    weighting: str
    covariates: tuple[str, ...]
    alpha: float
    description: str


@dataclass(frozen=True)
class GroupRate:
    """Contacts per unit of exposure in one group, and how many units made any."""

    group: str
    units: int
    exposure: float
    contacts: float
    rate: float
    any_contact: int
    share_any: float


@dataclass(frozen=True)
class RateRatio:
    """A rate ratio (treated / comparison) with its CI; reduction is 1 − rate ratio."""

    label: str
    estimate: float
    ci_low: float
    ci_high: float
    log_se: float
    p_value: float
    specification: Specification

    @property
    def reduction(self) -> float:
        return 1 - self.estimate

    @property
    def reduction_ci(self) -> tuple[float, float]:
        return 1 - self.ci_high, 1 - self.ci_low


@dataclass(frozen=True)
class ProportionDifference:
    """Share of treated units with any contact minus the comparison share, with its CI."""

    treated: float
    comparison: float
    difference: float
    ci_low: float
    ci_high: float
    method: str


@dataclass(frozen=True)
class Savings:
    """Contacts avoided a year at full roll-out, and their cost, with intervals from the rate
    ratio (transformed CI) and by simulation from the fitted model's sampling distribution."""

    rollout: float
    baseline_rate: float
    cost_per_call: float | None
    calls_avoided: float
    calls_ci: tuple[float, float]
    calls_simulated_ci: tuple[float, float]
    saving: float | None
    saving_ci: tuple[float, float] | None
    baseline_cost: float | None
    draws: int
    seed: int


@dataclass(frozen=True, eq=False)
class Balance:
    """Covariate means and standardised mean differences before and after weighting."""

    method: str
    table: pd.DataFrame
    ess_before: float
    ess_after: float


@dataclass(frozen=True, eq=False)
class QEDResults:
    """The comparison: rates by group, rate ratio, any-contact difference, and optionally the
    difference-in-differences, balance and savings."""

    groups: tuple[GroupRate, GroupRate]
    rate_ratio: RateRatio
    any_contact: ProportionDifference
    did: RateRatio | None
    balance: Balance | None
    savings: Savings | None
    unit_label: str
    config: dict[str, Any]
    notes: tuple[str, ...] = ()
    caveat: str = CAVEAT

    def tidy(self) -> pd.DataFrame:
        """One row per estimate: name, estimate, ci_low, ci_high, specification."""
        rows = [
            {"name": f"rate {g.group}", "estimate": g.rate, "ci_low": None, "ci_high": None}
            for g in self.groups
        ]
        for rr in (self.rate_ratio, self.did):
            if rr is not None:
                rows.append(_rr_row(rr))
                low, high = rr.reduction_ci
                rows.append(
                    {"name": f"reduction ({rr.label})", "estimate": rr.reduction}
                    | {
                        "ci_low": low,
                        "ci_high": high,
                        "specification": rr.specification.description,
                    }
                )
        a = self.any_contact
        rows.append(
            {"name": "difference in share with any contact", "estimate": a.difference}
            | {"ci_low": a.ci_low, "ci_high": a.ci_high, "specification": a.method}
        )
        if self.savings is not None:
            s = self.savings
            rows.append(
                {"name": "calls avoided a year", "estimate": s.calls_avoided}
                | dict(zip(("ci_low", "ci_high"), s.calls_ci, strict=True))
                | {"specification": f"rate difference × {s.rollout:g} at full roll-out"}
            )
            if s.saving is not None and s.saving_ci is not None:
                rows.append(
                    {"name": "saving a year", "estimate": s.saving}
                    | dict(zip(("ci_low", "ci_high"), s.saving_ci, strict=True))
                    | {"specification": f"calls avoided × {s.cost_per_call:g} a call"}
                )
        return pd.DataFrame(
            rows, columns=["name", "estimate", "ci_low", "ci_high", "specification"]
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly copy (NaN becomes None)."""
        out: dict[str, Any] = {
            "unit_label": self.unit_label,
            "config": self.config,
            "groups": [asdict(g) for g in self.groups],
            "rate_ratio": _rr_dict(self.rate_ratio),
            "any_contact": asdict(self.any_contact),
            "did": None if self.did is None else _rr_dict(self.did),
            "balance": None,
            "savings": None if self.savings is None else asdict(self.savings),
            "notes": list(self.notes),
            "caveat": self.caveat,
        }
        if self.balance is not None:
            b = self.balance
            out["balance"] = {
                "method": b.method,
                "ess_before": b.ess_before,
                "ess_after": b.ess_after,
                "table": b.table.to_dict("records"),
            }
        return _clean(out)


def _rr_row(rr: RateRatio) -> dict[str, Any]:
    return {
        "name": f"rate ratio ({rr.label})",
        "estimate": rr.estimate,
        "ci_low": rr.ci_low,
        "ci_high": rr.ci_high,
        "specification": rr.specification.description,
    }


def _rr_dict(rr: RateRatio) -> dict[str, Any]:
    low, high = rr.reduction_ci
    return asdict(rr) | {"reduction": rr.reduction, "reduction_ci": [low, high]}


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()  # numpy scalars
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
