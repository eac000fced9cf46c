"""A harsh noise model for school names as people type them into front-door records.

It draws mentions of register schools with the errors seen in real front-door text: split and
merged words ("cShool", "Wes tByfleet"), doubled, dropped, transposed and mistyped letters,
abbreviations written either way (CofE / C of E / Church of England, RC / Roman Catholic /
Catholic, Jnr / Junior, Sch / School, St / Saint, VA / Voluntary Aided, …), words left out, the
town or postcode appended or in brackets, year groups and staff roles appended, capitals and
punctuation, and old names of converted academies; plus mentions that name no school. Used by
`benchmarks/linkage.py` and the linkage test; the linker was not written against any one draw
(see the benchmark for the seed held back for its final figure).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

# Each group: ways of writing the same thing, any of which people use for any other.
ABBREVIATIONS: tuple[tuple[str, ...], ...] = (
    ("Church of England", "C of E", "CofE", "CE", "C.E.", "C of E."),
    ("Roman Catholic", "RC", "R.C.", "Catholic", "R C"),
    ("Junior", "Jnr", "Jun", "Juniors"),
    ("Infant", "Inf", "Infants"),
    ("Primary", "Pri", "Prim", "Pry"),
    ("Community", "Comm", "Com"),
    ("School", "Sch", "Schl", "Skool"),
    ("Academy", "Acad", "Academy Trust"),
    ("Saint", "St", "St."),
    ("Voluntary Aided", "VA", "(VA)", "V.A."),
    ("Voluntary Controlled", "VC", "(VC)", "V.C."),
    ("High School", "High", "HS", "High Sch"),
    ("College", "Coll", "Collage"),
    ("Secondary", "Sec"),
    ("Nursery", "Nurs"),
    ("and", "&", "+"),
    ("Girls'", "Girls", "Girl's"),
    ("Boys'", "Boys", "Boy's"),
)
_FORMS = {form.casefold(): group for group in ABBREVIATIONS for form in group if form[0].isalnum()}
_FORM_PATTERN = re.compile(
    r"(?<![\w.])("
    + "|".join(re.escape(form) for form in sorted(_FORMS, key=len, reverse=True))
    + r")(?![\w])",
    re.IGNORECASE,
)
YEAR_GROUPS = ("Y6", "Yr 5", "year 10", "Year 3", "Y11", "yr7", "Reception", "Year 6 class")
ROLES = (
    "DSL",
    "head teacher",
    "Headteacher",
    "Deputy Head",
    "SENCO",
    "class teacher",
    "Designated Safeguarding Lead",
    "pastoral lead",
    "school office",
    "safeguarding lead",
    "learning mentor",
    "attendance officer",
)
NON_SCHOOL_MENTIONS = (
    "Unknown",
    "unknown school",
    "Home educated",
    "home-schooled",
    "EHE",
    "Elective Home Education",
    "Not in school",
    "not in education",
    "No school",
    "N/A",
    "n/k",
    "Not known",
    "not known at present",
    "TBC",
    "Missing",
    "None",
    "Police",
    "Social care",
    "Private tutor",
    "Out of school",
    "not stated",
    "other",
    "NIL",
)
_KEYS = "qwertyuiop asdfghjkl zxcvbnm"


def school_mentions(
    register: pd.DataFrame,
    count: int,
    rng: np.random.Generator,
    *,
    former_names: pd.DataFrame | None = None,
    non_school_share: float = 0.05,
) -> pd.DataFrame:
    """`count` mentions: `school_name` (as typed), `la_code` and `urn` (missing for the
    mentions that name no school). Schools are drawn at random from `register` (`urn`, `name`,
    `la_code`, `town`, `postcode`); a school with `former_names` (`urn`, `name`) is named by
    one of them a third of the time."""
    rows = rng.integers(len(register), size=count)
    picks = register.iloc[rows]
    former = (
        former_names.groupby("urn")["name"].agg(tuple).to_dict() if former_names is not None else {}
    )
    names = []
    for urn, name, town, postcode in zip(
        picks["urn"], picks["name"], picks["town"], picks["postcode"], strict=True
    ):
        old = former.get(int(urn), ())
        if old and rng.random() < 1 / 3:
            name = old[int(rng.integers(len(old)))]
        names.append(noisy_school_name(str(name), _text(town), _text(postcode), rng))
    urns = pd.array(picks["urn"].to_numpy(), dtype="Int64")
    for i in np.flatnonzero(rng.random(count) < non_school_share):
        names[i] = _case(NON_SCHOOL_MENTIONS[int(rng.integers(len(NON_SCHOOL_MENTIONS)))], rng)
        urns[i] = pd.NA
    return pd.DataFrame({"school_name": names, "la_code": picks["la_code"].to_numpy(), "urn": urns})


def repeat_mentions(distinct: pd.DataFrame, count: int, rng: np.random.Generator) -> pd.DataFrame:
    """`count` rows of `distinct`, as front-door data repeat names: each row once, the rest
    drawn so that a few names come very often and most rarely (Zipf, exponent 1.3); with a
    `mention_id` numbering them."""
    repeats = rng.zipf(1.3, count - len(distinct)) % len(distinct)
    rows = np.concatenate([np.arange(len(distinct)), repeats])
    mentions = distinct.iloc[rows].reset_index(drop=True)
    mentions.insert(0, "mention_id", np.arange(len(mentions)))
    return mentions


def noisy_school_name(name: str, town: str, postcode: str, rng: np.random.Generator) -> str:
    """One mention of the school `name` (in `town`, at `postcode`) with front-door errors."""
    text = _FORM_PATTERN.sub(lambda match: _other_form(match, rng), name)
    words = text.split()
    if words and words[0].casefold() == "the" and rng.random() < 0.5:
        words = words[1:]
    if len(words) > 4 and rng.random() < 0.1:
        del words[int(rng.integers(1, len(words)))]
    text = " ".join(words)
    for _ in range(rng.poisson(0.6)):
        text = _typo(text, rng)
    if rng.random() < 0.12:
        text = _merge_words(text, rng)
    if rng.random() < 0.12:
        text = _split_word(text, rng)
    text = _place(text, town, postcode, rng)
    draw = rng.random()
    if draw < 0.08:
        text = f"{text} {YEAR_GROUPS[int(rng.integers(len(YEAR_GROUPS)))]}"
    elif draw < 0.16:
        role = ROLES[int(rng.integers(len(ROLES)))]
        text = f"{text} - {role}" if rng.random() < 0.5 else f"{text} ({role})"
    return _case(text, rng)


def invent_former_names(
    register: pd.DataFrame, share: float, rng: np.random.Generator
) -> pd.DataFrame:
    """Invented predecessor names (`urn`, `name`) for `share` of the register's academies, as
    a GIAS links file would give them: the name before conversion (the academy's name with a
    school's ending) or, for one in three, another school's name altogether."""
    academies = register[register["name"].str.contains("Academy", na=False)]
    chosen = academies[rng.random(len(academies)) < share]
    others = register["name"].to_numpy()
    endings = ("School", "Primary School", "High School", "Community School", "Junior School")
    names = []
    for name in chosen["name"]:
        if rng.random() < 1 / 3:
            names.append(str(others[int(rng.integers(len(others)))]))
        else:
            stem = re.sub(r"\s*\bAcademy\b.*$", "", str(name)).strip() or str(name)
            names.append(f"{stem} {endings[int(rng.integers(len(endings)))]}")
    return pd.DataFrame({"urn": chosen["urn"].to_numpy(), "name": names})


def _text(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def _other_form(match: re.Match[str], rng: np.random.Generator) -> str:
    if rng.random() >= 0.35:
        return match.group(0)
    group = _FORMS[match.group(0).casefold()]
    return group[int(rng.integers(len(group)))]


def _typo(text: str, rng: np.random.Generator) -> str:
    """A doubled, dropped, transposed or mistyped letter (never the first)."""
    letters = [i for i, char in enumerate(text) if char.isalpha()]
    if len(letters) < 5:
        return text
    i = letters[int(rng.integers(1, len(letters)))]
    kind = int(rng.integers(4))
    if kind == 0:
        return text[:i] + text[i] + text[i:]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    if kind == 2 and i + 1 < len(text):
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    near = _KEYS.find(text[i].lower())
    if near < 0:
        return text
    step = -1 if near > 0 and _KEYS[near - 1] != " " and rng.random() < 0.5 else 1
    key = _KEYS[min(near + step, len(_KEYS) - 1)]
    return text[:i] + (key if key != " " else text[i]) + text[i + 1 :]


def _merge_words(text: str, rng: np.random.Generator) -> str:
    spaces = [i for i, char in enumerate(text) if char == " "]
    if not spaces:
        return text
    i = spaces[int(rng.integers(len(spaces)))]
    return text[:i] + text[i + 1 :]


def _split_word(text: str, rng: np.random.Generator) -> str:
    """A space put inside a word, or moved one letter across a word boundary."""
    spaces = [i for i, char in enumerate(text) if char == " " and 0 < i < len(text) - 2]
    if spaces and rng.random() < 0.5:
        i = spaces[int(rng.integers(len(spaces)))]
        return text[:i] + text[i + 1] + " " + text[i + 2 :]
    inner = [i for i in range(2, len(text) - 1) if text[i - 1 : i + 1].isalpha()]
    if not inner:
        return text
    i = inner[int(rng.integers(len(inner)))]
    return text[:i] + " " + text[i:]


def _place(text: str, town: str, postcode: str, rng: np.random.Generator) -> str:
    draw = rng.random()
    if draw < 0.08 and town:
        return f"{text}, {town}"
    if draw < 0.14 and town:
        return f"{text} ({town})"
    if draw < 0.18 and town:
        return f"{text} - {town}"
    if draw < 0.22 and postcode:
        return f"{text} {postcode.lower() if rng.random() < 0.5 else postcode}"
    if draw < 0.25 and postcode:
        return f"{text} ({postcode})"
    return text


def _case(text: str, rng: np.random.Generator) -> str:
    text = change_case(text, rng, (0.15, 0.3, 0.35))
    if rng.random() < 0.1:
        text = text.replace("'", "").replace("’", "").replace(".", "")
    if rng.random() < 0.05:
        text = f" {text}  ".replace(" ", "  ", 1)
    return text


_CASES = (str.upper, str.lower, str.title)


def change_case(text: str, rng: np.random.Generator, cuts: tuple[float, ...]) -> str:
    """`text` in capitals, small letters or title case when one draw falls below the first,
    second or third of the ascending `cuts`; else as it is."""
    draw = rng.random()
    for cut, case in zip(cuts, _CASES, strict=False):
        if draw < cut:
            return case(text)
    return text
