"""The contract's `schools` table from a GIAS register, a school census and the links file.

The register's GIAS names are mapped to the contract's codes. Phase is required: a phase that
GIAS does not have is an error; schools whose phase the trial has no code for (nursery, 16 plus,
"Not applicable" outside special and alternative provision) are left out, as are closed schools
and schools whose LA is unknown. For the optional fields a value with no mapping is missing.
"""

from __future__ import annotations

import pandas as pd

from threshold.model import Code, EstablishmentType, InputError, OfstedRating, Phase, UrbanRural
from threshold.register._files import name_key
from threshold.register.links import current_urns

MSG_NO_PHASE = (
    "the register has no phase column (PhaseOfEducation (name)); give a school census to take "
    "the phase from its SCHOOLTYPE"
)
MSG_NO_LA = "the register has no LA column (LA (code)); give a school census to take the LA from"
MSG_UNKNOWN_PHASE = (
    "register row {row} (URN {urn}) [PhaseOfEducation (name)]: {value!r} is not a GIAS phase "
    "(one of: {allowed})"
)
MSG_NO_NAME = "register row {row} (URN {urn}) [EstablishmentName]: is blank"

CENSUS_FIGURES = ("pupils_on_roll", "pct_fsm", "pct_eal", "pct_sen_support")
POSTCODE = r"[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}"
CLOSED = "closed"

GIAS_PHASES: dict[str, Phase | None] = {
    "Primary": Phase.PRIMARY,
    "Middle deemed primary": Phase.PRIMARY,
    "Secondary": Phase.SECONDARY,
    "Middle deemed secondary": Phase.SECONDARY,
    "All-through": Phase.ALL_THROUGH,
    "Nursery": None,
    "16 plus": None,
    "Not applicable": None,
}
"""GIAS `PhaseOfEducation (name)`: the contract phase, None where the trial has none."""

GIAS_TYPES: dict[str, EstablishmentType] = {
    "Community school": EstablishmentType.COMMUNITY,
    "Community special school": EstablishmentType.COMMUNITY,
    "Foundation school": EstablishmentType.FOUNDATION,
    "Foundation special school": EstablishmentType.FOUNDATION,
    "Voluntary aided school": EstablishmentType.VOLUNTARY_AIDED,
    "Voluntary controlled school": EstablishmentType.VOLUNTARY_CONTROLLED,
    "Academy converter": EstablishmentType.ACADEMY_CONVERTER,
    "Academy special converter": EstablishmentType.ACADEMY_CONVERTER,
    "Academy alternative provision converter": EstablishmentType.ACADEMY_CONVERTER,
    "Academy 16-19 converter": EstablishmentType.ACADEMY_CONVERTER,
    "Academy sponsor led": EstablishmentType.ACADEMY_SPONSOR_LED,
    "Academy special sponsor led": EstablishmentType.ACADEMY_SPONSOR_LED,
    "Academy alternative provision sponsor led": EstablishmentType.ACADEMY_SPONSOR_LED,
    "Academy 16 to 19 sponsor led": EstablishmentType.ACADEMY_SPONSOR_LED,
    "Free schools": EstablishmentType.FREE_SCHOOL,
    "Free schools special": EstablishmentType.FREE_SCHOOL,
    "Free schools alternative provision": EstablishmentType.FREE_SCHOOL,
    "Free schools 16 to 19": EstablishmentType.FREE_SCHOOL,
    "University technical college": EstablishmentType.FREE_SCHOOL,
    "Studio schools": EstablishmentType.FREE_SCHOOL,
    "City technology college": EstablishmentType.OTHER,
    "Local authority nursery school": EstablishmentType.OTHER,
    "Pupil referral unit": EstablishmentType.OTHER,
    "Non-maintained special school": EstablishmentType.OTHER,
    "Other independent school": EstablishmentType.OTHER,
    "Other independent special school": EstablishmentType.OTHER,
    "Further education": EstablishmentType.OTHER,
    "Sixth form centres": EstablishmentType.OTHER,
    "Special post 16 institution": EstablishmentType.OTHER,
    "Secure units": EstablishmentType.OTHER,
    "Service children's education": EstablishmentType.OTHER,
    "Online provider": EstablishmentType.OTHER,
    "Miscellaneous": EstablishmentType.OTHER,
}
"""GIAS `TypeOfEstablishment (name)`: the contract type; UTCs and studio schools are free
schools in law. A type not listed is missing."""

TYPE_PHASES: dict[str, Phase] = {
    **dict.fromkeys(
        (
            "Community special school",
            "Foundation special school",
            "Academy special converter",
            "Academy special sponsor led",
            "Free schools special",
            "Non-maintained special school",
            "Other independent special school",
        ),
        Phase.SPECIAL,
    ),
    **dict.fromkeys(
        (
            "Pupil referral unit",
            "Academy alternative provision converter",
            "Academy alternative provision sponsor led",
            "Free schools alternative provision",
        ),
        Phase.ALTERNATIVE_PROVISION,
    ),
}
"""Types whose phase is their type, whatever `PhaseOfEducation (name)` says."""

CENSUS_PHASES: dict[str, Phase] = {
    "State-funded primary": Phase.PRIMARY,
    "State-funded secondary": Phase.SECONDARY,
    "State-funded special school": Phase.SPECIAL,
    "Non-maintained special school": Phase.SPECIAL,
    "Pupil referral unit": Phase.ALTERNATIVE_PROVISION,
}
"""Census `SCHOOLTYPE`, used only where the register gives no phase (nurseries and independent
schools have none)."""

OFSTED_RATINGS: dict[str, OfstedRating] = {
    "Outstanding": OfstedRating.OUTSTANDING,
    "Good": OfstedRating.GOOD,
    "Requires improvement": OfstedRating.REQUIRES_IMPROVEMENT,
    "Inadequate": OfstedRating.INADEQUATE,
    "Serious Weaknesses": OfstedRating.INADEQUATE,
    "Special Measures": OfstedRating.INADEQUATE,
}
"""GIAS `OfstedRating (name)`; serious weaknesses and special measures are inadequate."""


def school_table(
    register: pd.DataFrame,
    census: pd.DataFrame | None = None,
    links: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The contract `schools` table, plus `census_urn`: the URN whose census figures it has.

    `register` is `read_register`'s frame, `census` `read_census`'s, `links` `read_links`'s.
    A school missing from the census takes the figures of the one census school whose successor
    links lead to it (none when several do: an amalgamation). Census figures win; without them
    `pupils_on_roll` is the register's `NumberOfPupils`. FSM is only taken from the census: the
    register's `PercentageFSM` is current eligibility, not eligibility in the last six years.
    """
    if "phase" not in register and census is None:
        raise InputError(MSG_NO_PHASE)
    if "la_code" not in register and census is None:
        raise InputError(MSG_NO_LA)
    schools = register
    if "status" in schools:
        schools = schools[_text(schools, "status").str.casefold() != CLOSED]
    census_urn = _census_urns(schools["urn"], census, links)
    found = _census_figures(census, census_urn)

    out = pd.DataFrame({"urn": schools["urn"].astype("int64"), "name": schools["name"]})
    out["la_code"] = _text(schools, "la_code").str.zfill(3).where(_text(schools, "la_code") != "")
    out["la_code"] = out["la_code"].fillna(found["la_code"]).astype("string")
    out["phase"] = _phases(schools).fillna(
        found["school_type"].map(lambda value: _code(_CENSUS_PHASES, value))
    )
    out["establishment_type"] = _text(schools, "establishment_type").map(
        lambda value: _code(_TYPES, value)
    )
    out["town"] = schools.get("town")
    out["postcode"] = _postcodes(_text(schools, "postcode"))
    for figure in CENSUS_FIGURES:
        out[figure] = found[figure]
    own = pd.to_numeric(_text(schools, "pupils_on_roll"), errors="coerce").astype("Float64")
    own = own.where((own >= 0) & (own % 1 == 0)).astype("Int64")
    out["pupils_on_roll"] = out["pupils_on_roll"].fillna(own)
    out["urban_rural"] = _text(schools, "urban_rural").map(_urban_rural)
    out["ofsted_rating"] = _text(schools, "ofsted_rating").map(
        lambda value: _code(_OFSTED_RATINGS, value)
    )
    out["census_urn"] = census_urn

    out = out[out["phase"].notna() & out["la_code"].notna()]
    blank = out["name"].isna() | (out["name"].astype("string").str.strip() == "")
    if blank.any():
        label = blank[blank].index[0]
        raise InputError(MSG_NO_NAME.format(row=label + 1, urn=out.at[label, "urn"]))
    for column in ("phase", "establishment_type", "urban_rural", "ofsted_rating"):
        out[column] = out[column].astype("string")
    return out.reset_index(drop=True)


def _census_urns(
    urns: pd.Series, census: pd.DataFrame | None, links: pd.DataFrame | None
) -> pd.Series:
    """The census URN matched to each register URN: itself, else a unique predecessor."""
    if census is None:
        return pd.Series(pd.NA, index=urns.index, dtype="Int64")
    matched = urns.where(urns.isin(census["urn"])).astype("Int64")
    if links is None:
        return matched
    older = census["urn"][~census["urn"].isin(urns)]
    resolved = current_urns(older, links)
    resolved = resolved[(resolved["steps"] > 0) & resolved["current_urn"].notna()]
    counts = resolved["current_urn"].value_counts()
    unique = resolved[resolved["current_urn"].isin(counts.index[counts == 1])]
    through = urns.map(dict(zip(unique["current_urn"], unique["urn"], strict=True)))
    return matched.fillna(through.astype("Int64"))


def _census_figures(census: pd.DataFrame | None, census_urn: pd.Series) -> pd.DataFrame:
    """The census row of each matched URN, indexed as `census_urn`; missing where unmatched."""
    columns = ["urn", "la_code", "school_type", *CENSUS_FIGURES]
    if census is None:
        census = pd.DataFrame(columns=columns).astype({"urn": "Int64"})
    found = pd.DataFrame({"urn": census_urn}).merge(census[columns], on="urn", how="left")
    return found.set_axis(census_urn.index)


def _phases(schools: pd.DataFrame) -> pd.Series:
    """The register's phase; missing where it has none (the census may give one)."""
    result = pd.Series(None, index=schools.index, dtype=object)
    if "phase" not in schools:
        return result
    kinds = _text(schools, "establishment_type")
    for label, value in _text(schools, "phase").items():
        if value == "":
            continue
        if name_key(value) not in _PHASES:
            raise InputError(
                MSG_UNKNOWN_PHASE.format(
                    row=label + 1,
                    urn=schools.at[label, "urn"],
                    value=value,
                    allowed=", ".join(GIAS_PHASES),
                )
            )
        result[label] = _code(_TYPE_PHASES, kinds[label]) or _code(_PHASES, value)
    return result


def _keyed(mapping: dict[str, Code | None]) -> dict[str, Code | None]:
    return {name_key(name): code for name, code in mapping.items()}


def _code(keyed: dict[str, Code | None], value: object) -> str | None:
    """The code of a GIAS name, ignoring case and punctuation; None if it has none."""
    found = keyed.get(name_key(value)) if isinstance(value, str) else None
    return None if found is None else found.value


_PHASES = _keyed(GIAS_PHASES)
_TYPES = _keyed(GIAS_TYPES)
_TYPE_PHASES = _keyed(TYPE_PHASES)
_CENSUS_PHASES = _keyed(CENSUS_PHASES)
_OFSTED_RATINGS = _keyed(OFSTED_RATINGS)


def _urban_rural(value: str) -> str | None:
    """GIAS's rural-urban classification names, e.g. `(England/Wales) Rural village`."""
    words = set(value.casefold().replace("(", " ").replace(")", " ").split())
    if "urban" in words:
        return UrbanRural.URBAN.value
    if "rural" in words:
        return UrbanRural.RURAL.value
    return None


def _postcodes(values: pd.Series) -> pd.Series:
    """Upper case with one space; missing where it is not a postcode."""
    spaced = (
        values.str.upper()
        .str.replace(r"\s+", "", regex=True)
        .str.replace(r"^(.+)(.{3})$", r"\1 \2", regex=True)
    )
    return spaced.where(spaced.str.fullmatch(POSTCODE)).astype("string")


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as stripped text, blank where missing or absent."""
    if column not in frame:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[column].fillna("").astype(str).str.strip()
