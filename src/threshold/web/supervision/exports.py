"""Supervision records as the data contract's tables (`ad_hoc_support`, `delivery_ratings`).

Ids are strings; `ssw_id` is `programme.exports.ssw_id`, so rows refer to the `ssws` table.
The contract keeps one `delivery_ratings` row per school: from the school's latest programme
year, `need` is the earliest term's need score and `engagement` the latest term's engagement
score; `ssw_id` is whoever gave the latest of the two.
"""

from __future__ import annotations

import pandas as pd

from threshold.web.programme.exports import contract_frame, ssw_id
from threshold.web.supervision.models import AdHocSupport, DeliveryRating


def ad_hoc_support_table() -> pd.DataFrame:
    """Every episode of ad hoc support, one row each, oldest first."""
    rows = [
        {
            "support_id": str(item.pk),
            "urn": item.enrolment.school.urn,
            "ssw_id": ssw_id(item.ssw_id),
            "support_date": item.support_date,
            "channel": item.channel,
            "topic": item.topic,
            "duration_minutes": item.duration_minutes,
        }
        for item in AdHocSupport.objects.select_related("enrolment__school").order_by("pk")
    ]
    frame = contract_frame("ad_hoc_support", rows)
    frame["duration_minutes"] = frame["duration_minutes"].astype("Int64")
    return frame


def delivery_ratings_table() -> pd.DataFrame:
    """One row per school scored, from its latest programme year."""
    ratings = DeliveryRating.objects.select_related(
        "enrolment__school", "enrolment__programme"
    ).order_by("enrolment__school__urn", "-enrolment__programme__school_year", "term")
    latest_year: dict[int, str] = {}
    rows: dict[int, dict[str, object]] = {}
    for rating in ratings:  # terms in order: autumn, spring, summer
        urn, year = rating.enrolment.school.urn, rating.enrolment.programme.school_year
        if latest_year.setdefault(urn, year) != year:
            continue
        row = rows.setdefault(urn, {"urn": urn, "ssw_id": None, "need": None, "engagement": None})
        if rating.need is not None and row["need"] is None:
            row["need"], row["ssw_id"] = rating.need, ssw_id(rating.ssw_id)
        if rating.engagement is not None:
            row["engagement"], row["ssw_id"] = rating.engagement, ssw_id(rating.ssw_id)
    frame = contract_frame("delivery_ratings", list(rows.values()))
    for column in ("need", "engagement"):
        frame[column] = frame[column].astype("Int64")
    return frame


def contract_tables() -> dict[str, pd.DataFrame]:
    """{"ad_hoc_support": …, "delivery_ratings": …} in the contract's columns."""
    return {"ad_hoc_support": ad_hoc_support_table(), "delivery_ratings": delivery_ratings_table()}
