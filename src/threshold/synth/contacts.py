"""Child-level front-door records of the synthetic world: contacts and the referrals they lead to.

Each school has latent rates (see `population`); contacts are Poisson draws around them, split
by what they end in, dated through the school year, and thinned in treatment schools by the
true effects as sessions accumulate. Other sources (police, health, families, …) contact the
front door about the school's pupils too, and about children at no trial school.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import numpy as np
import pandas as pd

from threshold.model import Arm, ContactOutcome, ReferralOutcome, SessionStatus, SourceCode
from threshold.synth.config import Effects, WorldConfig

SCHOOL_YEAR_FACTOR = {0: 1.41, -1: 1.0, -2: 0.95, -3: 1.0}
"""School contacts per pupil by school year, relative to the baseline year (offset from the
intervention year): contacts rose after the pandemic years."""
NFA_SHARE_FACTOR = {0: 1.0, -1: 0.88, -2: 0.88, -3: 0.88}
OTHER_YEAR_FACTOR = {0: 1.16, -1: 1.0, -2: 0.97, -3: 1.0}
_SCHOOL_MONTH_WEIGHTS = (0.085, 0.11, 0.115, 0.075, 0.1, 0.085, 0.1, 0.07, 0.1, 0.095, 0.06, 0.005)
_OTHER_SOURCES = (
    (SourceCode.POLICE, 0.30),
    (SourceCode.HEALTH_GP, 0.04),
    (SourceCode.HEALTH_VISITOR, 0.02),
    (SourceCode.HEALTH_SCHOOL_NURSE, 0.02),
    (SourceCode.HEALTH_OTHER_PRIMARY, 0.02),
    (SourceCode.HEALTH_A_AND_E, 0.04),
    (SourceCode.HEALTH_OTHER, 0.03),
    (SourceCode.INDIVIDUAL_FAMILY, 0.08),
    (SourceCode.INDIVIDUAL_ACQUAINTANCE, 0.02),
    (SourceCode.INDIVIDUAL_SELF, 0.01),
    (SourceCode.INDIVIDUAL_OTHER, 0.01),
    (SourceCode.EDUCATION_SERVICES, 0.03),
    (SourceCode.HOUSING, 0.02),
    (SourceCode.LA_SOCIAL_CARE, 0.05),
    (SourceCode.LA_OTHER_INTERNAL, 0.03),
    (SourceCode.LA_EXTERNAL, 0.03),
    (SourceCode.LA_EARLY_HELP, 0.04),
    (SourceCode.OTHER_LEGAL, 0.03),
    (SourceCode.OTHER, 0.08),
    (SourceCode.ANONYMOUS, 0.04),
    (SourceCode.UNKNOWN, 0.02),
)
_OTHER_OUTCOMES = (
    (ContactOutcome.NFA, 0.38),
    (ContactOutcome.INFORMATION_ADVICE, 0.2),
    (ContactOutcome.EARLY_HELP, 0.12),
    (ContactOutcome.REFERRAL, 0.3),
)
# Referral outcomes (after the NFA ones) and days from referral to outcome (low, high).
_REFERRAL_OUTCOMES = (
    (ReferralOutcome.EARLY_HELP, 0.16, (15, 60)),
    (ReferralOutcome.CHILD_IN_NEED, 0.47, (20, 70)),
    (ReferralOutcome.CHILD_PROTECTION, 0.19, (15, 50)),
    (ReferralOutcome.LOOKED_AFTER, 0.04, (5, 90)),
)
_NFA_DAYS = {
    ReferralOutcome.NFA_AT_REFERRAL: (0, 5),
    ReferralOutcome.NFA_AFTER_ASSESSMENT: (10, 60),
}
_UNATTACHED_SHARE = 0.3
"""Contacts about children at no trial school, per other-source contact about trial pupils."""

# Contact kinds while generating: what the contact will end in, and who made it.
_NFA, _ADVICE, _REFERRAL, _OTHER = 0, 1, 2, 3


def build_contacts_and_referrals(
    schools: pd.DataFrame,
    latent: pd.DataFrame,
    allocation: pd.DataFrame,
    sessions: pd.DataFrame,
    config: WorldConfig,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All contacts and referrals of every LA and school year, before any data gaps."""
    effects = config.effects
    treated = (
        schools["urn"]
        .map(
            allocation.set_index("urn")["arm"].eq(Arm.TREATMENT)
            & allocation.set_index("urn")["withdrawn_on"].isna()
        )
        .to_numpy(dtype=bool)
    )
    held = _held_dates(sessions)
    frames = []
    for year in config.school_years:
        offset = year - config.intervention_year
        frames.append(_year_contacts(schools, latent, treated, held, year, offset, effects, rng))
    contacts = pd.concat(frames, ignore_index=True)
    contacts = _assign_people(contacts, schools, rng)
    contacts = contacts.sort_values(
        ["cont_la_code", "cont_contact_date", "tiebreak"], kind="stable", ignore_index=True
    )
    sequence = contacts.groupby("cont_la_code").cumcount() + 1
    contacts["cont_contact_id"] = "CT" + contacts["cont_la_code"] + sequence.map("{:07d}".format)
    contacts["cont_source_school_name"] = (
        contacts["cont_source_school_urn"].map(schools.set_index("urn")["name"]).astype(object)
    )
    referrals = _referrals(
        contacts, treated_urns=set(schools["urn"][treated]), held=held, config=config, rng=rng
    )
    return contacts.drop(columns=["tiebreak", "kind", "dose_urn"]), referrals


def _held_dates(sessions: pd.DataFrame) -> dict[int, np.ndarray]:
    held = sessions[sessions["status"] == SessionStatus.HELD]
    return {
        int(urn): np.sort(group["session_date"].to_numpy(dtype="datetime64[D]"))
        for urn, group in held.groupby("urn")
    }


def _dose(urn: int, dates: np.ndarray, held: dict[int, np.ndarray]) -> np.ndarray:
    """Sessions held before each date, as a share of the full programme (eight sessions)."""
    sessions = held.get(urn)
    if sessions is None:
        return np.zeros(len(dates))
    return np.searchsorted(sessions, dates.astype("datetime64[D]"), side="left") / 8


def _year_contacts(
    schools: pd.DataFrame,
    latent: pd.DataFrame,
    treated: np.ndarray,
    held: dict[int, np.ndarray],
    year: int,
    offset: int,
    effects: Effects,
    rng: np.random.Generator,
) -> pd.DataFrame:
    pupils = schools["pupils_on_roll"].to_numpy(dtype=float)
    noise = np.exp(latent[f"year_noise_{year}"].to_numpy())
    intervention = offset == 0
    nfa_share = np.clip(latent["nfa_share"].to_numpy() * NFA_SHARE_FACTOR[offset], 0, 0.95)
    referral_share = (
        latent["referral_share"].to_numpy() * (1 - nfa_share) / (1 - latent["nfa_share"].to_numpy())
    )
    school_mean = pupils * latent["contact_rate"].to_numpy() * SCHOOL_YEAR_FACTOR[offset] * noise
    other_mean = (
        pupils * latent["other_rate"].to_numpy() * OTHER_YEAR_FACTOR[offset] * np.sqrt(noise)
    )
    ratios = {
        _NFA: effects.nfa_contacts,
        _ADVICE: effects.advice_contacts,
        _REFERRAL: effects.referrals,
        _OTHER: effects.other_source_contacts,
    }
    means = {
        _NFA: school_mean * nfa_share,
        _ADVICE: school_mean * (1 - nfa_share - referral_share),
        _REFERRAL: school_mean * referral_share,
        _OTHER: other_mean,
    }
    school_index: list[np.ndarray] = []
    kinds: list[np.ndarray] = []
    for kind, mean in means.items():
        boost = np.where(treated & intervention, max(1.0, ratios[kind]), 1.0)
        counts = rng.poisson(mean * boost)
        school_index.append(np.repeat(np.arange(len(schools)), counts))
        kinds.append(np.full(counts.sum(), kind))
    index = np.concatenate(school_index)
    kind = np.concatenate(kinds)
    by_school = kind != _OTHER
    dates = np.empty(len(kind), dtype="datetime64[ns]")
    dates[by_school] = _dates(rng, year, int(by_school.sum()), school_days=True)
    dates[~by_school] = _dates(rng, year, int((~by_school).sum()), school_days=False)
    keep = np.ones(len(kind), dtype=bool)
    if intervention:
        urns = schools["urn"].to_numpy()
        for position in np.flatnonzero(treated):
            rows = np.flatnonzero(index == position)
            if rows.size == 0:
                continue
            dose = _dose(int(urns[position]), dates[rows], held)
            ratio = np.array([ratios[k] for k in kind[rows]])
            keep_p = ratio**dose / np.maximum(1.0, ratio)
            keep[rows] = rng.random(rows.size) < keep_p
    index, kind, dates, by_school = index[keep], kind[keep], dates[keep], by_school[keep]
    unattached = _unattached(schools, means[_OTHER], year, rng)
    urn = schools["urn"].to_numpy()[index]
    outcome = np.select(
        [kind == _NFA, kind == _REFERRAL, kind == _ADVICE],
        [ContactOutcome.NFA.value, ContactOutcome.REFERRAL.value, ""],
        default="",
    ).astype(object)
    advice = kind == _ADVICE
    outcome[advice] = np.where(
        rng.random(advice.sum()) < 0.6,
        ContactOutcome.INFORMATION_ADVICE.value,
        ContactOutcome.EARLY_HELP.value,
    )
    other = kind == _OTHER
    outcome[other] = _choose(rng, _OTHER_OUTCOMES, other.sum())
    source = np.full(len(kind), SourceCode.SCHOOLS.value, dtype=object)
    source[other] = _choose(rng, _OTHER_SOURCES, other.sum())
    attached = pd.DataFrame(
        {
            "cont_la_code": schools["la_code"].to_numpy()[index],
            "cont_contact_date": dates,
            "cont_contact_source_code": source,
            "cont_source_school_urn": pd.array(np.where(by_school, urn, 0), dtype="Int64"),
            "cont_child_school_urn": pd.array(urn, dtype="Int64"),
            "cont_contact_outcome": outcome,
            "kind": kind,
            "dose_urn": pd.array(urn, dtype="Int64"),
        }
    )
    attached.loc[~by_school, "cont_source_school_urn"] = pd.NA
    frame = pd.concat([attached, unattached], ignore_index=True)
    frame["tiebreak"] = rng.random(len(frame))
    return frame


def _unattached(
    schools: pd.DataFrame, other_mean: np.ndarray, year: int, rng: np.random.Generator
) -> pd.DataFrame:
    """Contacts about children at no trial school (other phases, out of area, not in school)."""
    per_la = pd.Series(other_mean * _UNATTACHED_SHARE).groupby(schools["la_code"].to_numpy()).sum()
    counts = rng.poisson(per_la.to_numpy())
    n = int(counts.sum())
    return pd.DataFrame(
        {
            "cont_la_code": np.repeat(per_la.index.to_numpy(), counts),
            "cont_contact_date": _dates(rng, year, n, school_days=False),
            "cont_contact_source_code": _choose(rng, _OTHER_SOURCES, n),
            "cont_source_school_urn": pd.array([pd.NA] * n, dtype="Int64"),
            "cont_child_school_urn": pd.array([pd.NA] * n, dtype="Int64"),
            "cont_contact_outcome": _choose(rng, _OTHER_OUTCOMES, n),
            "kind": np.full(n, _OTHER),
            "dose_urn": pd.array([pd.NA] * n, dtype="Int64"),
        }
    )


def _choose(
    rng: np.random.Generator, options: tuple[tuple[object, float], ...], size: int
) -> np.ndarray:
    values = np.array([str(value) for value, _ in options], dtype=object)
    weights = np.array([weight for _, weight in options])
    return rng.choice(values, size=size, p=weights / weights.sum())


def _dates(rng: np.random.Generator, year: int, size: int, *, school_days: bool) -> np.ndarray:
    """Dates in the school year starting September `year`: schools contact on weekdays in term
    months (few in August); other sources every day of the year, fewer at weekends."""
    days, p = _day_weights(year, school_days)
    return rng.choice(days, size=size, p=p).astype("datetime64[ns]")


@cache
def _day_weights(year: int, school_days: bool) -> tuple[np.ndarray, np.ndarray]:
    days = np.arange(np.datetime64(dt.date(year, 9, 1)), np.datetime64(dt.date(year + 1, 9, 1)))
    months = (days.astype("datetime64[M]").astype(int) % 12 + 4) % 12  # September -> 0
    weekday = (days.astype(int) + 3) % 7  # Monday -> 0
    if school_days:
        weights = np.array(_SCHOOL_MONTH_WEIGHTS)[months] * (weekday < 5)
    else:
        weights = np.where(weekday < 5, 1.0, 0.45)
    return days, weights / weights.sum()


def _assign_people(
    contacts: pd.DataFrame, schools: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Pseudonymised children: each school has a pool of children who come to notice, so the
    same child can be the subject of several contacts; unattached children have an LA pool."""
    pool = np.maximum(10, np.round(0.15 * schools["pupils_on_roll"].to_numpy())).astype(int)
    starts = {}
    numbers = np.zeros(len(contacts), dtype=np.int64)
    for la_code, group in schools.groupby("la_code", sort=True):
        base = 1
        for position in group.index:
            starts[int(schools.at[position, "urn"])] = base
            base += int(pool[position])
        rows = np.flatnonzero(
            (contacts["cont_la_code"] == la_code).to_numpy()
            & contacts["dose_urn"].isna().to_numpy()
        )
        numbers[rows] = base + rng.integers(0, 6000, rows.size)
    urns = contacts["dose_urn"]
    has = urns.notna().to_numpy()
    pool_of = pd.Series(pool, index=schools["urn"].to_numpy())
    attached_urns = urns[has].astype("int64").to_numpy()
    numbers[has] = np.array([starts[u] for u in attached_urns]) + np.floor(
        rng.random(has.sum()) * pool_of.loc[attached_urns].to_numpy()
    ).astype(np.int64)
    contacts = contacts.copy()
    contacts["cont_person_id"] = (
        "C" + contacts["cont_la_code"] + pd.Series(numbers).map("{:06d}".format)
    )
    return contacts


def _referrals(
    contacts: pd.DataFrame,
    *,
    treated_urns: set[int],
    held: dict[int, np.ndarray],
    config: WorldConfig,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """A referral for every contact that progressed to one, with its outcome and closure date."""
    source = contacts[contacts["cont_contact_outcome"] == ContactOutcome.REFERRAL].reset_index(
        drop=True
    )
    n = len(source)
    lag = rng.integers(0, 4, n).astype("timedelta64[D]")
    referral_date = source["cont_contact_date"].to_numpy() + lag
    from_school = (source["cont_contact_source_code"] == SourceCode.SCHOOLS).to_numpy()
    p_nfa_at = np.where(from_school, 0.06, 0.08)
    p_nfa_after = np.where(from_school, 0.11, 0.14)
    intervention_start = np.datetime64(dt.date(config.intervention_year, 9, 1), "ns")
    in_trial = (
        from_school
        & (referral_date >= intervention_start)
        & source["cont_source_school_urn"].isin(treated_urns).to_numpy()
    )
    if config.effects.referral_nfa != 1.0 and in_trial.any():
        scale = np.ones(n)
        for urn in np.unique(source.loc[in_trial, "cont_source_school_urn"].astype("int64")):
            rows = np.flatnonzero(in_trial & (source["cont_source_school_urn"] == urn).to_numpy())
            scale[rows] = config.effects.referral_nfa ** _dose(int(urn), referral_date[rows], held)
        p_nfa_at = np.minimum(p_nfa_at * scale, 0.45)
        p_nfa_after = np.minimum(p_nfa_after * scale, 0.45)
    draw = rng.random(n)
    rest = 1 - p_nfa_at - p_nfa_after
    outcome = np.empty(n, dtype=object)
    low = np.zeros(n, dtype=int)
    high = np.zeros(n, dtype=int)
    outcome[:] = ReferralOutcome.LOOKED_AFTER.value
    low[:], high[:] = _REFERRAL_OUTCOMES[-1][2]
    cumulative = p_nfa_at + p_nfa_after
    choices = [
        (ReferralOutcome.NFA_AT_REFERRAL, p_nfa_at, _NFA_DAYS[ReferralOutcome.NFA_AT_REFERRAL])
    ]
    choices.append(
        (
            ReferralOutcome.NFA_AFTER_ASSESSMENT,
            cumulative,
            _NFA_DAYS[ReferralOutcome.NFA_AFTER_ASSESSMENT],
        )
    )
    share = sum(p for _, p, _ in _REFERRAL_OUTCOMES)
    for value, p, days in _REFERRAL_OUTCOMES[:-1]:
        cumulative = cumulative + rest * p / share
        choices.append((value, cumulative, days))
    assigned = np.zeros(n, dtype=bool)
    for value, bound, (lo, hi) in choices:
        pick = ~assigned & (draw < bound)
        outcome[pick] = value.value
        low[pick], high[pick] = lo, hi
        assigned |= pick
    close = referral_date + rng.integers(low, high + 1).astype("timedelta64[D]")
    still_open = close > np.datetime64(config.extraction_date, "ns")
    outcome[still_open] = ReferralOutcome.OPEN.value
    referrals = pd.DataFrame(
        {
            "cine_contact_id": source["cont_contact_id"],
            "cine_person_id": source["cont_person_id"],
            "cine_la_code": source["cont_la_code"],
            "cine_referral_date": referral_date,
            "cine_referral_source_code": source["cont_contact_source_code"],
            "cine_source_school_urn": source["cont_source_school_urn"],
            "cine_child_school_urn": source["cont_child_school_urn"],
            "cine_referral_outcome": outcome,
            "cine_close_date": pd.Series(close).mask(still_open),
        }
    )
    sequence = referrals.groupby("cine_la_code").cumcount() + 1
    referrals.insert(
        0, "cine_referral_id", "RF" + referrals["cine_la_code"] + sequence.map("{:07d}".format)
    )
    return referrals
