"""The analysis dataset: one row per randomised school, with each protocol outcome and its
baseline, built from contract tables (front-door measures and wellbeing surveys)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from threshold.measures import FRONT_DOOR_MEASURES, MeasureSpec, build_measures
from threshold.model import Arm, DslExperience, InputError, SessionStatus, SurveyRole, SurveyWave
from threshold.surveys import school_means, score_responses
from threshold.trial import Outcome, Protocol

MSG_MISSING_TABLE = "the analysis needs the contract table {table}.csv"
MSG_NO_BASELINE_WINDOW = "outcome {name}: a front-door outcome needs a baseline window"
NO_SCORE = "endline response without a complete score"


@dataclass(frozen=True)
class AnalysisData:
    """`units`: one row per randomised school (allocation, characteristics, delivery).
    `outcomes`: per outcome name, a frame indexed like `units` with `y`, `baseline` (blank if
    unavailable) and `missing_reason`. `measured`: front-door measures already built (`value`
    and `missing_reason` by URN), so a later variant of an outcome is not built again."""

    units: pd.DataFrame
    outcomes: dict[str, pd.DataFrame]
    measured: Mapping[MeasureSpec, pd.DataFrame] = field(default_factory=dict)


def assemble(
    tables: Mapping[str, pd.DataFrame], protocol: Protocol, variants: Iterable[Outcome] = ()
) -> AnalysisData:
    """Join allocation, schools, delivery and every protocol outcome into one dataset. The
    front-door measures of `variants` (outcomes a later analysis will measure, such as another
    baseline window) are built in the same pass and kept in `measured`."""
    for name in ("allocations", "schools"):
        if name not in tables:
            raise InputError(MSG_MISSING_TABLE.format(table=name))
    units = _units(tables)
    outcomes = {}
    measured: dict[MeasureSpec, pd.DataFrame] = {}
    front_door = {o.name: o for o in protocol.outcomes if o.measure in FRONT_DOOR_MEASURES}
    if front_door:
        measured = _measure(tables, [*front_door.values(), *variants])
        outcomes.update(front_door_outcomes(tables, units, front_door, measured))
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
    return AnalysisData(units=units, outcomes=outcomes, measured=measured)


def respondent_outcome(
    tables: Mapping[str, pd.DataFrame], units: pd.DataFrame, outcome: Outcome
) -> AnalysisData:
    """A wellbeing outcome per respondent (DSL), for the multilevel model: each endline response
    of a randomised school with the same respondent's baseline score (linked by token) and the
    school's columns (arm, stratum, characteristics)."""
    if "survey_responses" not in tables:
        raise InputError(MSG_MISSING_TABLE.format(table="survey_responses"))
    responses = tables["survey_responses"]
    scale = outcome.measure.value
    scored = score_responses(responses)
    endline = scored[scored["wave"] == SurveyWave.ENDLINE][["respondent_token", "urn", scale]]
    baseline = scored[scored["wave"] == SurveyWave.BASELINE].set_index("respondent_token")[scale]
    rows = endline.merge(units, on="urn", how="inner", validate="many_to_one")
    rows = rows.reset_index(drop=True)
    y = rows[scale].astype(float)
    frame = pd.DataFrame(
        {
            "y": y,
            "baseline": rows["respondent_token"].map(baseline).astype(float),
            "missing_reason": np.where(y.isna(), NO_SCORE, None),
        },
        index=rows.index,
    )
    return AnalysisData(units=rows.drop(columns=[scale]), outcomes={outcome.name: frame})


def front_door_outcomes(
    tables: Mapping[str, pd.DataFrame],
    units: pd.DataFrame,
    outcomes: Mapping[str, Outcome],
    measured: Mapping[MeasureSpec, pd.DataFrame] | None = None,
) -> dict[str, pd.DataFrame]:
    """Each named outcome over its window, with its baseline window, indexed like `units`;
    the measures in `measured` are used as they are, the others built in one pass."""
    for name in ("contacts", "referrals", "data_gaps"):
        if name not in tables:
            raise InputError(MSG_MISSING_TABLE.format(table=name))
    specs: dict[str, MeasureSpec] = {}
    for name, outcome in outcomes.items():
        if outcome.window is None or outcome.baseline_window is None:
            raise InputError(MSG_NO_BASELINE_WINDOW.format(name=name))
        specs[name] = _spec(outcome, outcome.window)
        specs[f"{name}__baseline"] = _spec(outcome, outcome.baseline_window)
    known = dict(measured or {})
    unbuilt = {name: spec for name, spec in specs.items() if spec not in known}
    if unbuilt:
        known.update(_built(tables, unbuilt))
    frames = {}
    for name in outcomes:
        now = known[specs[name]].reindex(units["urn"])
        before = known[specs[f"{name}__baseline"]].reindex(units["urn"])
        frames[name] = pd.DataFrame(
            {
                "y": now["value"].astype(float).to_numpy(),
                "baseline": before["value"].astype(float).to_numpy(),
                "missing_reason": now["missing_reason"].to_numpy(),
            },
            index=units.index,
        )
    return frames


def _measure(
    tables: Mapping[str, pd.DataFrame], outcomes: Iterable[Outcome]
) -> dict[MeasureSpec, pd.DataFrame]:
    """The measures of every outcome with both windows, built in one pass; a measure that
    cannot be built is left out, to be refused where it is used."""
    if any(name not in tables for name in ("contacts", "referrals", "data_gaps")):
        return {}
    specs = []
    for outcome in outcomes:
        if outcome.window is None or outcome.baseline_window is None:
            continue
        for window in (outcome.window, outcome.baseline_window):
            spec = _spec(outcome, window)
            try:
                spec.check(outcome.name)
            except InputError:
                continue
            specs.append(spec)
    unique = {str(i): spec for i, spec in enumerate(dict.fromkeys(specs))}
    return _built(tables, unique) if unique else {}


def _built(
    tables: Mapping[str, pd.DataFrame], specs: Mapping[str, MeasureSpec]
) -> dict[MeasureSpec, pd.DataFrame]:
    """Each spec's measure (`value`, `missing_reason`) indexed by URN."""
    built = build_measures(
        tables["schools"], tables["contacts"], tables["referrals"], tables["data_gaps"], specs
    ).set_index(["name", "urn"])
    return {spec: built.loc[name] for name, spec in specs.items()}


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
    ssws = tables.get("ssws")
    units["ssw_id"] = (
        units["la_code"].map(ssws.groupby("la_code")["ssw_id"].min()) if ssws is not None else None
    )
    units["sessions_held"] = 0
    sessions = tables.get("sessions")
    if sessions is not None and len(sessions):
        held = sessions[sessions["status"] == SessionStatus.HELD].groupby("urn").size()
        units["sessions_held"] = units["urn"].map(held).fillna(0).astype(int)
        delivered_by = units["urn"].map(sessions.groupby("urn")["ssw_id"].first())
        units["ssw_id"] = delivered_by.fillna(units["ssw_id"])
    units["any_session"] = (units["sessions_held"] > 0).astype(float)
    responses = tables.get("survey_responses")
    if responses is not None:
        units["dsl_experience"] = units["urn"].map(_school_experience(responses))
    return units


def _school_experience(responses: pd.DataFrame) -> pd.Series:
    """Each school's DSL experience band at baseline (the lead DSL's, else the first answer's),
    with under one year and one to two years combined, as the evaluation did."""
    baseline = responses[
        (responses["wave"] == SurveyWave.BASELINE) & responses["dsl_experience"].notna()
    ]
    ordered = baseline.assign(lead=baseline["role"] != SurveyRole.LEAD_DSL).sort_values(
        ["urn", "lead"]
    )
    band = ordered.groupby("urn")["dsl_experience"].first()
    return band.replace({DslExperience.UNDER_1.value: "0_2", DslExperience.YEARS_1_2.value: "0_2"})
