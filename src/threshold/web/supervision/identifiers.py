"""Find identifying details in free text before it is saved (pure Python, no Django).

Records of supervision, the programme and guidance must describe situations without
identifying anyone. `find_identifiers` flags what looks like an identifier so that the writer
removes it or confirms it is not identifying.

It first reads the text as `normalise` does (compatibility forms, accents, invisible format
characters and look-alike letters of other scripts folded away), so that "Jаyden" with a
Cyrillic "а", or a name split by a zero-width space, reads as the name it shows; findings
point at the characters of the text as written. Then two families of check:

- **Deterministic** (a pattern, and a checksum where one exists): e-mail addresses, Unique
  Pupil Numbers (a letter, 11 digits, a letter or digit; spaces or hyphens allowed after the
  first digit, as in "A123 4567 8901 B"), NHS numbers (10 digits, alone or as 3-3-4, whose
  modulus-11 check digit is right), postcodes (upper case, real inward-code letters), UK phone
  numbers (0 or +44, then 9 or 10 digits, spaced or not) and full dates (day, month and year,
  in figures or words: any may be a date of birth).
- **Heuristic** (names, in Title Case or in CAPITALS): a title and a name ("Mrs Khan", "MR
  KHAN"); two or more name-like words in a row, not counting words on the allow-list of
  safeguarding, role, service, school, place, calendar and common words ("Early Help", "LEAD
  DSL", "March"), words without a vowel (acronyms: "DSL", "NSPCC"), nor a Title Case word that
  opens a sentence; a name after a cue: a relation or child ("called Jayden", "her mum,
  Sarah", "the pupil JAYDEN"), a role and a bracket ("Lead DSL (Jane)"), or a role, a colon
  or dash and a full name ("Deputy DSL: Jane Smith").

The trade-off is deliberate: the name rules miss a lone first name that opens a sentence or has
no cue ("Jayden told his tutor"), a Title Case full name opening a sentence, and lower-case
names; they flag multi-word names of services or places not on the allow-list ("Riverside
Youth Project"), a place in brackets after a role ("Lead DSL (Northmoor)") and headings in
capitals of words not on it, which the writer then confirms. The deterministic checks miss
lower-case postcodes, phone numbers written with unusual separators, and numeric identifiers
other than UPNs and valid NHS numbers.
"""

from __future__ import annotations

import re
import string
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, cached_property

from confusable_homoglyphs.confusables import confusables_data


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
UPN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]\d(?:[ -]?\d){10}[ -]?[0-9A-Za-z](?![A-Za-z0-9])")
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

WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
"""A word: letters of any script, joined by apostrophes or hyphens ("O'Brien", "Smith-Jones")."""
TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr"})
CUE = re.compile(
    r"\b(?i:(?P<relation>called|named|known as|pupil|student|child|boy|girl|brother|sister|"
    r"sibling|son|daughter|friend|cousin|mum|mother|dad|father|carer|stepmum|stepdad|nan|gran|"
    r"grandma|grandad|aunt|uncle|boyfriend|girlfriend)|(?P<role>dsl|deputy|head teacher|"
    r"headteacher|teacher|tutor|senco|sendco|governor|parent|partner))"
    r"(?P<separator>\s*\(\s*|\s*,\s*|\s*[:–—-]\s*| )(?=\w)"
)
"""A cue that a name follows: a relation or child, then a space, comma or bracket; or a role,
then a bracket (one name word is enough), or a colon or dash (a full name)."""
SENTENCE_OPENERS = ".!?:;•*-–—\"“'‘"
"""Characters after which (and white space) a Title Case word opens a sentence or item."""
VOWELS = frozenset("aeiouy")

_ALLOWED = """
    academy action actions agency aid alternative april assessment assessments august authority
    autumn board boys brook care centre channel child childline children christmas city college
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

    teacher teachers tutor tutors sendco dsl ssw staff member members colleague colleagues
    manager officer officers nurse nurses doctor gp practitioner practitioners chair clerk
    trustee trustees principal assistant lado iro governing body welfare virtual psychologist
    mum mummy dad daddy mother father parent parents carer carers nan gran grandma grandad
    grandparent grandparents aunt uncle stepmum stepdad sibling siblings brother sister mash
    camhs ehcp cin cme cce kcsie marac mappa semh ebsa pru ehe icpc rcpc caf eha ehat taf pep
    lac cla cyp yot yos adhd asd sen pshe rse idva isva sarc ceop ewo eyfs iep gcse sats salt ot
    ep sw ok tv pe re uk la id am pm asap fyi dfe ae ai aka etc eal esol plan plans risk safety
    step steps rule rules ground point points note notes agreed review summary update updates
    concern concerns urgent important please meeting meetings agenda minutes topic topics
    discussion reflection reflections wellbeing check outcome outcomes record records training
    supervision briefing handbook policy policies procedure procedures protocol form forms
    report reports log strategy strategies session sessions case cases worry worries previous
    new old hopes practicalities situation presentation resources signposted information sharing
    recording thresholds threshold level levels route routes pathway line advice follow-up
    continuum physical abuse sexual criminal lines domestic harmful behaviour self-harm
    substance misuse radicalisation extremism fgm honour-based missing educational needs
    disabilities escalation workload attendance exclusion exclusions bullying north south east
    west northern southern eastern western greater upper lower central inner outer town borough
    village region estate midlands jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues
    wed thu thur thurs fri sat sun week weeks weekend month months morning afternoon evening
    night holiday holidays i me my you your him them us was were is are be been has have had do
    did does not no yes all any some each every both of to in into out up down over under about
    above below between through so too very also just only still who which why how here than
    once again further should would could must one two three four five six seven eight nine ten
    first second third other others same such more most less few many much per via
    number numbers infant infants junior nursery grammar comprehensive catholic church
    methodist anglican christian sixth federation studio technical
"""
ALLOWED_WORDS = frozenset(_ALLOWED.split())
"""Words that never make a name (lower case): safeguarding, role, service, school, place and
calendar words, acronyms with a vowel, and common words that open a sentence or heading."""


@cache
def _latin_lookalikes() -> dict[str, str]:
    """Letters and digits of other scripts → the ASCII letter or digit each looks like
    (Unicode's confusables, from `confusable_homoglyphs`), keeping letters' case."""
    lookalikes = {}
    for target in string.ascii_letters + string.digits:
        for glyph in (g["c"] for g in confusables_data.get(target, ())):
            if len(glyph) != 1 or glyph.isascii():
                continue
            if glyph.isalpha() and target.isdigit():
                continue
            if glyph.isupper() and target.islower():
                target_cased = "I" if target == "l" else target.upper()
            elif glyph.islower() and target.isupper():
                target_cased = target.lower()
            else:
                target_cased = target
            lookalikes[glyph] = target_cased
    return lookalikes


def normalise(text: str) -> tuple[str, tuple[int, ...]]:
    """The text as the checks read it, and for each of its characters the position in `text`
    of the character it came from. Each character is put in Unicode's compatibility form
    (NFKC: full-width and mathematical letters, ligatures, no-break spaces), stripped of
    accents and other combining marks, dropped if it is a format character (zero-width spaces
    and joiners, soft hyphens, direction marks), and, if it looks like a Latin letter or a
    digit, replaced by it (Cyrillic "а", Greek "Ο", other scripts' digits)."""
    lookalikes = _latin_lookalikes()
    characters: list[str] = []
    origins: list[int] = []
    for position, character in enumerate(text):
        if character.isascii():  # as it is: the common case, kept fast
            characters.append(character)
            origins.append(position)
            continue
        if unicodedata.category(character) == "Cf":
            continue
        for compatible in unicodedata.normalize("NFKC", character):
            for part in unicodedata.normalize("NFD", compatible):
                if unicodedata.category(part) in ("Mn", "Me"):
                    continue
                if part.isdigit() and not part.isascii():
                    part = str(unicodedata.digit(part, part))
                characters.append(lookalikes.get(part, part))
                origins.append(position)
    return "".join(characters), tuple(origins)


def find_identifiers(text: str) -> list[Finding]:
    """Everything in `text` that looks identifying, in order of position; where two findings
    overlap, the deterministic one (or the earlier, longer one) is kept."""
    read, origins = normalise(text)
    found = [  # in priority order: deterministic kinds first
        *_matches(EMAIL, read, Kind.EMAIL),
        *_matches(UPN, read, Kind.UPN),
        *_matches(NHS_NUMBER, read, Kind.NHS_NUMBER, nhs_number_valid),
        *_matches(PHONE, read, Kind.PHONE, _phone_digits_valid),
        *_matches(POSTCODE, read, Kind.POSTCODE),
        *_matches(DATE, read, Kind.DATE),
        *_names(read),
    ]
    findings = []
    for start, end, kind in _without_overlaps(found):
        first, last = origins[start], origins[end - 1] + 1
        findings.append(Finding(first, last, kind, text[first:last]))
    return findings


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


Span = tuple[int, int, Kind]
"""A finding in the normalised text: start, end and kind."""


def _matches(
    pattern: re.Pattern[str], text: str, kind: Kind, valid: Callable[[str], bool] | None = None
) -> list[Span]:
    return [
        (m.start(), m.end(), kind)
        for m in pattern.finditer(text)
        if valid is None or valid(m.group())
    ]


def _without_overlaps(spans: list[Span]) -> list[Span]:
    """The spans in order of position, leaving out each that overlaps one before it in
    `spans`."""
    starts: list[int] = []
    kept: list[Span] = []  # in order of position, none overlapping
    for span in spans:
        start, end, _ = span
        index = bisect_right(starts, start)
        if (index and kept[index - 1][1] > start) or (index < len(kept) and starts[index] < end):
            continue
        starts.insert(index, start)
        kept.insert(index, span)
    return kept


@dataclass(frozen=True)
class _Word:
    start: int
    end: int
    text: str

    @property
    def title_case(self) -> bool:
        """Capitalised, with lower-case letters after ("Jayden", "McDonald", "DSLs")."""
        return self.text[0].isupper() and any(c.islower() for c in self.text[1:])

    @property
    def capitals(self) -> bool:
        """In capitals, two letters or more ("JAYDEN", "O'BRIEN")."""
        return len(self.text) > 1 and self.text.isupper()

    @cached_property
    def name_like(self) -> bool:
        return self.title_case or self.capitals

    @cached_property
    def allowed(self) -> bool:
        """On the allow-list (with any possessive or plural "s" removed, or each part of a
        hyphenated word), or without a vowel (an acronym)."""
        word = re.sub(r"['’]s?$", "", self.text.lower())
        return (
            not VOWELS & set(word)
            or _listed(word)
            or all(_listed(part) for part in word.split("-"))
        )


def _listed(word: str) -> bool:
    return word in ALLOWED_WORDS or word.removesuffix("s") in ALLOWED_WORDS


def _words(text: str) -> list[_Word]:
    return [_Word(m.start(), m.end(), m.group()) for m in WORD.finditer(text)]


def _joined(text: str, left: _Word, right: _Word) -> bool:
    """Whether two words are next to each other on one line, with only spaces between."""
    gap = text[left.end : right.start]
    return bool(gap) and not gap.strip(" \t")


def _at_sentence_start(text: str, position: int) -> bool:
    """Whether only white space with a line break, or an opener, comes before `position`."""
    before = position
    while before and text[before - 1].isspace():
        if text[before - 1] == "\n":
            return True
        before -= 1
    return not before or text[before - 1] in SENTENCE_OPENERS


def _unlisted(word: _Word) -> bool:
    """Name-like and not on the allow-list."""
    return word.name_like and not word.allowed


def _candidate(text: str, word: _Word) -> bool:
    """An unlisted word that could be part of a name here: not one capitalised because it
    opens a sentence."""
    return _unlisted(word) and not (word.title_case and _at_sentence_start(text, word.start))


def _span(first: _Word, last: _Word) -> Span:
    return (first.start, last.end, Kind.NAME)


def _names(text: str) -> Iterator[Span]:
    words = _words(text)
    yield from _titled(text, words)
    yield from _cued(text, words)
    yield from _runs(text, words)


def _reach(text: str, words: list[_Word], keep: Callable[[_Word], bool]) -> list[int]:
    """For each word, the index of the last word of the run it starts: words that `keep`
    accepts, next to each other (itself when `keep` refuses it)."""
    reach = list(range(len(words)))
    for index in range(len(words) - 2, -1, -1):
        word, following = words[index], words[index + 1]
        if keep(word) and keep(following) and _joined(text, word, following):
            reach[index] = reach[index + 1]
    return reach


def _titled(text: str, words: list[_Word]) -> Iterator[Span]:
    """A title ("Mrs", "DR.") and the name-like words after it."""
    reach = _reach(text, words, lambda word: word.name_like)
    for index, word in enumerate(words[:-1]):
        following = words[index + 1]
        gap = text[word.end : following.start]
        if word.text.lower() in TITLES and gap in (" ", ". ") and following.name_like:
            yield _span(word, words[reach[index + 1]])


def _cued(text: str, words: list[_Word]) -> Iterator[Span]:
    """Name words after a cue: one is enough after a relation, or a role and a bracket; two
    after a role and a colon or dash."""
    starts = {word.start: index for index, word in enumerate(words)}
    reach = _reach(text, words, _unlisted)
    for cue in CUE.finditer(text):
        separator = cue["separator"].strip()
        if cue["role"] and separator in ("", ","):
            continue
        needed = 2 if separator[:1] in (":", "–", "—", "-") else 1
        index = starts.get(cue.end())
        if index is not None and _unlisted(words[index]) and reach[index] - index + 1 >= needed:
            yield _span(words[index], words[reach[index]])


def _runs(text: str, words: list[_Word]) -> Iterator[Span]:
    """Two or more candidate words in a row."""
    run: list[_Word] = []
    for word in words:
        if run and not (_candidate(text, word) and _joined(text, run[-1], word)):
            if len(run) >= 2:
                yield _span(run[0], run[-1])
            run = []
        if _candidate(text, word):
            run.append(word)
    if len(run) >= 2:
        yield _span(run[0], run[-1])
