"""What the analysed front-door data were, per LA: records, quarantined, school links, gaps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from threshold.frontdoor import Store, normalise
from threshold.model import DataGap, SourceCode

COLUMNS = (
    "la_code",
    "contacts",
    "referrals",
    "quarantined",
    "links_auto",
    "links_review",
    "links_none",
    "gaps",
)


@dataclass(frozen=True)
class DataSummary:
    """`by_la`: one row per LA (COLUMNS): contacts and referrals analysed; records quarantined
    (distinct records the imports could not load); school contacts with the school's URN
    (`links_auto`: given, linked automatically or decided in review), waiting in the link queue
    (`links_review`) or with no school found (`links_none`); and the LA's declared data gaps.
    `source` says where the records came from."""

    source: str
    by_la: pd.DataFrame

    def tidy(self) -> pd.DataFrame:
        return self.by_la.copy()

    def to_dict(self) -> dict[str, object]:
        return {"source": self.source, "by_la": self.by_la.to_dict(orient="records")}


def summarise_data(
    tables: Mapping[str, pd.DataFrame], stores: Sequence[Store], source: str
) -> DataSummary:
    """Per LA in the trial or the data: what `tables` (as gathered) hold, what the `stores`
    quarantined and left for review, and the data gaps the LAs declared."""
    contacts, referrals = tables["contacts"], tables["referrals"]
    quarantine = pd.concat([store.quarantine() for store in stores] or [pd.DataFrame()])
    queues = [queue for store in stores if (queue := store.link_queue()) is not None]
    waiting = (
        set(pd.concat(queues)[["la_code", "name_key"]].itertuples(index=False, name=None))
        if queues
        else set()
    )
    school = contacts[contacts["cont_contact_source_code"] == SourceCode.SCHOOLS]
    auto = school["cont_source_school_urn"].notna()
    unlinked = school.loc[~auto]
    keys = unlinked["cont_source_school_name"].fillna("").astype(str).map(normalise)
    review = pd.Series(
        [(str(la), key) in waiting for la, key in zip(unlinked["cont_la_code"], keys, strict=True)],
        index=unlinked.index,
        dtype=bool,
    )
    gaps = tables.get("data_gaps", pd.DataFrame(columns=["la_code", "school_year", "gap"]))
    trial_las = tables["schools"].loc[
        tables["schools"]["urn"].isin(tables["allocations"]["urn"]), "la_code"
    ]
    las = sorted(
        {
            *map(str, trial_las),
            *map(str, contacts["cont_la_code"]),
            *map(str, referrals["cine_la_code"]),
            *map(str, quarantine.get("la_code", [])),
        }
    )

    def per_la(values: pd.Series) -> pd.Series:
        return values.astype(str).value_counts().reindex(las, fill_value=0)

    by_la = pd.DataFrame(
        {
            "la_code": las,
            "contacts": per_la(contacts["cont_la_code"]).to_numpy(),
            "referrals": per_la(referrals["cine_la_code"]).to_numpy(),
            "quarantined": (
                quarantine.groupby(quarantine["la_code"].astype(str))["record_key"]
                .nunique()
                .reindex(las, fill_value=0)
                .to_numpy()
                if len(quarantine)
                else 0
            ),
            "links_auto": per_la(school.loc[auto, "cont_la_code"]).to_numpy(),
            "links_review": per_la(unlinked.loc[review, "cont_la_code"]).to_numpy(),
            "links_none": per_la(unlinked.loc[~review, "cont_la_code"]).to_numpy(),
            "gaps": [_gaps(gaps[gaps["la_code"].astype(str) == la]) for la in las],
        },
        columns=list(COLUMNS),
    )
    return DataSummary(source=source, by_la=by_la)


def _gaps(gaps: pd.DataFrame) -> str:
    """An LA's gaps in words, each with its school years."""
    return "; ".join(
        f"{DataGap(gap).label}: {', '.join(sorted(group['school_year'].astype(str)))}"
        for gap, group in gaps.groupby("gap", sort=True)
    )
