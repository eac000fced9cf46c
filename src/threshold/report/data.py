"""The report's data section: what the analysed front-door data were, per LA."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from threshold.report.tables import TableView

DATA_TITLE = "Front-door data analysed, by LA"
DATA_HEADERS = (
    "LA",
    "Contacts",
    "Referrals",
    "Quarantined",
    "School contacts linked",
    "To review",
    "Not linked",
    "Data gaps",
)
DATA_NOTE = (
    "Contacts and referrals from {source}. Quarantined: records an import could not load, each "
    "kept with its reason in the store's quarantine. School contacts linked: with the "
    "contacting school's URN (given in the export, linked automatically or decided in review); "
    "to review: names waiting in the link queue; not linked: no school found. School contacts "
    "without a URN count for no school. An LA's data gaps make its measures missing, never zero."
)
_COUNTS = ("contacts", "referrals", "quarantined", "links_auto", "links_review", "links_none")


def data_view(by_la: pd.DataFrame, source: str, notes: Sequence[str] = ()) -> TableView:
    """The data section from a per-LA summary (la_code, the counts, gaps) and where the records
    came from, with `notes` after it, and a row of totals."""
    rows = [
        (str(row["la_code"]), *(f"{int(row[c]):,}" for c in _COUNTS), str(row["gaps"]) or "–")
        for _, row in by_la.iterrows()
    ]
    rows.append(("All", *(f"{int(by_la[c].sum()):,}" for c in _COUNTS), ""))
    return TableView(
        title=DATA_TITLE,
        headers=DATA_HEADERS,
        rows=tuple(rows),
        note=" ".join((DATA_NOTE.format(source=source), *notes)),
    )
