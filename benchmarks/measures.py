"""Outcome measures at scale: every front-door measure over a school year and its two halves.

Generates (vectorised, not timed) contacts over two school years about the pupils of schools in
several LAs, with referrals from the contacts that progressed and a few LAs' data gaps, typed as
the data contract reads them. Then times `build_measures` for all five measures over 2023/24
(September to July), September to February and March to July, and each of its stages (a scan
per table and the school it counts by) alone. Target (issue 5): 10,000,000 contacts in < 10 s.

    .venv/bin/python benchmarks/measures.py [--contacts 10000000] [--schools 3000] [--las 11]
        [--seed 1] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
import pandas as pd

from threshold.measures import FRONT_DOOR_MEASURES, MeasureSpec, build_measures
from threshold.model import ContactOutcome, DataGap, OutcomeMeasure, ReferralOutcome, SourceCode

FIRST_DAY = np.datetime64("2022-09-01")
DAYS = 730  # two school years
WINDOWS = {
    "2023/24": (dt.date(2023, 9, 1), dt.date(2024, 7, 31)),
    "Sep-Feb": (dt.date(2023, 9, 1), dt.date(2024, 2, 29)),
    "Mar-Jul": (dt.date(2024, 3, 1), dt.date(2024, 7, 31)),
}
OBSERVED_BY = dt.date(2024, 7, 31)


def world(
    contacts: int, schools: int, las: int, rng: np.random.Generator
) -> dict[str, pd.DataFrame]:
    """Schools, contacts, referrals and data gaps, typed as `read_table` types them."""
    urns = np.arange(100_001, 100_001 + schools)
    la_codes = np.array([str(801 + i) for i in range(las)], dtype=object)
    pupils = np.clip(rng.normal(1087, 408, schools), 100, 3000).round().astype("int64")
    school_table = pd.DataFrame(
        {
            "urn": pd.array(urns, dtype="Int64"),
            "la_code": la_codes[rng.integers(0, las, schools)],
            "pupils_on_roll": pd.array(pupils, dtype="Int64"),
        }
    )
    school_table.loc[rng.random(schools) < 0.01, "pupils_on_roll"] = pd.NA

    child = rng.choice(schools, contacts, p=pupils / pupils.sum())
    from_school = rng.random(contacts) < 0.17
    others = np.array([c.value for c in SourceCode if c is not SourceCode.SCHOOLS], dtype=object)
    source = others[rng.integers(0, len(others), contacts)]
    source[from_school] = SourceCode.SCHOOLS.value
    child_urn = pd.array(urns[child], dtype="Int64")
    outcomes = np.array([o.value for o in ContactOutcome], dtype=object)
    outcome = outcomes[rng.choice(len(outcomes), contacts, p=[0.3, 0.2, 0.25, 0.25])]
    dates = FIRST_DAY + rng.integers(0, DAYS, contacts).astype("timedelta64[D]")
    contact_table = pd.DataFrame(
        {
            "cont_contact_date": dates.astype("datetime64[ns]"),
            "cont_contact_source_code": source,
            "cont_source_school_urn": child_urn.copy(),
            "cont_child_school_urn": child_urn,
            "cont_contact_outcome": outcome,
        }
    )
    contact_table.loc[~from_school, "cont_source_school_urn"] = pd.NA
    contact_table.loc[rng.random(contacts) < 0.15, "cont_child_school_urn"] = pd.NA

    progressed = np.flatnonzero(outcome == ContactOutcome.REFERRAL.value)
    n = len(progressed)
    referral_outcomes = np.array([o.value for o in ReferralOutcome], dtype=object)
    referral_outcome = referral_outcomes[rng.integers(0, len(referral_outcomes), n)]
    referral_date = dates[progressed] + rng.integers(0, 5, n).astype("timedelta64[D]")
    close_date = (referral_date + rng.integers(1, 120, n).astype("timedelta64[D]")).astype(
        "datetime64[ns]"
    )
    close_date[referral_outcome == ReferralOutcome.OPEN.value] = np.datetime64("NaT")
    referral_table = pd.DataFrame(
        {
            "cine_referral_date": referral_date.astype("datetime64[ns]"),
            "cine_referral_source_code": source[progressed],
            "cine_source_school_urn": contact_table["cont_source_school_urn"].iloc[progressed],
            "cine_referral_outcome": referral_outcome,
            "cine_close_date": close_date,
        }
    ).reset_index(drop=True)

    gaps = pd.DataFrame(
        {
            "la_code": la_codes[[0, 1, 2]],
            "school_year": ["2022/23", "2023/24", "2023/24"],
            "gap": [DataGap.CONTACTS, DataGap.ALL_SOURCE_CONTACTS, DataGap.REFERRAL_OUTCOMES],
            "reason": ["before the system migration", "school contacts only", "not recorded"],
        }
    ).astype({"gap": object})
    return {
        "schools": school_table,
        "contacts": contact_table,
        "referrals": referral_table,
        "data_gaps": gaps,
    }


def specs(measures: tuple[OutcomeMeasure, ...]) -> list[tuple[str, MeasureSpec]]:
    return [
        (measure.value, MeasureSpec(measure, start, end, observed_by=OBSERVED_BY))
        for measure in measures
        for start, end in WINDOWS.values()
    ]


def timed(tables: dict[str, pd.DataFrame], chosen: list[tuple[str, MeasureSpec]], repeat: int):
    """The fastest of `repeat` runs, in seconds, and the last result."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        built = build_measures(
            tables["schools"], tables["contacts"], tables["referrals"], tables["data_gaps"], chosen
        )
        best = min(best, time.perf_counter() - started)
    return best, built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=10_000_000)
    parser.add_argument("--schools", type=int, default=3000)
    parser.add_argument("--las", type=int, default=11)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tables = world(args.contacts, args.schools, args.las, np.random.default_rng(args.seed))
    contacts, referrals = len(tables["contacts"]), len(tables["referrals"])
    print(
        f"{contacts:,} contacts and {referrals:,} referrals over {args.schools:,} schools in "
        f"{args.las} LAs; windows: {', '.join(WINDOWS)}; best of {args.repeat}"
    )
    seconds, built = timed(tables, specs(FRONT_DOOR_MEASURES), args.repeat)
    print(
        f"all five measures x {len(WINDOWS)} windows: {seconds:.2f} s "
        f"({(contacts + referrals) / seconds:,.0f} rows/s; target 10,000,000 contacts < 10 s); "
        f"{len(built):,} school x period rows, {int(built['missing_reason'].notna().sum()):,} "
        "missing"
    )
    for stage, (measures, rows) in {
        "contacts by the contacting school (contacts, nfa_contacts)": (
            (OutcomeMeasure.CONTACTS, OutcomeMeasure.NFA_CONTACTS),
            contacts,
        ),
        "contacts by the child's school (all_source_contacts)": (
            (OutcomeMeasure.ALL_SOURCE_CONTACTS,),
            contacts,
        ),
        "referrals by the referring school (referrals, referral_nfa)": (
            (OutcomeMeasure.REFERRALS, OutcomeMeasure.REFERRAL_NFA),
            referrals,
        ),
    }.items():
        alone, _ = timed(tables, specs(measures), args.repeat)
        print(f"  {stage}, alone: {alone:.2f} s ({rows / alone:,.0f} rows/s)")


if __name__ == "__main__":
    main()
