"""Survey responses as the data contract's `survey_responses` table: one row per respondent
and wave, keyed by the opaque token (so waves link per person), Warr answers as `WarrAnswer`
codes (blank when not asked). Scores follow from `threshold.surveys.score_responses`.
Confidence and the programme questions are not in the contract and are not exported."""

from __future__ import annotations

import pandas as pd

from threshold.model import TABLES
from threshold.surveys import WARR_FEELINGS
from threshold.web.surveys.models import Response

TABLE = "survey_responses"


def survey_responses_table() -> pd.DataFrame:
    """Every response, oldest first, in the contract's columns."""
    responses = Response.objects.select_related("respondent__school", "wave").order_by("pk")
    rows = [
        {
            "respondent_token": response.respondent.token,
            "urn": response.respondent.school.urn,
            "wave": response.wave.wave,
            "response_date": response.submitted_on,
            "role": response.respondent.role or None,
            "dsl_experience": response.dsl_experience or None,
            **{
                f"warr_{feeling}": getattr(response, f"warr_{feeling}") or None
                for feeling in WARR_FEELINGS
            },
        }
        for response in responses
    ]
    return pd.DataFrame(rows, columns=list(TABLES[TABLE].columns))


def contract_tables() -> dict[str, pd.DataFrame]:
    """{"survey_responses": …} in the contract's columns."""
    return {TABLE: survey_responses_table()}
