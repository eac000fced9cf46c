"""Contacts as LAs really export them: the input for the front-door readers and school linkage.

Each LA's contacts file has its own system's headers (Annex A–style or a case-management
export), its own date format with some rows in another, Windows-1252 encoding (one LA: UTF-8
with a BOM), messy source labels and outcomes, duplicated rows, and the contacting school as
free text with the errors people make. `truth.csv` says, for every row, which contact and
school it is. Referrals are written as the Standard Safeguarding Dataset's `ssd_cin_episodes`
extract, one per LA.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from threshold.model import ContactOutcome, ReferralOutcome, SourceCode
from threshold.synth.school_names import change_case

HEADER_STYLES = (
    (
        "Child Unique ID",
        "Date of Contact",
        "Contact Source",
        "Referring School",
        "Contact Outcome",
        None,
        "Child's School URN",
    ),
    (
        "PersonID",
        "ContactDate",
        "Source",
        "SourceOrganisation",
        "Outcome",
        "ContactID",
        "ChildSchoolURN",
    ),
    (
        "Child ID",
        "Contact date",
        "Source of contact",
        "School/Setting",
        "Outcome of contact",
        "Contact Ref",
        "Child school URN",
    ),
)
"""The LA systems' contacts headers (the LAs take them in turn; the first is Annex A's): child id,
date, source, school, outcome, contact id (None where the system has none), child's school."""
_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%b-%y", "%d.%m.%Y", "%d/%m/%Y %H:%M")
_SOURCE_SPELLINGS = {
    SourceCode.SCHOOLS: ("e) 2A: Schools", "Schools", "2A", "School/Education", "SCHOOL"),
    SourceCode.POLICE: ("q) 6: Police", "Police", "6", "POLICE"),
}
_OUTCOME_SPELLINGS = {
    ContactOutcome.NFA: (
        "NFA",
        "No Further Action",
        "No further action",
        "nfa - no further action",
    ),
    ContactOutcome.INFORMATION_ADVICE: ("Information & Advice", "Info and advice", "Advice given"),
    ContactOutcome.EARLY_HELP: ("Early Help", "Step to Early Help", "EH"),
    ContactOutcome.REFERRAL: ("Referral", "Progress to Referral", "Referral to CSC"),
}
MESSY_PROFILE = Path(__file__).with_name("messy_exports.toml")
"""The column-mapping profile (TOML, for `threshold frontdoor import --format mapped`) that
reads every export this module writes: its headers and spellings, as an LA analyst would
write them down."""
_CLOSE_REASONS = {
    ReferralOutcome.NFA_AFTER_ASSESSMENT: "RC8",
    ReferralOutcome.EARLY_HELP: "RC9",
}
"""SSD reasons for closure that say how a referral ended (others leave it a child in need)."""
_NON_SCHOOL_MENTIONS = ("Unknown", "Home educated", "not in school", "N/A", "EHE", "Not known")
_WORD_SWAPS = (
    ("Saint ", "St "),
    ("St ", "St. "),
    ("St ", "Saint "),
    ("Church of England", "C of E"),
    ("Church of England", "CofE"),
    ("C of E", "CE"),
    ("C of E", "Church of England"),
    ("Catholic", "RC"),
    ("Catholic", "R.C."),
    ("RC", "Roman Catholic"),
    ("Academy", "Acad"),
    ("High School", "High"),
    ("High School", "HS"),
    ("School", "Sch"),
    ("Community College", "CC"),
    ("College", "Coll"),
    (" School", ""),
    ("The ", ""),
    ("'s", "s"),
    ("'", "’"),
    (" and ", " & "),
)


def write_messy_exports(
    contacts: pd.DataFrame, schools: pd.DataFrame, directory: Path, rng: np.random.Generator
) -> list[Path]:
    """Write each LA's contacts as its system exports them (the child's school as a URN, as
    the LA's education records give it), and truth.csv; return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    register = {
        int(urn): (str(name), str(town), str(postcode))
        for urn, name, town, postcode in schools[["urn", "name", "town", "postcode"]].itertuples(
            index=False
        )
    }
    truths: list[pd.DataFrame] = []
    paths: list[Path] = []
    for number, (la_code, group) in enumerate(contacts.groupby("cont_la_code", sort=True)):
        style = HEADER_STYLES[number % len(HEADER_STYLES)]
        repeat = rng.random(len(group)) < 0.015
        order = np.sort(
            np.concatenate([np.arange(len(group)), np.flatnonzero(repeat)]), kind="stable"
        )
        rows = group.iloc[order].reset_index(drop=True)
        usual, other = (
            _DATE_FORMATS[number % len(_DATE_FORMATS)],
            _DATE_FORMATS[(number + 1) % len(_DATE_FORMATS)],
        )
        odd = rng.random(len(rows)) < 0.08
        dates = (
            rows["cont_contact_date"]
            .dt.strftime(usual)
            .where(~odd, rows["cont_contact_date"].dt.strftime(other))
        )
        school_text = [_school_text(urn, register, rng) for urn in rows["cont_source_school_urn"]]
        columns = {
            style[0]: rows["cont_person_id"],
            style[1]: dates,
            style[2]: _spellings(rng, rows["cont_contact_source_code"], _source_spellings),
            style[3]: school_text,
            style[4]: _spellings(rng, rows["cont_contact_outcome"], _outcome_spellings),
        }
        if style[5] is not None:
            columns[style[5]] = rows["cont_contact_id"]
        columns[style[6]] = rows["cont_child_school_urn"].astype("Int64")
        name = f"contacts_{la_code}.csv"
        path = directory / name
        encoding = "utf-8-sig" if number == 1 else "cp1252"
        pd.DataFrame(columns).to_csv(
            path, index=False, encoding=encoding, errors="replace", lineterminator="\r\n"
        )
        paths.append(path)
        truths.append(
            pd.DataFrame(
                {
                    "la_code": la_code,
                    "file": name,
                    "row": np.arange(1, len(rows) + 1),
                    "cont_contact_id": rows["cont_contact_id"],
                    "urn": rows["cont_source_school_urn"].astype("Int64"),
                    "school_text": school_text,
                }
            )
        )
    truth_path = directory / "truth.csv"
    pd.concat(truths, ignore_index=True).to_csv(truth_path, index=False, lineterminator="\n")
    return [*paths, truth_path]


def _source_spellings(value: str) -> tuple[str, ...]:
    code = SourceCode(value)
    return _SOURCE_SPELLINGS.get(
        code, (code.value, code.label.split(":")[0], f"{code.value}: {code.label}")
    )


def _outcome_spellings(value: str) -> tuple[str, ...]:
    return _OUTCOME_SPELLINGS[ContactOutcome(value)]


def _spellings(
    rng: np.random.Generator, values: pd.Series, options_of: Callable[[str], tuple[str, ...]]
) -> list[str]:
    """Each value written in one of the ways LAs write it (blank stays blank)."""
    picks = rng.random(len(values))
    out = []
    for value, pick in zip(values, picks, strict=True):
        if pd.isna(value) or value == "":
            out.append("")
            continue
        options = options_of(value)
        out.append(options[int(pick * len(options))])
    return out


def _school_text(
    urn: object, register: dict[int, tuple[str, str, str]], rng: np.random.Generator
) -> str:
    """The contacting school as a person typed it (blank for contacts not made by a school)."""
    if pd.isna(urn):
        return ""
    if rng.random() < 0.03:
        return _NON_SCHOOL_MENTIONS[rng.integers(len(_NON_SCHOOL_MENTIONS))]
    return mangle_school_name(*register[int(urn)], rng)


def mangle_school_name(name: str, town: str, postcode: str, rng: np.random.Generator) -> str:
    """A school name with the variations and errors found in front-door free text."""
    text = name
    for old, new in _WORD_SWAPS:
        if old in text and rng.random() < 0.18:
            text = text.replace(old, new, 1)
    draw = rng.random()
    if draw < 0.12:
        text = f"{text}, {town}"
    elif draw < 0.17:
        text = f"{text} ({town})"
    elif draw < 0.2:
        text = f"{text} {postcode}"
    if rng.random() < 0.12:
        text = _typo(text, rng)
    text = change_case(text, rng, (0.1, 0.15))
    if rng.random() < 0.05:
        text = f"  {text} "
    return text


def _typo(text: str, rng: np.random.Generator) -> str:
    letters = [i for i, char in enumerate(text) if char.isalpha()]
    if len(letters) < 4:
        return text
    i = letters[rng.integers(1, len(letters))]
    kind = rng.integers(3)
    if kind == 0:
        return text[:i] + text[i + 1 :]
    if kind == 1 and i + 1 < len(text):
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + text[i] + text[i:]


def write_referral_extracts(referrals: pd.DataFrame, directory: Path) -> list[Path]:
    """Write each LA's referrals as an SSD `ssd_cin_episodes` extract (`referrals_LA.csv`): how
    a referral ended as the NFA flag, the reason for closure (`RC8` NFA after assessment, `RC9`
    early help) and the close date; an LA that does not record outcomes leaves those columns
    out. Return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for la_code, group in referrals.groupby("cine_la_code", sort=True):
        outcome = group["cine_referral_outcome"]
        extract = pd.DataFrame(
            {
                "cine_referral_id": group["cine_referral_id"],
                "cine_contact_id": group["cine_contact_id"],
                "cine_person_id": group["cine_person_id"],
                "cine_referral_date": group["cine_referral_date"].dt.strftime("%Y-%m-%d"),
                "cine_referral_source_code": group["cine_referral_source_code"],
                "cine_source_school_urn": group["cine_source_school_urn"].astype("Int64"),
                "cine_child_school_urn": group["cine_child_school_urn"].astype("Int64"),
            }
        )
        if outcome.notna().any():
            extract["cine_referral_nfa"] = np.where(
                outcome == ReferralOutcome.NFA_AT_REFERRAL, "Y", "N"
            )
            extract["cine_close_reason"] = outcome.map(_CLOSE_REASONS).fillna("")
            extract["cine_close_date"] = group["cine_close_date"].dt.strftime("%Y-%m-%d")
        path = directory / f"referrals_{la_code}.csv"
        extract.to_csv(path, index=False, lineterminator="\n")
        paths.append(path)
    return paths
