"""The identifying-details detector: examples of each kind, what it deliberately misses, and
properties (a generated identifier in random text is always found; plain prose gives nothing)."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from threshold.web.supervision import identifiers
from threshold.web.supervision.identifiers import DETERMINISTIC, Kind, find_identifiers

VALID_NHS = "9434765919"


def kinds(text: str) -> list[tuple[Kind, str]]:
    return [(f.kind, f.text) for f in find_identifiers(text)]


def test_the_module_imports_no_django() -> None:
    tree = ast.parse(Path(identifiers.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name.startswith(("django", "threshold"))}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ring 0161 496 0000 today", [(Kind.PHONE, "0161 496 0000")]),
        ("mobile 07700900123.", [(Kind.PHONE, "07700900123")]),
        ("on +44 (0)7700 900123", [(Kind.PHONE, "+44 (0)7700 900123")]),
        ("(0161) 496 0000", [(Kind.PHONE, "(0161) 496 0000")]),
        ("UPN A12345678901B noted", [(Kind.UPN, "A12345678901B")]),
        ("UPN A123456789012", [(Kind.UPN, "A123456789012")]),
        (f"NHS no {VALID_NHS}", [(Kind.NHS_NUMBER, VALID_NHS)]),
        ("NHS no 943 476 5919", [(Kind.NHS_NUMBER, "943 476 5919")]),
        ("lives near M1 1AE", [(Kind.POSTCODE, "M1 1AE")]),
        ("SW1A 1AA and EC1A1BB", [(Kind.POSTCODE, "SW1A 1AA"), (Kind.POSTCODE, "EC1A1BB")]),
        ("mail jo.bloggs@example.org.", [(Kind.EMAIL, "jo.bloggs@example.org")]),
        ("DOB 03/03/2011", [(Kind.DATE, "03/03/2011")]),
        ("born 3rd March 2011", [(Kind.DATE, "3rd March 2011")]),
        ("born 2011-03-03", [(Kind.DATE, "2011-03-03")]),
        ("born on March 3, 2011", [(Kind.DATE, "March 3, 2011")]),
        ("we met Mrs Khan", [(Kind.NAME, "Mrs Khan")]),
        ("we met Dr. Amira Khan there", [(Kind.NAME, "Dr. Amira Khan")]),
        ("the pupil, Jayden, said", [(Kind.NAME, "Jayden")]),
        ("a boy called Tom", [(Kind.NAME, "Tom")]),
        ("and then Sarah Jones said", [(Kind.NAME, "Sarah Jones")]),
    ],
)
def test_finds(text: str, expected: list[tuple[Kind, str]]) -> None:
    assert kinds(text) == expected


def test_positions_point_at_the_text() -> None:
    text = "Call on 0161 496 0000 or e-mail a@b.org"
    for finding in find_identifiers(text):
        assert text[finding.start : finding.end] == finding.text


@pytest.mark.parametrize(
    "text",
    [
        "A Year 9 girl disclosed to her tutor that she felt unsafe at home after Christmas.",
        "We discussed Keeping Children Safe in Education and the Children's Hub.",
        "The Designated Safeguarding Lead rang the Multi-Agency Safeguarding Hub on Monday.",
        "Early Help was offered; CAMHS and the NHS school nurse were involved.",
        "The team met at St Bede's High School in the Autumn Term.",
        "Session 3 lasted 90 minutes; 4 of the 5 members came.",
        "She scored 12 out of 20 and 3.5 on the scale.",
        f"{VALID_NHS[:9]}0 is not a valid NHS number",
        "Year 10 pupils, 1st and 2nd sets",
    ],
)
def test_plain_safeguarding_prose_gives_nothing(text: str) -> None:
    assert kinds(text) == []


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("Jayden told his tutor.", "a lone first name opening a sentence, with no cue"),
        ("lives at m1 1ae", "a lower-case postcode"),
        ("mum's number is 0161.496.0000", "a phone number with unusual separators"),
        ("Sarah Jones said it was fine.", "a full name opening a sentence"),
    ],
)
def test_documented_misses(text: str, why: str) -> None:
    assert kinds(text) == [], why


def test_flags_unlisted_multi_word_names_of_services() -> None:
    """The other side of the trade-off: the writer confirms these."""
    assert kinds("it was suggested that the Riverside Youth Project could help") == [
        (Kind.NAME, "Riverside Youth Project")
    ]


def test_deterministic_findings_win_an_overlap() -> None:
    assert kinds("Call 01632 960000") == [(Kind.PHONE, "01632 960000")]


@pytest.mark.parametrize(
    ("number", "valid"),
    [(VALID_NHS, True), ("943 476 5919", True), ("9434765918", False), ("123", False)],
)
def test_nhs_check_digit(number: str, valid: bool) -> None:
    assert identifiers.nhs_number_valid(number) is valid


# Properties

SAFE_TEXT = st.text(
    alphabet=string.ascii_letters + " ,.;:!?'()\n", max_size=60
)  # no digits, no @: nothing that could join an identifier
DIGIT = st.sampled_from(string.digits)
LETTER = st.sampled_from(string.ascii_uppercase)


@st.composite
def nhs_numbers(draw: st.DrawFn) -> str:
    first = draw(st.lists(DIGIT, min_size=9, max_size=9))
    total = sum(int(d) * w for d, w in zip(first, range(10, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    assume(check != 10)  # never issued
    digits = "".join(first) + str(check)
    return draw(st.sampled_from([digits, f"{digits[:3]} {digits[3:6]} {digits[6:]}"]))


@st.composite
def upns(draw: st.DrawFn) -> str:
    middle = "".join(draw(st.lists(DIGIT, min_size=11, max_size=11)))
    return draw(LETTER) + middle + draw(st.one_of(LETTER, DIGIT))


@st.composite
def postcodes(draw: st.DrawFn) -> str:
    area = "".join(draw(st.lists(LETTER, min_size=1, max_size=2)))
    district = draw(DIGIT) + draw(st.one_of(st.just(""), DIGIT, LETTER))
    inward = draw(DIGIT) + "".join(
        draw(st.lists(st.sampled_from("ABDEFGHJLNPQRSTUWXYZ"), min_size=2, max_size=2))
    )
    return area + district + draw(st.sampled_from([" ", ""])) + inward


LOCAL_CHARS = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=10)


@st.composite
def emails(draw: st.DrawFn) -> str:
    local = ".".join(draw(st.lists(LOCAL_CHARS, min_size=1, max_size=3)))
    labels = draw(st.lists(LOCAL_CHARS, min_size=2, max_size=4))
    return f"{local}@{'.'.join(labels)}"


@st.composite
def phones(draw: st.DrawFn) -> str:
    digits = "7" + "".join(draw(st.lists(DIGIT, min_size=9, max_size=9)))
    return draw(st.sampled_from([f"0{digits}", f"0{digits[:4]} {digits[4:]}", f"+44 {digits}"]))


@pytest.mark.parametrize(
    ("kind", "strategy"),
    [
        (Kind.NHS_NUMBER, nhs_numbers()),
        (Kind.UPN, upns()),
        (Kind.POSTCODE, postcodes()),
        (Kind.EMAIL, emails()),
        (Kind.PHONE, phones()),
    ],
)
def test_an_identifier_in_random_text_is_found(kind: Kind, strategy: st.SearchStrategy) -> None:
    @given(before=SAFE_TEXT, token=strategy, after=SAFE_TEXT)
    def check(before: str, token: str, after: str) -> None:
        text = f"{before} {token} {after}"
        found = [(f.kind, f.text) for f in find_identifiers(text)]
        assert (kind, token) in found

    check()


PROSE = (
    "the school DSL SSW team Early Help front door MASH threshold neglect worry disclosure "
    "pupil parent carer Year 9 10 11 March Monday supervision reflected curious perspective "
    "wellbeing the group discussed a situation referral contact CAMHS social care consent "
    "escalation online safety attendance"
)
PROSE_WORDS = st.sampled_from(PROSE.split())
SMALL_NUMBERS = st.integers(min_value=1, max_value=99).map(str)


@given(
    words=st.lists(st.one_of(PROSE_WORDS, SMALL_NUMBERS), min_size=1, max_size=40),
    ends=st.lists(st.sampled_from([" ", ", ", ". ", "; ", "\n"]), min_size=40, max_size=40),
)
def test_plain_prose_gives_no_deterministic_finding(words: list[str], ends: list[str]) -> None:
    text = "".join(word + end for word, end in zip(words, ends, strict=False))
    assert not [f for f in find_identifiers(text) if f.kind in DETERMINISTIC]
