"""Results of an impact analysis: frozen records with `to_dict()` for results.json and `tidy()`
tables. The report renders these and never refits a model."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd


@dataclass(frozen=True)
class ArmSummary:
    """Unadjusted mean of an outcome in one arm, its 95% CI, n with a value and n missing."""

    mean: float
    ci_low: float
    ci_high: float
    n: int
    n_missing: int
    sd: float


@dataclass(frozen=True)
class Estimate:
    """One impact estimate, laid out as in the evaluation's tables."""

    outcome: str
    analysis: str
    description: str
    coef: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    glass_delta: float
    glass_ci_low: float
    glass_ci_high: float
    pct_point: float | None
    pct_point_ci_low: float | None
    pct_point_ci_high: float | None
    n_treatment: int
    n_control: int
    treatment: ArmSummary
    control: ArmSummary
    dropped: tuple[str, ...]
    specification: dict[str, object]
    p_adjusted: float | None = None
    hedges_g: float | None = None
    """Hedges' g on the residual SD (eefAnalytics' conditional g), with its CI."""
    hedges_ci_low: float | None = None
    hedges_ci_high: float | None = None
    hedges_g_unconditional: float | None = None
    """Hedges' g on the outcome's SD (eefAnalytics' unconditional g), with its CI."""
    hedges_unconditional_ci_low: float | None = None
    hedges_unconditional_ci_high: float | None = None
    glass_sd_ci_low: float | None = None
    """Glass's Δ's CI carrying the control SD's uncertainty (`glass_delta_sd_estimated`)."""
    glass_sd_ci_high: float | None = None

    def to_dict(self) -> dict[str, object]:
        values = asdict(self)
        values["dropped"] = list(self.dropped)
        return values


NOTE_DROPPED = (
    "{outcome} ({analysis}): dropped as collinear with the regressors before them: {columns}."
)


@dataclass(frozen=True)
class Results:
    """Everything an analysis produced, for the report and results.json."""

    trial: str
    confirmatory: bool
    protocol_state: str
    protocol_sha256: str | None
    alpha: float
    multiplicity: str
    standard_errors: str
    estimates: tuple[Estimate, ...]
    attrition: pd.DataFrame
    balance: pd.DataFrame
    software: str
    notes: tuple[str, ...] = field(default=())
    randomisation_inference: dict[str, object] | None = None
    """The primary outcome's randomisation-inference p-value (the trial's own procedure)."""
    distributions: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    """Per outcome, the analysed schools' values by arm (`treatment`, `control`), for figures."""
    randomisation: dict[str, object] | None = None
    """The trial ledger's head (`ledger_head`) and its last randomisation under a locked
    protocol's commitment (`bound`, None when there is none); None without a protocol."""

    @property
    def primary(self) -> Estimate:
        return next(e for e in self.estimates if e.analysis == "primary")

    @property
    def all_notes(self) -> tuple[str, ...]:
        """The notes, then one for each estimate whose model dropped collinear columns (the
        report lists them all, so no adjustment disappears unseen)."""
        dropped = tuple(
            NOTE_DROPPED.format(
                outcome=e.outcome, analysis=e.analysis, columns=", ".join(e.dropped)
            )
            for e in self.estimates
            if e.dropped
        )
        return (*self.notes, *dropped)

    def tidy(self) -> pd.DataFrame:
        rows = []
        for estimate in self.estimates:
            row = {
                k: v
                for k, v in estimate.to_dict().items()
                if k not in ("treatment", "control", "specification")
            }
            row.update({f"treatment_{k}": v for k, v in asdict(estimate.treatment).items()})
            row.update({f"control_{k}": v for k, v in asdict(estimate.control).items()})
            rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, object]:
        return {
            "trial": self.trial,
            "confirmatory": self.confirmatory,
            "protocol": {"state": self.protocol_state, "sha256": self.protocol_sha256},
            "alpha": self.alpha,
            "multiplicity": self.multiplicity,
            "standard_errors": self.standard_errors,
            "software": self.software,
            "notes": list(self.all_notes),
            "randomisation_inference": self.randomisation_inference,
            "randomisation": self.randomisation,
            "distributions": self.distributions,
            "estimates": [estimate.to_dict() for estimate in self.estimates],
            "attrition": _records(self.attrition),
            "balance": _records(self.balance),
        }


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    return [
        {k: (None if pd.isna(v) else v) for k, v in row.items()}
        for row in frame.astype(object).to_dict(orient="records")
    ]
