"""Find identifying details in free text before it is saved (pure Python, no Django).

Supervision records, first-session sheets and DSL worksheets must describe situations without
identifying anyone. `find_identifiers` flags what looks like an identifier so that the writer
removes it or confirms it is not identifying. Two families of check:

- **Deterministic** (a pattern, and a checksum where one exists): e-mail addresses, Unique
  Pupil Numbers (a letter, 11 digits, a letter or digit), NHS numbers (10 digits, alone or as
  3-3-4, whose modulus-11 check digit is right), postcodes (upper case, real inward-code
  letters), UK phone numbers (0 or +44, then 9 or 10 digits, spaced or not) and full dates
  (day, month and year, in figures or words: any may be a date of birth).
- **Heuristic** (names): a title and a capitalised word ("Mrs Khan"); two or more capitalised
  words in a row, not counting a sentence's first word or words on the allow-list of
  safeguarding, role, service, place and calendar words ("Early Help", "Year", "March"); a
  capitalised word after a cue ("called Jayden", "a pupil, Ellie").

The trade-off is deliberate: the name rules miss a lone first name that opens a sentence or has
no cue ("Jayden told his tutor") and lower-case names; they flag multi-word names of services or
places not on the allow-list ("Riverside Youth Project"), which the writer then confirms. The
deterministic checks miss lower-case postcodes, phone numbers written with unusual separators,
and numeric identifiers other than UPNs and valid NHS numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """What a finding looks like; the value is what the warning shows."""

    NAME = "a personal name"
    DATE = "a date (it could be a date of birth)"
    UPN = "a Unique Pupil Number"
    NHS_NUMBER = "an NHS number"
    POSTCODE = "a postcode"
    PHONE = "a phone number"
    EMAIL = "an e-mail address"


DETERMINISTIC = frozenset(Kind) - {Kind.NAME}
"""The kinds found by pattern (and checksum), not by heuristic."""


@dataclass(frozen=True, order=True)
class Finding:
    """One thing that looks identifying: `text[start:end]` of the checked text."""

    start: int
    end: int
    kind: Kind
    text: str


EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
UPN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]\d{11}[0-9A-Za-z](?![A-Za-z0-9])")
NHS_NUMBER = re.compile(r"(?<![\d+])(?<!\+44[ -])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\d])")
POSTCODE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{1,2}\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}(?![A-Za-z0-9])")
PHONE = re.compile(
    r"(?<![\w+])(?:\+44[ -]?(?:\(0\)[ -]?)?|\(0|0)\d{1,4}\)?(?:[ -]?\d){5,9}(?![\d])"
)
MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
DATE = re.compile(
    r"(?<![\d/.-])(?:"
    r"(?:0?[1-9]|[12]\d|3[01])[/.-](?:0?[1-9]|1[0-2])[/.-](?:\d{4}|\d{2})"
    r"|\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
    rf"|(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?(?: of)? (?:{MONTHS})\.?,? \d{{4}}"
    rf"|(?:{MONTHS})\.? (?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?,? \d{{4}}"
    r")(?![\d/.-]\d)",
    re.IGNORECASE,
)

WORD = r"[A-Z][a-z]+(?:[A-Z][a-z]+)?(?:['’-][A-Za-z][a-z]*)*"
TITLED = re.compile(rf"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.? {WORD}(?: {WORD})*")
CAPITALISED_RUN = re.compile(rf"\b{WORD}(?: {WORD})+")
CUED = re.compile(
    r"\b(?:called|named|known as|pupil|student|child|boy|girl|brother|sister|sibling|son|"
    rf"daughter|friend|cousin),? ({WORD})"
)
SENTENCE_OPENERS = ".!?:;•*-–—(\"“'‘"
"""Characters after which (and white space) a capitalised word opens a sentence or item."""

_ALLOWED = """
    academy action agency aid alternative april assessment august authority autumn board boys
    brook care centre channel child childline children christmas city college
    community conference council county court cp cse designated deputy direct district early
    easter education emotional encompass england english exploitation family february forum
    foundation friday front girls google governor governors group guidance head headteacher
    health help high home hospital hub in-need inset instagram internet january july june
    justice keeping key kooth lead leader leads local march may minds mental monday multi-agency
    need neglect network premium nhs november october ofsted online operation partnership pastoral
    police prevent primary protection provision referral refuge safe safeguarding samaritans
    saturday school schools secondary section senco send september service services snapchat
    social society special spring stage st saint sunday support team teams the thursday tiktok
    trust tuesday unit wednesday whatsapp winter women worker workers working year young
    youtube zoom half term this that these there then when where what while after before we
    our they their she he his her it its a an and but or if as at on by for from with
    following during however although because since today yesterday tomorrow last next
"""
ALLOWED_WORDS = frozenset(_ALLOWED.split())
"""Capitalised words that never make a name (lower case): safeguarding, role, service, place
and calendar words, and words that often open a sentence or heading."""


def find_identifiers(text: str) -> list[Finding]:
    """Everything in `text` that looks identifying, in order of position; where two findings
    overlap, the deterministic one (or the earlier, longer one) is kept."""
    found = [
        *_matches(EMAIL, text, Kind.EMAIL),
        *_matches(UPN, text, Kind.UPN),
        *(f for f in _matches(NHS_NUMBER, text, Kind.NHS_NUMBER) if nhs_number_valid(f.text)),
        *(f for f in _matches(PHONE, text, Kind.PHONE) if _phone_digits_valid(f.text)),
        *_matches(POSTCODE, text, Kind.POSTCODE),
        *_matches(DATE, text, Kind.DATE),
        *_names(text),
    ]
    kept: list[Finding] = []
    for finding in found:  # in priority order: deterministic kinds first
        if not any(finding.start < k.end and k.start < finding.end for k in kept):
            kept.append(finding)
    return sorted(kept)


def nhs_number_valid(number: str) -> bool:
    """Whether a 10-digit NHS number (spaces and hyphens ignored) has the right check digit:
    weights 10 down to 2 on the first nine digits; 11 minus the sum modulo 11 (11 is 0, and a
    result of 10 is never issued)."""
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) != 10:
        return False
    check = 11 - sum(d * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    check = 0 if check == 11 else check
    return check != 10 and check == digits[9]


def _phone_digits_valid(number: str) -> bool:
    digits = re.sub(r"\D", "", number)
    national = (digits[2:] if number.startswith("+") else digits).removeprefix("0")
    return len(national) in (9, 10) and national[0] in "1235789"


def _matches(pattern: re.Pattern[str], text: str, kind: Kind) -> list[Finding]:
    return [Finding(m.start(), m.end(), kind, m.group()) for m in pattern.finditer(text)]


def _allowed(word: str) -> bool:
    return re.sub(r"['’]s?$", "", word.lower()) in ALLOWED_WORDS


def _at_sentence_start(text: str, position: int) -> bool:
    before = text[:position]
    stripped = before.rstrip()
    return not stripped or "\n" in before[len(stripped) :] or stripped[-1] in SENTENCE_OPENERS


def _names(text: str) -> list[Finding]:
    names = _matches(TITLED, text, Kind.NAME)
    for match in CUED.finditer(text):
        if not _allowed(match.group(1)):
            names.append(Finding(match.start(1), match.end(1), Kind.NAME, match.group(1)))
    for match in CAPITALISED_RUN.finditer(text):
        words = [(m.start(), m.group()) for m in re.finditer(r"\S+", match.group())]
        run: list[tuple[int, str]] = []
        for offset, word in [*words, (len(match.group()), "")]:
            start = match.start() + offset
            if word and not _allowed(word) and not (not run and _at_sentence_start(text, start)):
                run.append((start, word))
                continue
            if len(run) >= 2:
                first, last = run[0], run[-1]
                end = last[0] + len(last[1])
                names.append(Finding(first[0], end, Kind.NAME, text[first[0] : end]))
            run = []
    return names
