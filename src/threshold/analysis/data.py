"""The analysis dataset: one row per randomised school, with each protocol outcome and its
baseline, built from contract tables (front-door measures and wellbeing surveys)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from threshold.measures import FRONT_DOOR_MEASURES, MeasureSpec, build_measures
from threshold.model import Arm, InputError, SessionStatus, SurveyWave
from threshold.surveys import school_means
from threshold.trial import Outcome, Protocol

MSG_MISSING_TABLE = "the analysis needs the contract table {table}.csv"
MSG_NO_BASELINE_WINDOW = "outcome {name}: a front-door outcome needs a baseline window"


@dataclass(frozen=True)
class AnalysisData:
    """`units`: one row per randomised school (allocation, characteristics, delivery).
    `outcomes`: per outcome name, a frame indexed like `units` with `y`, `baseline` (blank if
    unavailable) and `missing_reason`."""

    units: pd.DataFrame
    outcomes: dict[str, pd.DataFrame]


def assemble(tables: Mapping[str, pd.DataFrame], protocol: Protocol) -> AnalysisData:
    """Join allocation, schools, delivery and every protocol outcome into one dataset."""
    for name in ("allocations", "schools"):
        if name not in tables:
            raise InputError(MSG_MISSING_TABLE.format(table=name))
    units = _units(tables)
    outcomes = {}
    front_door = [o for o in protocol.outcomes if o.measure in FRONT_DOOR_MEASURES]
    if front_door:
        for name in ("contacts", "referrals", "data_gaps"):
            if name not in tables:
                raise InputError(MSG_MISSING_TABLE.format(table=name))
        specs: dict[str, MeasureSpec] = {}
        for outcome in front_door:
            if outcome.window is None or outcome.baseline_window is None:
                raise InputError(MSG_NO_BASELINE_WINDOW.format(name=outcome.name))
            specs[outcome.name] = _spec(outcome, outcome.window)
            specs[f"{outcome.name}__baseline"] = _spec(outcome, outcome.baseline_window)
        built = build_measures(
            tables["schools"], tables["contacts"], tables["referrals"], tables["data_gaps"], specs
        ).set_index(["name", "urn"])
        for outcome in front_door:
            now = built.loc[outcome.name].reindex(units["urn"])
            before = built.loc[f"{outcome.name}__baseline"].reindex(units["urn"])
            outcomes[outcome.name] = pd.DataFrame(
                {
                    "y": now["value"].astype(float).to_numpy(),
                    "baseline": before["value"].astype(float).to_numpy(),
                    "missing_reason": now["missing_reason"].to_numpy(),
                },
                index=units.index,
            )
    wellbeing = [o for o in protocol.outcomes if o.measure not in FRONT_DOOR_MEASURES]
    if wellbeing:
        if "survey_responses" not in tables:
            raise InputError(MSG_MISSING_TABLE.format(table="survey_responses"))
        responses = tables["survey_responses"]
        endline = school_means(responses, SurveyWave.ENDLINE).set_index("urn").reindex(units["urn"])
        baseline = (
            school_means(responses, SurveyWave.BASELINE).set_index("urn").reindex(units["urn"])
        )
        for outcome in wellbeing:
            y = endline[outcome.measure.value].to_numpy(dtype=float)
            outcomes[outcome.name] = pd.DataFrame(
                {
                    "y": y,
                    "baseline": baseline[outcome.measure.value].to_numpy(dtype=float),
                    "missing_reason": np.where(np.isnan(y), "no endline survey response", None),
                },
                index=units.index,
            )
    return AnalysisData(units=units, outcomes=outcomes)


def _spec(outcome: Outcome, window: tuple) -> MeasureSpec:
    return MeasureSpec(
        outcome.measure, window[0], window[1], outcome.per_pupil, outcome.observed_by
    )


def _units(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    allocation = tables["allocations"]
    schools = tables["schools"]
    units = allocation.merge(schools, on="urn", how="left", validate="one_to_one")
    units["treated"] = (units["arm"] == Arm.TREATMENT).astype(float)
    units["withdrawn"] = units["withdrawn_on"].notna() if "withdrawn_on" in units else False
    sessions = tables.get("sessions")
    if sessions is not None and len(sessions):
        held = sessions[sessions["status"] == SessionStatus.HELD].groupby("urn").size()
        units["sessions_held"] = units["urn"].map(held).fillna(0).astype(int)
        first_ssw = sessions.groupby("urn")["ssw_id"].first()
        units["ssw_id"] = units["urn"].map(first_ssw)
    else:
        units["sessions_held"] = 0
        units["ssw_id"] = None
    units["any_session"] = (units["sessions_held"] > 0).astype(float)
    return units
