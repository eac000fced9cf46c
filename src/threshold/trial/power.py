"""Statistical power for two-arm trials: minimum detectable effect size (MDES), power and
required sample size, following Dong & Maynard's PowerUp! formulas with t-based multipliers.

Effect sizes are in standard deviations of the outcome (at the level randomised for unit
designs; of the total pupil-level variance for cluster designs).

- Units randomised (schools as units; PowerUp! IRA1_1 and, with blocks, BIRA2_1f with fixed
  block effects): MDES = M·√((1−R²) / (P(1−P)·N)), df = N − g − 2, or N − 2J − g with J blocks.
- Clusters randomised (pupils in schools; PowerUp! CRA2_2): MDES = M·√(ρ(1−R²₂)/(P(1−P)J) +
  (1−ρ)(1−R²₁)/(P(1−P)J·n)), df = J − g − 2.

M = t(1−α/2, df) + t(power, df) for a two-sided test (t(1−α, df) one-sided). Attrition is the
share of randomised units expected to be lost; the formulas use the units analysed.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal

from scipy import stats

from threshold.model import InputError

MSG_RANGE = "{name}={value!r} must be {rule}"
MSG_TOO_FEW = "{units} analysed units leave {df} degrees of freedom; the design needs more units"
MSG_ICC_WITHOUT_CLUSTERS = (
    "{name}={value!r} describes a cluster design, but no cluster size was given: give "
    "--cluster-size (pupils or DSLs per school), or leave {name} out for a design of units"
)
MSG_UNREACHABLE = "no design with up to {limit:,} units detects an effect of {effect} SD"

Sides = Literal["two", "one"]


@dataclass(frozen=True)
class Design:
    """A two-arm design. `units` is schools (or clusters, when `cluster_size` is given)."""

    units: int
    r2: float = 0.0
    """Share of outcome variance explained by covariates (at the cluster level for clusters)."""
    alpha: float = 0.05
    power: float = 0.8
    p_treat: float = 0.5
    sides: Sides = "two"
    blocks: int = 0
    """Blocks with fixed effects and one treatment effect across them, as the analysis fits
    them (0: not blocked). Unit designs only."""
    covariates: int = 0
    """Covariates in the model besides treatment (and block effects)."""
    attrition: float = 0.0
    cluster_size: int | None = None
    icc: float = 0.0
    r2_within: float = 0.0
    """Pupil-level R² of pupil covariates, for cluster designs."""

    def __post_init__(self) -> None:
        _check("units", self.units, self.units >= 2, "at least 2")
        _check("r2", self.r2, 0 <= self.r2 < 1, "from 0 up to (not including) 1")
        _check("alpha", self.alpha, 0 < self.alpha < 0.5, "between 0 and 0.5")
        _check("power", self.power, 0 < self.power < 1, "between 0 and 1")
        _check("p_treat", self.p_treat, 0 < self.p_treat < 1, "between 0 and 1")
        _check("sides", self.sides, self.sides in ("one", "two"), "'one' or 'two'")
        _check("blocks", self.blocks, self.blocks >= 0, "0 or more")
        _check("covariates", self.covariates, self.covariates >= 0, "0 or more")
        _check(
            "attrition", self.attrition, 0 <= self.attrition < 1, "from 0 up to (not including) 1"
        )
        if self.cluster_size is None:
            for name, value in (("icc", self.icc), ("r2_within", self.r2_within)):
                if value:
                    raise InputError(MSG_ICC_WITHOUT_CLUSTERS.format(name=name, value=value))
        if self.cluster_size is not None:
            _check("cluster_size", self.cluster_size, self.cluster_size >= 1, "at least 1")
            _check("icc", self.icc, 0 <= self.icc <= 1, "between 0 and 1")
            _check("r2_within", self.r2_within, 0 <= self.r2_within < 1, "from 0 up to 1")
            _check("blocks", self.blocks, self.blocks == 0, "0 for a cluster design")

    @property
    def kind(self) -> str:
        if self.cluster_size is not None:
            return "cluster"
        return "blocked units" if self.blocks else "units"

    @property
    def analysed(self) -> float:
        return self.units * (1 - self.attrition)

    @property
    def df(self) -> float:
        if self.cluster_size is not None:
            return self.analysed - self.covariates - 2
        if self.blocks:  # PowerUp!'s BIRA2_1c: block dummies, one (constant) treatment effect
            return self.analysed - self.blocks - self.covariates - 1
        return self.analysed - self.covariates - 2

    @property
    def standard_error(self) -> float:
        """Standard error of the impact estimate, in outcome standard deviations."""
        spread = self.p_treat * (1 - self.p_treat)
        if self.cluster_size is None:
            return math.sqrt((1 - self.r2) / (spread * self.analysed))
        between = self.icc * (1 - self.r2) / (spread * self.analysed)
        within = (
            (1 - self.icc) * (1 - self.r2_within) / (spread * self.analysed * self.cluster_size)
        )
        return math.sqrt(between + within)

    def _critical(self) -> float:
        tail = self.alpha / 2 if self.sides == "two" else self.alpha
        return float(stats.t.ppf(1 - tail, self._checked_df()))

    def _checked_df(self) -> float:
        if self.df < 1:
            raise InputError(
                MSG_TOO_FEW.format(units=round(self.analysed, 1), df=round(self.df, 1))
            )
        return self.df


@dataclass(frozen=True)
class PowerResult:
    """The answer and the quantities behind it."""

    solved_for: Literal["mdes", "power", "units"]
    design: Design
    effect: float
    """The MDES, or the effect whose power or required units were computed (SD)."""
    power: float
    units: int
    df: float
    multiplier: float
    """Effect ÷ standard error: for an MDES, the multiplier M."""
    standard_error: float

    @property
    def answer(self) -> float:
        return {"mdes": self.effect, "power": self.power, "units": self.units}[self.solved_for]

    def to_dict(self) -> dict[str, object]:
        inputs = asdict(self.design)
        if self.design.cluster_size is None:
            for name in ("cluster_size", "icc", "r2_within"):
                del inputs[name]
        return {
            self.solved_for: self.answer,
            "design": self.design.kind,
            "effect": self.effect,
            "power": self.power,
            "units": self.units,
            "df": self.df,
            "multiplier": self.multiplier,
            "standard_error": self.standard_error,
            "inputs": inputs,
        }


def mdes(design: Design) -> PowerResult:
    """The minimum detectable effect size at the design's power and alpha."""
    multiplier = design._critical() + float(stats.t.ppf(design.power, design.df))
    return _result("mdes", design, multiplier * design.standard_error)


def power(design: Design, effect: float) -> PowerResult:
    """The power to detect `effect` (in SD) — `design.power` is ignored."""
    _check("effect", effect, effect > 0, "above 0")
    shift = effect / design.standard_error
    critical = design._critical()
    achieved = float(stats.t.cdf(shift - critical, design.df))
    if design.sides == "two":
        achieved += float(stats.t.cdf(-shift - critical, design.df))
    return _result("power", design, effect, achieved=achieved)


def required_units(design: Design, effect: float, *, limit: int = 10_000_000) -> PowerResult:
    """The fewest units (schools, or clusters) to randomise to detect `effect` at the design's
    power — `design.units` is ignored."""
    _check("effect", effect, effect > 0, "above 0")

    def detects(units: int) -> bool:
        candidate = _with_units(design, units)
        return candidate.df >= 1 and mdes(candidate).effect <= effect

    low, high = 2, 4
    while not detects(high):
        low, high = high, high * 2
        if high > limit:
            raise InputError(MSG_UNREACHABLE.format(limit=limit, effect=effect))
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if detects(middle) else (middle, high)
    found = _with_units(design, high)
    return _result("units", found, effect, achieved=power(found, effect).power)


def _with_units(design: Design, units: int) -> Design:
    return Design(**{**asdict(design), "units": units})


def _result(
    solved_for: Literal["mdes", "power", "units"],
    design: Design,
    effect: float,
    *,
    achieved: float | None = None,
) -> PowerResult:
    multiplier = effect / design.standard_error
    return PowerResult(
        solved_for=solved_for,
        design=design,
        effect=effect,
        power=design.power if achieved is None else achieved,
        units=design.units,
        df=design.df,
        multiplier=multiplier,
        standard_error=design.standard_error,
    )


def _check(name: str, value: object, ok: bool, rule: str) -> None:
    if not ok:
        raise InputError(MSG_RANGE.format(name=name, value=value, rule=rule))
