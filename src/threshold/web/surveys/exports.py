"""Survey responses as the data contract's `survey_responses` table: one row per respondent
and wave, keyed by a digest of their token (so waves link per person, and the export holds no
one's link), Warr answers as `WarrAnswer` codes (blank when not asked). Scores follow from
`threshold.surveys.score_responses`. Confidence and the programme questions are not in the
contract and are not exported."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import pandas as pd

from threshold.model import TABLES
from threshold.surveys import WARR_FEELINGS
from threshold.web.programme.models import Programme
from threshold.web.surveys.models import Response

TABLE = "survey_responses"


def export_token(token: str) -> str:
    """A respondent's `respondent_token` in the export: the first 32 upper-case hex digits of
    the SHA-256 of their token. The same at every wave; it cannot be turned back into the
    token, so it does not open their questionnaire."""
    return hashlib.sha256(token.encode()).hexdigest()[:32].upper()


def survey_responses_table(programmes: Iterable[Programme] | None = None) -> pd.DataFrame:
    """Every response, oldest first, in the contract's columns; given `programmes`, only the
    responses to their waves (a trial's: not a school's answers in another year's programme,
    which the contract's `wave` column could not tell apart)."""
    responses = Response.objects.select_related("respondent__school", "wave").order_by("pk")
    if programmes is not None:
        responses = responses.filter(wave__programme__in=[p.pk for p in programmes])
    rows = [
        {
            "respondent_token": export_token(response.respondent.token),
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
