"""DSL wellbeing surveys in the synthetic world: Warr's six job-related affect items at baseline
(October) and endline (June–July), with the evaluation's school-level response rates by arm.

Each member of a school's safeguarding team keeps one respondent token for both waves, so the
waves link person by person (which the evaluation could not do).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from threshold.model import WARR_SCORES, Arm, DslExperience, SurveyRole, SurveyWave
from threshold.synth.config import WorldConfig

SCHOOL_RESPONSE_RATE = {
    (SurveyWave.BASELINE, Arm.TREATMENT): 0.53,
    (SurveyWave.BASELINE, Arm.CONTROL): 0.36,
    (SurveyWave.ENDLINE, Arm.TREATMENT): 0.31,
    (SurveyWave.ENDLINE, Arm.CONTROL): 0.22,
}
"""Share of schools with at least one response, by wave and arm (the evaluation's figures)."""

_EXPERIENCE = (0.1, 0.18, 0.2, 0.17, 0.15, 0.2)
_ANSWER_OF_SCORE = {score: answer.value for answer, score in WARR_SCORES.items()}
_TOKEN_ALPHABET = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ23456789"))
_FEELINGS = (("tense", "worried", "uneasy"), ("depressed", "gloomy", "miserable"))
_SCALE_MEANS = (0.2, 1.3)
"""Person means of item scores (anxiety–contentment, depression–enthusiasm), before clipping."""
_SCALE_SDS = (0.78, 0.72)


def build_survey_responses(
    schools: pd.DataFrame,
    allocation: pd.DataFrame,
    held_sessions: pd.Series,
    config: WorldConfig,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Responses of every active school's safeguarding team at both waves."""
    arms = allocation.set_index("urn")
    active = arms[arms["withdrawn_on"].isna()]
    rows: list[dict[str, object]] = []
    year = config.intervention_year
    windows = {
        SurveyWave.BASELINE: (dt.date(year, 10, 1), 31),
        SurveyWave.ENDLINE: (dt.date(year + 1, 6, 13), 33),
    }
    for urn in schools["urn"]:
        if urn not in active.index:
            continue
        arm = Arm(active.at[urn, "arm"])
        team = int(rng.integers(3, 6))
        tokens = ["".join(rng.choice(_TOKEN_ALPHABET, 12)) for _ in range(team)]
        experience = rng.choice(DslExperience.values(), size=team, p=_EXPERIENCE)
        person = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], size=team)
        responded_before = np.zeros(team, dtype=bool)
        for wave in (SurveyWave.BASELINE, SurveyWave.ENDLINE):
            if rng.random() >= SCHOOL_RESPONSE_RATE[(wave, arm)]:
                continue
            p = np.where(responded_before, 0.7, 0.4)
            responds = rng.random(team) < p
            if not responds.any():
                responds[int(rng.integers(team))] = True
            shift = np.zeros(2)
            if (
                wave is SurveyWave.ENDLINE
                and arm is Arm.TREATMENT
                and held_sessions.get(urn, 0) > 0
            ):
                shift = (
                    np.array(
                        [config.effects.anxiety_contentment, config.effects.depression_enthusiasm]
                    )
                    / 3
                )
            start, days = windows[wave]
            for member in np.flatnonzero(responds):
                occasion = rng.normal(0, 0.35, 2)
                level = (
                    np.array(_SCALE_MEANS)
                    + np.array(_SCALE_SDS) * person[member]
                    + occasion
                    + shift
                )
                row: dict[str, object] = {
                    "respondent_token": tokens[member],
                    "urn": urn,
                    "wave": wave.value,
                    "response_date": pd.Timestamp(
                        start + dt.timedelta(days=int(rng.integers(0, days)))
                    ),
                    "role": (
                        SurveyRole.LEAD_DSL
                        if member == 0
                        else (SurveyRole.DEPUTY_DSL if member < 3 else SurveyRole.SAFEGUARDING_TEAM)
                    ).value,
                    "dsl_experience": experience[member],
                }
                for scale, feelings in enumerate(_FEELINGS):
                    scores = np.clip(np.round(level[scale] + rng.normal(0, 0.45, 3)), -2, 2).astype(
                        int
                    )
                    for feeling, score in zip(feelings, scores, strict=True):
                        answered = rng.random() >= 0.02
                        row[f"warr_{feeling}"] = _ANSWER_OF_SCORE[int(score)] if answered else None
                rows.append(row)
            responded_before |= responds
    columns = [
        "respondent_token",
        "urn",
        "wave",
        "response_date",
        "role",
        "dsl_experience",
        *(f"warr_{f}" for feelings in _FEELINGS for f in feelings),
    ]
    return pd.DataFrame(rows, columns=columns)
