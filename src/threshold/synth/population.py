"""The synthetic population: local authorities, their schools and SSWs, data gaps, and each
school's latent front-door propensities.

Calibrated to the evaluation's figures in docs/synthetic-world.md (pupils, % FSM, % EAL,
% SEN support, urban share; per-pupil contact rates and their spread; the missing-data pattern).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from threshold.model import DataGap, EstablishmentType, OfstedRating, Phase, UrbanRural
from threshold.synth import names
from threshold.synth.config import WorldConfig, school_year_label

WITHDRAWN_SHARE = 18 / 308
"""Share of schools in the LA that withdrew after randomisation (18 of 308 in the evaluation)."""

_OFSTED = (
    (OfstedRating.OUTSTANDING, 0.18),
    (OfstedRating.GOOD, 0.57),
    (OfstedRating.REQUIRES_IMPROVEMENT, 0.18),
    (OfstedRating.INADEQUATE, 0.05),
    (OfstedRating.NOT_INSPECTED, 0.02),
)
_TYPES = (
    (EstablishmentType.ACADEMY_CONVERTER, 0.52),
    (EstablishmentType.ACADEMY_SPONSOR_LED, 0.2),
    (EstablishmentType.COMMUNITY, 0.12),
    (EstablishmentType.VOLUNTARY_AIDED, 0.08),
    (EstablishmentType.FOUNDATION, 0.05),
    (EstablishmentType.FREE_SCHOOL, 0.03),
)


@dataclass(frozen=True)
class Roles:
    """Which LAs withdrew or could not provide which data (LA codes)."""

    withdrawn: str
    no_baseline: tuple[str, ...]
    no_all_source: tuple[str, ...]
    no_referral_nfa: tuple[str, ...]


@dataclass(frozen=True)
class Population:
    """Institutions of the world, and the latent rates that drive its front-door records.

    `latent` has one row per school (index aligned with `schools`): `contact_rate` (school
    contacts per pupil in the baseline year), `nfa_share` and `referral_share` (of the school's
    contacts), `other_rate` (contacts from other sources about its pupils, per pupil), and
    `year_noise_*` (log-scale school-by-year deviations).
    """

    local_authorities: pd.DataFrame
    schools: pd.DataFrame
    ssws: pd.DataFrame
    data_gaps: pd.DataFrame
    latent: pd.DataFrame
    roles: Roles


def build_population(config: WorldConfig, rng: np.random.Generator) -> Population:
    """Draw LAs, schools, SSWs, data gaps and latent propensities."""
    las = _local_authorities()
    roles = _roles(las, rng)
    sizes = _la_sizes(config.n_schools, las, roles, rng)
    schools = _schools(las, sizes, rng)
    latent = _latent(schools, las, rng, config)
    return Population(
        local_authorities=las,
        schools=schools,
        ssws=_ssws(las, roles, sizes, rng),
        data_gaps=_data_gaps(config, roles),
        latent=latent,
        roles=roles,
    )


def _local_authorities() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "la_code": list(names.FICTIONAL_LA_CODES),
            "la_name": [la[0] for la in names.LOCAL_AUTHORITIES],
            "region": [la[1] for la in names.LOCAL_AUTHORITIES],
        }
    )


def _roles(las: pd.DataFrame, rng: np.random.Generator) -> Roles:
    others = [code for code in las["la_code"] if code != _london(las)]
    order = [str(code) for code in rng.permutation(others)]
    withdrawn, rest = order[0], order[1:]
    return Roles(
        withdrawn=withdrawn,
        no_baseline=tuple(sorted(rest[:3])),
        no_all_source=tuple(sorted(rest[3:5])),
        no_referral_nfa=tuple(sorted(rest[5:7])),
    )


def _la_sizes(n: int, las: pd.DataFrame, roles: Roles, rng: np.random.Generator) -> dict[str, int]:
    """Schools per LA: the withdrawn LA has the evaluation's share (18 of 308), the London
    borough a small one (15 of 308), and the rest vary widely above a floor (10 of 308)."""
    fixed = {roles.withdrawn: WITHDRAWN_SHARE, _london(las): 15 / 308}
    sizes = {code: max(4, round(n * share)) for code, share in fixed.items()}
    rest = [code for code in las["la_code"] if code not in fixed]
    floor = max(4, round(n * 10 / 308))
    spare = n - sum(sizes.values()) - floor * len(rest)
    shares = rng.dirichlet(np.full(len(rest), 3.0))
    counts = np.floor(shares * spare).astype(int) + floor
    counts[np.argsort(-shares)[: n - sum(sizes.values()) - counts.sum()]] += 1
    sizes.update(zip(rest, counts.tolist(), strict=True))
    return {code: sizes[code] for code in las["la_code"]}


def _london(las: pd.DataFrame) -> str:
    return str(las.loc[las["region"] == "London", "la_code"].iloc[0])


def _beta(rng: np.random.Generator, mean: np.ndarray | float, sd: float, size: int) -> np.ndarray:
    mean = np.clip(np.broadcast_to(mean, (size,)), 0.02, 0.98)
    concentration = np.maximum(mean * (1 - mean) / sd**2 - 1, 0.5)
    return rng.beta(mean * concentration, (1 - mean) * concentration)


def _schools(las: pd.DataFrame, sizes: dict[str, int], rng: np.random.Generator) -> pd.DataFrame:
    frames = []
    all_urns = names.urns(rng, sum(sizes.values()))
    used = 0
    for index, (la_code, _, region) in enumerate(las.itertuples(index=False)):
        count = sizes[la_code]
        towns = names.LOCAL_AUTHORITIES[index][2]
        london = region == "London"
        la_fsm = 0.36 if london else float(np.clip(rng.normal(0.21, 0.06), 0.08, 0.4))
        la_eal = 0.45 if london else float(np.clip(rng.gamma(2.0, 0.055), 0.02, 0.3))
        urban_p = 1.0 if london else float(np.clip(rng.normal(0.89, 0.04), 0.75, 1.0))
        school_towns = [towns[i] for i in rng.integers(len(towns), size=count)]
        pupils = np.clip(rng.gamma(7.1, 1087 / 7.1, count), 180, 2600).round().astype(int)
        frames.append(
            pd.DataFrame(
                {
                    "urn": all_urns[used : used + count],
                    "name": names.school_names(rng, school_towns),
                    "la_code": la_code,
                    "phase": Phase.SECONDARY.value,
                    "establishment_type": _pick(rng, _TYPES, count),
                    "town": school_towns,
                    "postcode": names.postcodes(rng, "Q" + "ABDEFGHJLNP"[index], count),
                    "pupils_on_roll": pupils,
                    "pct_fsm": (100 * _beta(rng, la_fsm, 0.12, count)).round(1),
                    "pct_eal": (100 * _beta(rng, la_eal, 0.11, count)).round(1),
                    "pct_sen_support": (100 * _beta(rng, 0.114, 0.054, count)).round(1),
                    "urban_rural": np.where(
                        rng.random(count) < urban_p, UrbanRural.URBAN.value, UrbanRural.RURAL.value
                    ),
                    "ofsted_rating": _pick(rng, _OFSTED, count),
                }
            )
        )
        used += count
    return pd.concat(frames, ignore_index=True)


def _pick(
    rng: np.random.Generator, options: tuple[tuple[object, float], ...], size: int
) -> np.ndarray:
    values = np.array([str(value) for value, _ in options])
    weights = np.array([weight for _, weight in options])
    return rng.choice(values, size=size, p=weights / weights.sum())


def _latent(
    schools: pd.DataFrame, las: pd.DataFrame, rng: np.random.Generator, config: WorldConfig
) -> pd.DataFrame:
    """Per-school propensities; LA effects make the front doors differ, as real ones do."""
    n = len(schools)
    la_index = schools["la_code"].map({code: i for i, code in enumerate(las["la_code"])}).to_numpy()
    n_la = len(las)
    fsm_z = (schools["pct_fsm"].to_numpy() - 22) / 14
    la_contact = rng.normal(0, 0.3, n_la)[la_index]
    school_dev = rng.normal(0, 0.7, n)
    contact_rate = 0.0122 * np.exp(la_contact + 0.3 * fsm_z + school_dev)
    la_nfa = rng.normal(-0.8, 0.75, n_la)[la_index]
    nfa_share = _expit(la_nfa + rng.normal(0, 0.7, n))
    la_referral = rng.normal(-0.45, 0.4, n_la)[la_index]
    referral_given_not_nfa = _expit(la_referral + rng.normal(0, 0.35, n))
    other_rate = 0.063 * np.exp(
        rng.normal(0, 0.3, n_la)[la_index]
        + 0.35 * fsm_z
        + 0.55 * school_dev
        + rng.normal(0, 0.65, n)
    )
    latent = pd.DataFrame(
        {
            "contact_rate": contact_rate,
            "nfa_share": nfa_share,
            "referral_share": (1 - nfa_share) * referral_given_not_nfa,
            "other_rate": other_rate,
        },
        index=schools.index,
    )
    for year in config.school_years:
        latent[f"year_noise_{year}"] = rng.normal(0, 0.12, n)
    return latent


def _expit(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _ssws(
    las: pd.DataFrame, roles: Roles, sizes: dict[str, int], rng: np.random.Generator
) -> pd.DataFrame:
    """One SSW per LA, except that the largest LA has two and one SSW covers the two smallest.

    Time on the programme (FTE) has a fixed minimum per LA plus a share per school, and is
    higher in London (travel, recruitment), which is what makes small and London LAs costly.
    """
    codes = [code for code in las["la_code"] if code != roles.withdrawn]
    london = set(las.loc[las["region"] == "London", "la_code"])
    by_size = sorted(codes, key=lambda code: (sizes[code], code))

    def fte(code: str) -> float:
        factor = 2.0 if code in london else rng.uniform(0.8, 1.2)
        return min(1.0, (0.33 + 0.0015 * sizes[code]) * factor)

    rows: list[tuple[str, str, float]] = [("SSW-01", code, fte(code)) for code in by_size[:2]]
    for code in by_size[2:]:
        total = fte(code)
        if code == by_size[-1]:
            rows.append((f"SSW-{len(rows):02d}", code, total / 2))
            total /= 2
        rows.append((f"SSW-{len(rows):02d}", code, total))
    rows.append((f"SSW-{len(rows):02d}", roles.withdrawn, 0.3))
    frame = pd.DataFrame(rows, columns=["ssw_id", "la_code", "fte"])
    frame["fte"] = frame["fte"].round(3)
    return frame.sort_values(["ssw_id", "la_code"], ignore_index=True)


def _data_gaps(config: WorldConfig, roles: Roles) -> pd.DataFrame:
    years = [school_year_label(year) for year in config.school_years]
    gaps = (
        (
            (roles.withdrawn,),
            years,
            DataGap.CONTACTS,
            "The LA withdrew from the trial after randomisation.",
        ),
        (
            roles.no_baseline,
            years[:-1],
            DataGap.CONTACTS,
            "Records before the case-management system migration were not extractable.",
        ),
        (
            roles.no_all_source,
            years,
            DataGap.ALL_SOURCE_CONTACTS,
            "The front-door system links only school contacts to a school.",
        ),
        (
            roles.no_referral_nfa,
            years,
            DataGap.REFERRAL_OUTCOMES,
            "Referral outcomes are held in a separate system that was not shared.",
        ),
    )
    rows = [
        (code, year, gap.value, reason)
        for codes, gap_years, gap, reason in gaps
        for code in codes
        for year in gap_years
    ]
    return pd.DataFrame(rows, columns=["la_code", "school_year", "gap", "reason"]).sort_values(
        ["la_code", "school_year", "gap"], ignore_index=True
    )
