"""Measures of a synthetic world computed independently of its generator, for calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd

from threshold.synth import World


def school_year(dates: pd.Series) -> pd.Series:
    return dates.dt.year - (dates.dt.month < 9)


def school_measures(world: World) -> dict[tuple[str, int], pd.Series]:
    """Per-pupil outcomes of active (non-withdrawn) schools by school year, computed
    independently of the generator, with an LA's data gaps as missing rather than zero.

    Keys: (measure, first calendar year of the school year); measures are `nfa` (school
    contacts ending in NFA), `contacts` (from the school), `referrals` (from the school),
    `referral_nfa` (referrals from the school ending in NFA by 31 July) and `all_sources`
    (contacts from anyone about the school's pupils). Sep–Jul, as in the evaluation.
    """
    tables = world.tables
    allocation = tables["allocations"]
    schools = (
        tables["schools"]
        .set_index("urn")
        .loc[allocation.loc[allocation["withdrawn_on"].isna(), "urn"]]
    )
    contacts = tables["contacts"]
    contacts = contacts[contacts["cont_contact_date"].dt.month != 8]
    referrals = tables["referrals"]
    gaps = tables["data_gaps"]
    out: dict[tuple[str, int], pd.Series] = {}
    for year in world.config.school_years:
        label = f"{year}/{(year + 1) % 100:02d}"

        def lacking(gap: str, label: str = label) -> set[str]:
            return set(gaps.loc[(gaps["gap"] == gap) & (gaps["school_year"] == label), "la_code"])

        no_contacts = lacking("contacts")
        in_year = contacts[school_year(contacts["cont_contact_date"]) == year]
        from_school = in_year[in_year["cont_contact_source_code"] == "2A"]
        ref = referrals[
            (school_year(referrals["cine_referral_date"]) == year)
            & (referrals["cine_referral_source_code"] == "2A")
        ]
        ended_nfa = ref[
            ref["cine_referral_outcome"].isin(["nfa_at_referral", "nfa_after_assessment"])
            & (ref["cine_close_date"] <= pd.Timestamp(year + 1, 7, 31))
        ]
        counts = [
            (
                "nfa",
                no_contacts,
                from_school[from_school["cont_contact_outcome"] == "nfa"].groupby(
                    "cont_source_school_urn"
                ),
            ),
            ("contacts", no_contacts, from_school.groupby("cont_source_school_urn")),
            ("referrals", no_contacts, ref.groupby("cine_source_school_urn")),
            (
                "referral_nfa",
                no_contacts | lacking("referral_outcomes"),
                ended_nfa.groupby("cine_source_school_urn"),
            ),
            (
                "all_sources",
                no_contacts | lacking("all_source_contacts"),
                in_year.groupby("cont_child_school_urn"),
            ),
        ]
        for measure, missing_las, grouped in counts:
            n = grouped.size().reindex(schools.index, fill_value=0).astype(float)
            rate = n / schools["pupils_on_roll"].astype(float)
            out[(measure, year)] = rate.mask(schools["la_code"].isin(missing_las))
    return out


def primary_r_squared(world: World) -> float:
    """R² of the evaluation's primary model: NFA rate on arm, baseline (zero-imputed, with a
    missing dummy) and block dummies, fitted by least squares."""
    measures = school_measures(world)
    year = world.config.intervention_year
    outcome = measures[("nfa", year)]
    baseline = measures[("nfa", year - 1)]
    allocation = world.tables["allocations"].set_index("urn").loc[outcome.index]
    design = pd.concat(
        [
            pd.Series(1.0, index=outcome.index),
            (allocation["arm"] == "treatment").astype(float),
            baseline.fillna(0.0),
            baseline.isna().astype(float),
            pd.get_dummies(allocation["block"], drop_first=True, dtype=float),
        ],
        axis=1,
    ).to_numpy()
    y = outcome.to_numpy()
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coef
    return float(1 - residual @ residual / ((y - y.mean()) @ (y - y.mean())))
