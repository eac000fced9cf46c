"""Invented names, codes and places for the synthetic world.

Nothing here may be attributable to a real school or authority: LA names and towns are
invented, LA numbers lie in 981–991 (DfE numbers end at 943), URNs lie in 990000–999999
(real URNs are below 160000), and postcodes start with Q (no UK postcode area does).
"""

from __future__ import annotations

import numpy as np

FICTIONAL_LA_CODES = tuple(f"{code}" for code in range(981, 992))
FICTIONAL_URN_RANGE = (990000, 999999)

# (name, region, towns); the last is a London borough (highest delivery costs).
LOCAL_AUTHORITIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Brackenmoor", "North West", ("Brackenmoor", "Haddlesby", "Orrinton", "Wexcombe")),
    ("Calderholm", "Yorkshire and the Humber", ("Calderholm", "Skelbrook", "Thornsett")),
    ("Dunsmere", "North East", ("Dunsmere", "Ravensholt", "Callowgate")),
    ("Fellbridge", "North West", ("Fellbridge", "Marlstow", "Ellerbeck", "Quarrendon")),
    ("Greywater", "East Midlands", ("Greywater", "Ashcombe Magna", "Lidderby")),
    ("Hollinsford", "West Midlands", ("Hollinsford", "Brindlecote", "Stannow", "Wythall Green")),
    ("Kestrelton", "South West", ("Kestrelton", "Porthavel", "Tregallow", "Combe Ferris")),
    ("Lowmarsh", "East of England", ("Lowmarsh", "Fenby St Clare", "Haverleigh")),
    ("Marwick", "South East", ("Marwick", "Oakhurst Cross", "Selbourne Ley", "Tidmarsh End")),
    ("Northfold", "Yorkshire and the Humber", ("Northfold", "Garsby", "Keldholme")),
    ("Thamesreach", "London", ("Thamesreach", "Wharfside", "St Olave's Reach")),
)

_SAINTS = (
    "Aidan's",
    "Alban's",
    "Anselm's",
    "Bede's",
    "Benedict's",
    "Cuthbert's",
    "Edmund's",
    "Gregory's",
    "Hilda's",
    "John Fisher",
    "Joseph's",
    "Mary's",
    "Michael's",
    "Monica's",
    "Patrick's",
    "Peter's",
    "Thomas More",
    "Wilfrid's",
    "Augustine's",
    "Bernadette's",
)
_FAITH = ("Catholic", "Church of England", "C of E", "RC")
_QUALITIES = (
    "Park",
    "Hill",
    "Vale",
    "Grange",
    "Moor",
    "Field",
    "Brook",
    "Heath",
    "Meadow",
    "Ridge",
    "Wood",
    "Lea",
    "Mount",
    "Castle",
    "Priory",
    "Manor",
    "Cross",
    "Bridge",
    "Green",
    "Oaks",
)
_SUFFIXES = (
    "Academy",
    "High School",
    "School",
    "Community College",
    "College",
    "Secondary School",
    "High School",
    "Academy",
    "Community School",
    "School and Sixth Form College",
)
_PATRONS = (
    "Harrington",
    "Whitcombe",
    "Ellison",
    "Ravensworth",
    "Cartwright",
    "Haldane",
    "Ormsby",
    "Pelham",
    "Sandiford",
    "Tennant",
    "Wolstenholme",
    "Brockley",
    "Darnell",
    "Fairbrother",
)


def school_names(rng: np.random.Generator, towns: list[str]) -> list[str]:
    """Distinct invented secondary-school names, one for a school in each of `towns`.

    Faith schools reuse the common saint names, as real registers do, so the same name can
    stand in several LAs and only the LA, town or postcode tells them apart.
    """
    names: list[str] = []
    while len(names) < len(towns):
        kind = rng.random()
        town = towns[len(names)]
        if kind < 0.18:
            faith = _FAITH[rng.integers(len(_FAITH))]
            saint = _SAINTS[rng.integers(len(_SAINTS))]
            suffix = ("High School", "Academy", "School", "College")[rng.integers(4)]
            name = f"St {saint} {faith} {suffix}"
        elif kind < 0.50:
            quality = _QUALITIES[rng.integers(len(_QUALITIES))]
            name = f"{town} {quality} {_SUFFIXES[rng.integers(len(_SUFFIXES))]}"
        elif kind < 0.70:
            name = f"{town} {_SUFFIXES[rng.integers(len(_SUFFIXES))]}"
        elif kind < 0.85:
            patron = _PATRONS[rng.integers(len(_PATRONS))]
            name = f"The {patron} {('Academy', 'School', 'High School')[rng.integers(3)]}"
        else:
            quality = _QUALITIES[rng.integers(len(_QUALITIES))]
            kinds = ("Academy", "School", "High School", "Community College")
            name = f"{quality} {kinds[rng.integers(4)]}"
        if name not in names:
            names.append(name)
    return names


def postcodes(rng: np.random.Generator, area: str, count: int) -> list[str]:
    """`count` distinct invented postcodes in the postcode area `area` (two letters from Q)."""
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    found: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        district = int(rng.integers(1, 30))
        sector = int(rng.integers(0, 10))
        unit = letters[rng.integers(len(letters))] + letters[rng.integers(len(letters))]
        code = f"{area}{district} {sector}{unit}"
        if code not in found:
            found.add(code)
            out.append(code)
    return out


def urns(rng: np.random.Generator, count: int) -> np.ndarray:
    """`count` distinct URNs from the reserved fictional range, in random order."""
    low, high = FICTIONAL_URN_RANGE
    return rng.choice(np.arange(low, high + 1), size=count, replace=False)
