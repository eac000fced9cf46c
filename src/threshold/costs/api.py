"""Delivery costs per school and per LA, both ways the evaluation computed them, with start-up and
recurring costs, central costs, school-side cover and the cost per contact avoided."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import pandas as pd

from threshold.model import Arm, CostCategory, CostKind, InputError, SessionStatus

MSG_NO_DELIVERY_COSTS = (
    "costs.csv has no delivery cost lines (every line is school cover, or the file is empty); "
    "add the LAs' and the central delivery costs"
)
MSG_LA_WITHOUT_SCHOOLS = (
    "costs.csv: LA {la} has delivery costs but no school assigned to treatment (and not "
    "withdrawn) in allocations.csv; check the allocation, or remove that LA's cost lines"
)
MSG_NO_LA_COSTS = (
    "costs.csv has only central costs (blank la_code); cost per school needs the LAs' own "
    "delivery costs"
)
MSG_BAD_COVER_RATE = "cover rate {value!r}: give the cost of cover in pounds per hour, 0 or more"
MSG_BAD_EFFECT = (
    "effect on contacts per school: the CI {low}:{high} must be finite, run low to high and "
    "contain the estimate {estimate}"
)

PLANNED_SESSION_HOURS = 2.0
"""Session length assumed for cover where a held session has no recorded duration (the planned
maximum, so the cover cost is not understated)."""

REASON_DEFINED = "defined"
REASON_HARMFUL = (
    "not defined: the estimated effect is no reduction in contacts (zero or an increase), so "
    "there are no contacts avoided to cost"
)
REASON_CI_INCLUDES_ZERO = (
    "not defined: the effect's confidence interval includes zero (no reduction is ruled out), "
    "so the cost per contact avoided has no finite bound"
)

MSG_METHODS_EQUAL = (
    "The two methods agree (£{pooled:,.0f}): every LA has the same cost per school, so weighting "
    "LAs by their schools or equally makes no difference."
)
MSG_METHODS_DIFFER = (
    "Total spend ÷ schools assigned (£{pooled:,.0f}) weights each LA by its number of schools; "
    "the simple mean of per-LA figures (£{mean:,.0f}) weights every LA equally, so it is "
    "{direction}: LAs with few schools tend to cost {more_less} per school and count for more in "
    "it than their share of schools ({which} LA {la}: {n} schools, £{cost:,.0f} per school; "
    "the largest, LA {big}: {n_big} schools, £{cost_big:,.0f})."
)


@dataclass(frozen=True)
class ContactEffect:
    """The programme's estimated effect on contacts per school per year (treatment − control;
    a reduction is negative), with its confidence interval."""

    estimate: float
    ci_low: float
    ci_high: float
    source: str = ""

    def __post_init__(self) -> None:
        values = (self.estimate, self.ci_low, self.ci_high)
        if not all(math.isfinite(v) for v in values) or not (
            self.ci_low <= self.estimate <= self.ci_high
        ):
            raise InputError(
                MSG_BAD_EFFECT.format(low=self.ci_low, high=self.ci_high, estimate=self.estimate)
            )


@dataclass(frozen=True)
class CostPerContactAvoided:
    """Cost per school per year ÷ contacts avoided per school per year; the effect's CI gives the
    CI (cost taken as known). `value` is None, with the reason, when it is not defined."""

    reason: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    contacts_avoided_per_school: float
    schools: int
    effect: ContactEffect

    @property
    def defined(self) -> bool:
        return self.value is not None

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "defined": self.defined}


@dataclass(frozen=True)
class SchoolSideCosts:
    """Costs schools bear: cover reported in costs.csv plus DSL time in held sessions × a rate."""

    reported: float
    attendee_hours: float
    imputed_sessions: int
    cover_rate: float | None
    cover: float | None
    total: float
    per_school_per_year: float

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class CostSummary:
    """Delivery costs per school per year, both ways, with the breakdowns behind them."""

    school_years: tuple[str, ...]
    schools_assigned: int
    la_spend: float
    central_spend: float
    start_up: float
    recurring: float
    per_school_pooled: float
    per_school_mean_of_las: float
    la_only_pooled: float
    la_only_mean_of_las: float
    la_only_min: float
    la_only_max: float
    recurring_per_school_per_year: float
    start_up_per_school: float
    methods_note: str
    by_la: pd.DataFrame
    by_category: pd.DataFrame
    school_side: SchoolSideCosts | None = None
    sessions_held: int | None = None
    cost_per_session_held: float | None = None
    per_contact_avoided: CostPerContactAvoided | None = None
    notes: tuple[str, ...] = ()

    @property
    def total_spend(self) -> float:
        return self.la_spend + self.central_spend

    def tidy(self) -> pd.DataFrame:
        """The headline figures, one row a measure, in pounds unless the measure says."""
        rows = {
            "total_spend": self.total_spend,
            "la_spend": self.la_spend,
            "central_spend": self.central_spend,
            "start_up": self.start_up,
            "recurring": self.recurring,
            "schools_assigned": self.schools_assigned,
            "per_school_per_year_pooled": self.per_school_pooled,
            "per_school_per_year_mean_of_las": self.per_school_mean_of_las,
            "la_only_per_school_per_year_pooled": self.la_only_pooled,
            "la_only_per_school_per_year_mean_of_las": self.la_only_mean_of_las,
            "la_only_per_school_per_year_min": self.la_only_min,
            "la_only_per_school_per_year_max": self.la_only_max,
            "recurring_per_school_per_year": self.recurring_per_school_per_year,
            "start_up_per_school": self.start_up_per_school,
        }
        if self.cost_per_session_held is not None:
            rows["cost_per_session_held"] = self.cost_per_session_held
        if self.school_side is not None:
            rows["school_side_per_school_per_year"] = self.school_side.per_school_per_year
        if self.per_contact_avoided is not None and self.per_contact_avoided.defined:
            rows["cost_per_contact_avoided"] = self.per_contact_avoided.value
        return pd.DataFrame({"measure": list(rows), "value": [float(v) for v in rows.values()]})

    def to_dict(self) -> dict[str, object]:
        scalars = {
            name: value
            for name, value in asdict(self).items()
            if name not in {"by_la", "by_category", "school_side", "per_contact_avoided"}
        }
        return {
            **scalars,
            "school_years": list(self.school_years),
            "notes": list(self.notes),
            "total_spend": self.total_spend,
            "by_la": _records(self.by_la),
            "by_category": _records(self.by_category),
            "school_side": None if self.school_side is None else self.school_side.to_dict(),
            "per_contact_avoided": (
                None if self.per_contact_avoided is None else self.per_contact_avoided.to_dict()
            ),
        }


def summarise_costs(
    costs: pd.DataFrame,
    allocations: pd.DataFrame,
    schools: pd.DataFrame,
    *,
    sessions: pd.DataFrame | None = None,
    cover_rate: float | None = None,
    effect: ContactEffect | None = None,
) -> CostSummary:
    """Delivery cost per school per year from contract tables (costs, allocations, schools).

    Schools assigned are treatment-arm schools not withdrawn, in LAs with delivery cost lines.
    Central lines (blank LA) are shared among them in proportion to schools; school cover lines
    are school-side, not delivery. Every figure is divided by the school years in the costs.
    """
    if cover_rate is not None and not (math.isfinite(cover_rate) and cover_rate >= 0):
        raise InputError(MSG_BAD_COVER_RATE.format(value=cover_rate))
    is_cover = costs["category"] == CostCategory.SCHOOL_COVER
    delivery = costs[~is_cover]
    if delivery.empty:
        raise InputError(MSG_NO_DELIVERY_COSTS)
    central_lines = delivery["la_code"].isna()
    if central_lines.all():
        raise InputError(MSG_NO_LA_COSTS)
    years = tuple(sorted(delivery["school_year"].unique()))
    n_years = len(years)

    la_of = schools.set_index("urn")["la_code"]
    treated = allocations[
        (allocations["arm"] == Arm.TREATMENT) & allocations["withdrawn_on"].isna()
    ]
    treated_la = treated["urn"].map(la_of)
    assigned_all = treated_la.value_counts()
    la_lines = delivery[~central_lines]
    la_codes = sorted(la_lines["la_code"].unique())
    for la in la_codes:
        if assigned_all.get(la, 0) == 0:
            raise InputError(MSG_LA_WITHOUT_SCHOOLS.format(la=la))
    assigned = assigned_all.reindex(la_codes).astype(int)
    n_schools = int(assigned.sum())
    notes: list[str] = []
    left_out = int(assigned_all.drop(la_codes, errors="ignore").sum())
    if left_out:
        notes.append(
            f"{left_out} treatment school(s) in LAs without delivery cost lines are left out of "
            "every per-school figure."
        )

    central = float(delivery.loc[central_lines, "amount_gbp"].sum())
    by_la = _by_la(la_lines, assigned, central, n_schools, n_years)
    la_spend = float(by_la["la_spend"].sum())
    start_up = float(delivery.loc[delivery["kind"] == CostKind.START_UP, "amount_gbp"].sum())
    recurring = float(delivery.loc[delivery["kind"] == CostKind.RECURRING, "amount_gbp"].sum())
    pooled = (la_spend + central) / n_schools / n_years
    mean_of_las = float(by_la["cost_per_school_per_year"].mean())

    in_scope = treated[treated_la.isin(la_codes).to_numpy()]["urn"]
    summary = CostSummary(
        school_years=years,
        schools_assigned=n_schools,
        la_spend=la_spend,
        central_spend=central,
        start_up=start_up,
        recurring=recurring,
        per_school_pooled=pooled,
        per_school_mean_of_las=mean_of_las,
        la_only_pooled=la_spend / n_schools / n_years,
        la_only_mean_of_las=float(by_la["la_only_per_school_per_year"].mean()),
        la_only_min=float(by_la["la_only_per_school_per_year"].min()),
        la_only_max=float(by_la["la_only_per_school_per_year"].max()),
        recurring_per_school_per_year=recurring / n_schools / n_years,
        start_up_per_school=start_up / n_schools,
        methods_note=_methods_note(pooled, mean_of_las, by_la),
        by_la=by_la,
        by_category=_by_category(delivery),
        notes=tuple(notes),
    )
    changes: dict[str, object] = {}
    held = None
    if sessions is not None:
        held = sessions[(sessions["status"] == SessionStatus.HELD) & sessions["urn"].isin(in_scope)]
        changes["sessions_held"] = len(held)
        changes["cost_per_session_held"] = summary.total_spend / len(held) if len(held) else None
    if held is not None or is_cover.any():
        changes["school_side"] = _school_side(costs[is_cover], held, cover_rate, n_schools, n_years)
    if effect is not None:
        changes["per_contact_avoided"] = cost_per_contact_avoided(pooled, effect, n_schools)
    return replace(summary, **changes)


def cost_per_contact_avoided(
    cost_per_school: float, effect: ContactEffect, schools: int
) -> CostPerContactAvoided:
    """Total cost ÷ (contacts avoided per school × schools), i.e. cost per school ÷ contacts
    avoided per school. Not defined when the effect is no reduction or its CI includes zero."""
    avoided = -effect.estimate
    if effect.estimate >= 0:
        reason, value, low, high = REASON_HARMFUL, None, None, None
    elif effect.ci_high >= 0:
        reason, value, low, high = REASON_CI_INCLUDES_ZERO, None, None, None
    else:
        reason = REASON_DEFINED
        value = cost_per_school / avoided
        low, high = cost_per_school / -effect.ci_low, cost_per_school / -effect.ci_high
    return CostPerContactAvoided(
        reason=reason,
        value=value,
        ci_low=low,
        ci_high=high,
        contacts_avoided_per_school=avoided,
        schools=schools,
        effect=effect,
    )


def _by_la(
    lines: pd.DataFrame, assigned: pd.Series, central: float, n_schools: int, n_years: int
) -> pd.DataFrame:
    spend = lines.groupby("la_code")["amount_gbp"].sum()
    kinds = (
        lines.groupby(["la_code", "kind"], observed=True)["amount_gbp"]
        .sum()
        .unstack()
        .reindex(index=assigned.index, columns=[k.value for k in CostKind])
        .fillna(0.0)
    )
    frame = pd.DataFrame(
        {
            "la_code": assigned.index,
            "schools_assigned": assigned.to_numpy(),
            "la_spend": spend.reindex(assigned.index).to_numpy(dtype=float),
            "start_up": kinds[CostKind.START_UP.value].to_numpy(),
            "recurring": kinds[CostKind.RECURRING.value].to_numpy(),
        }
    ).reset_index(drop=True)
    frame["central_share"] = central * frame["schools_assigned"] / n_schools
    per_school = frame["schools_assigned"] * n_years
    frame["la_only_per_school_per_year"] = frame["la_spend"] / per_school
    frame["cost_per_school_per_year"] = (frame["la_spend"] + frame["central_share"]) / per_school
    return frame


def _by_category(delivery: pd.DataFrame) -> pd.DataFrame:
    frame = (
        delivery.assign(central=delivery["la_code"].isna())
        .groupby(["category", "kind", "central"], as_index=False)["amount_gbp"]
        .sum()
    )
    order = {code.value: k for k, code in enumerate(CostCategory)}
    return frame.sort_values(
        ["category", "kind", "central"], key=lambda c: c.map(order) if c.name == "category" else c
    ).reset_index(drop=True)


def _school_side(
    reported_lines: pd.DataFrame,
    held: pd.DataFrame | None,
    cover_rate: float | None,
    n_schools: int,
    n_years: int,
) -> SchoolSideCosts:
    reported = float(reported_lines["amount_gbp"].sum())
    hours, imputed = 0.0, 0
    if held is not None:
        duration = held["duration_minutes"].astype(float) / 60
        imputed = int(duration.isna().sum())
        hours = float(
            (held["attendees"].astype(float) * duration.fillna(PLANNED_SESSION_HOURS)).sum()
        )
    cover = None if cover_rate is None or held is None else hours * cover_rate
    total = reported + (cover or 0.0)
    return SchoolSideCosts(
        reported=reported,
        attendee_hours=hours,
        imputed_sessions=imputed,
        cover_rate=cover_rate,
        cover=cover,
        total=total,
        per_school_per_year=total / n_schools / n_years,
    )


def _methods_note(pooled: float, mean: float, by_la: pd.DataFrame) -> str:
    if math.isclose(pooled, mean, rel_tol=1e-9):
        return MSG_METHODS_EQUAL.format(pooled=pooled)
    dearest = by_la.loc[by_la["cost_per_school_per_year"].idxmax()]
    cheapest = by_la.loc[by_la["cost_per_school_per_year"].idxmin()]
    largest = by_la.loc[by_la["schools_assigned"].idxmax()]
    smallest_is_dear = mean > pooled
    pick = dearest if smallest_is_dear else cheapest
    return MSG_METHODS_DIFFER.format(
        pooled=pooled,
        mean=mean,
        direction="higher" if smallest_is_dear else "lower",
        more_less="more" if smallest_is_dear else "less",
        which="dearest" if smallest_is_dear else "cheapest",
        la=pick["la_code"],
        n=int(pick["schools_assigned"]),
        cost=pick["cost_per_school_per_year"],
        big=largest["la_code"],
        n_big=int(largest["schools_assigned"]),
        cost_big=largest["cost_per_school_per_year"],
    )


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    return [
        {k: (None if pd.isna(v) else v) for k, v in row.items()}
        for row in frame.astype(object).to_dict(orient="records")
    ]
