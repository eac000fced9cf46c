"""Delivery of supervision in the synthetic world: sessions, ad hoc support, SSW ratings, costs."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from threshold.model import (
    AdHocChannel,
    AdHocTopic,
    Arm,
    ChangedBy,
    CostCategory,
    CostKind,
    SessionFormat,
    SessionMode,
    SessionStatus,
)
from threshold.synth.config import WorldConfig, school_year_label

SESSION_COUNT_DISTRIBUTION = (35, 7, 14, 16, 17, 23, 13, 10, 10)
"""Treatment schools (of 145) that held 0, 1, …, 8 sessions in the evaluation."""

CENTRAL_TRAINING_COST = 13_000.0
"""Central training of supervising social workers, in pounds (the evaluation's figure)."""


def session_counts(n_schools: int, rng: np.random.Generator) -> np.ndarray:
    """Sessions held per treatment school: the evaluation's distribution, apportioned exactly
    (largest remainders) to `n_schools` and shuffled."""
    shares = np.array(SESSION_COUNT_DISTRIBUTION, dtype=float) / sum(SESSION_COUNT_DISTRIBUTION)
    exact = shares * n_schools
    counts = np.floor(exact).astype(int)
    counts[np.argsort(-(exact - counts), kind="stable")[: n_schools - counts.sum()]] += 1
    return rng.permutation(np.repeat(np.arange(len(shares)), counts))


def build_sessions(
    schools: pd.DataFrame,
    allocation: pd.DataFrame,
    ssw_of_school: pd.Series,
    config: WorldConfig,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Planned sessions for every active treatment school, with the ones held, cancelled or
    rescheduled. Sessions run from the autumn (recruitment was late) to mid-July."""
    year = config.intervention_year
    treated = allocation[(allocation["arm"] == Arm.TREATMENT) & allocation["withdrawn_on"].isna()]
    held_counts = session_counts(len(treated), rng)
    end = dt.date(year + 1, 7, 17)
    rows: list[dict[str, object]] = []
    for urn, held in zip(treated["urn"], held_counts, strict=True):
        group = rng.random() < 0.85
        online_p = rng.uniform(0.1, 0.8)
        start = dt.date(year, 9, 20) + dt.timedelta(days=int(rng.integers(0, 60)))
        changes = int(rng.poisson(0.25 * held + (0.8 if held == 0 else 0)))
        total = held + changes
        if total == 0:
            continue
        window = (end - start).days
        offsets = window * (np.arange(total) + rng.uniform(0.15, 0.85, total)) / total
        statuses = np.array([SessionStatus.HELD.value] * held + [""] * changes, dtype=object)
        statuses = rng.permutation(statuses)
        ids = [f"S{urn}-{k + 1:02d}" for k in range(total)]
        for k in range(total):
            date = start + dt.timedelta(days=int(offsets[k]))
            date -= dt.timedelta(days=max(0, date.weekday() - 4))  # weekends move to Friday
            status = statuses[k] or (
                SessionStatus.RESCHEDULED.value
                if k + 1 < total and statuses[k + 1] == SessionStatus.HELD and rng.random() < 0.6
                else SessionStatus.CANCELLED.value
            )
            is_held = status == SessionStatus.HELD
            fmt = SessionFormat.GROUP if group and rng.random() < 0.9 else SessionFormat.ONE_TO_ONE
            rows.append(
                {
                    "session_id": ids[k],
                    "urn": urn,
                    "ssw_id": ssw_of_school[urn],
                    "session_date": pd.Timestamp(date),
                    "format": fmt.value,
                    "mode": (
                        SessionMode.ONLINE if rng.random() < online_p else SessionMode.FACE_TO_FACE
                    ).value,
                    "status": status,
                    "changed_by": None if is_held else _changed_by(rng),
                    "rescheduled_to": ids[k + 1] if status == SessionStatus.RESCHEDULED else None,
                    "attendees": (int(rng.integers(2, 7)) if fmt is SessionFormat.GROUP else 1)
                    if is_held
                    else None,
                    "duration_minutes": int(rng.choice([60, 75, 90, 90, 105, 120]))
                    if is_held
                    else None,
                }
            )
    return pd.DataFrame(rows, columns=_SESSION_COLUMNS)


_SESSION_COLUMNS = [
    "session_id",
    "urn",
    "ssw_id",
    "session_date",
    "format",
    "mode",
    "status",
    "changed_by",
    "rescheduled_to",
    "attendees",
    "duration_minutes",
]


def _changed_by(rng: np.random.Generator) -> str:
    draw = rng.random()
    if draw < 0.7:
        return ChangedBy.SCHOOL.value
    return (ChangedBy.SSW if draw < 0.9 else ChangedBy.OTHER).value


def build_ad_hoc_support(sessions: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Unplanned support between sessions: more for schools that engage more."""
    held = sessions[sessions["status"] == SessionStatus.HELD]
    rows: list[dict[str, object]] = []
    channels = [c.value for c in AdHocChannel]
    topics = [t.value for t in AdHocTopic]
    for urn, group in held.groupby("urn", sort=True):
        first, last = (
            group["session_date"].min(),
            group["session_date"].max() + pd.Timedelta(days=30),
        )
        for k in range(int(rng.poisson(0.4 * len(group)))):
            day = first + pd.Timedelta(days=int(rng.integers(0, max(1, (last - first).days))))
            rows.append(
                {
                    "support_id": f"A{urn}-{k + 1:02d}",
                    "urn": urn,
                    "ssw_id": group["ssw_id"].iloc[0],
                    "support_date": day,
                    "channel": rng.choice(channels, p=[0.5, 0.33, 0.1, 0.07]),
                    "topic": rng.choice(topics, p=[0.35, 0.3, 0.2, 0.1, 0.05]),
                    "duration_minutes": int(rng.choice([10, 15, 20, 30, 45, 60])),
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "support_id",
            "urn",
            "ssw_id",
            "support_date",
            "channel",
            "topic",
            "duration_minutes",
        ],
    )


def build_ratings(
    allocation: pd.DataFrame,
    sessions: pd.DataFrame,
    ssw_of_school: pd.Series,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """SSWs' need (start) and engagement (end) scores, engagement rising with sessions held."""
    treated = allocation[(allocation["arm"] == Arm.TREATMENT) & allocation["withdrawn_on"].isna()]
    held = sessions[sessions["status"] == SessionStatus.HELD].groupby("urn").size()
    counts = treated["urn"].map(held).fillna(0).to_numpy()
    engagement = np.clip(np.round(1 + 3 * counts / 8 + rng.normal(0, 0.5, len(counts))), 1, 4)
    return pd.DataFrame(
        {
            "urn": treated["urn"].to_numpy(),
            "ssw_id": treated["urn"].map(ssw_of_school).to_numpy(),
            "need": rng.choice([1, 2, 3, 4], size=len(treated), p=[0.1, 0.35, 0.4, 0.15]),
            "engagement": engagement.astype(int),
        }
    )


def build_costs(
    las: pd.DataFrame,
    ssws: pd.DataFrame,
    allocation: pd.DataFrame,
    schools: pd.DataFrame,
    config: WorldConfig,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """LA delivery costs (mainly SSW salary, by the SSWs' FTE in `ssws`) and central SSW training.

    LAs whose schools all withdrew, or that had no treatment school, have no delivery costs.
    """
    year = school_year_label(config.intervention_year)
    la_of = schools.set_index("urn")["la_code"]
    active = allocation[(allocation["arm"] == Arm.TREATMENT) & allocation["withdrawn_on"].isna()]
    treated_per_la = active["urn"].map(la_of).value_counts()
    fte_per_la = ssws.groupby("la_code")["fte"].sum()
    rows: list[tuple[str, str | None, str, str, str, float, str]] = [
        (
            "C-000",
            None,
            year,
            CostCategory.SSW_TRAINING.value,
            CostKind.START_UP.value,
            CENTRAL_TRAINING_COST,
            "Central training of supervising social workers",
        ),
    ]
    for la_code, region in zip(las["la_code"], las["region"], strict=True):
        n_treated = int(treated_per_la.get(la_code, 0))
        if n_treated == 0:
            continue
        london = region == "London"
        fte = float(fte_per_la.get(la_code, 0.0))
        lines = [
            (
                CostCategory.SSW_SALARY,
                CostKind.RECURRING,
                (52_000 if london else 44_000) * 1.28 * fte,
                f"SSW salary and on-costs, {fte:.2f} FTE",
            ),
            (
                CostCategory.TRAVEL,
                CostKind.RECURRING,
                (35 if london else 25) * n_treated * rng.uniform(0.6, 1.4),
                "SSW travel to schools",
            ),
            (
                CostCategory.MANAGEMENT,
                CostKind.RECURRING,
                rng.uniform(800, 2500),
                "Programme management",
            ),
            (
                CostCategory.MATERIALS,
                CostKind.START_UP,
                rng.uniform(150, 600),
                "Printing the programme templates",
            ),
        ]
        for k, (category, kind, amount, text) in enumerate(lines, start=1):
            rows.append(
                (
                    f"C-{la_code}-{k}",
                    la_code,
                    year,
                    category.value,
                    kind.value,
                    round(float(amount), 2),
                    text,
                )
            )
    return pd.DataFrame(
        rows,
        columns=[
            "cost_id",
            "la_code",
            "school_year",
            "category",
            "kind",
            "amount_gbp",
            "description",
        ],
    )
