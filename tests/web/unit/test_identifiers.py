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


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("it was suggested that the Riverside Youth Project could help", "Riverside Youth Project"),
        ("the Lead DSL (Northmoor) joined", "Northmoor"),
        ("SAFEGUARDING AUDIT DONE BY THE GOVERNORS", "AUDIT DONE"),
    ],
)
def test_flags_unlisted_names_of_services_and_places_and_capital_headings(
    text: str, flagged: str
) -> None:
    """The other side of the trade-off: the writer confirms these."""
    assert kinds(text) == [(Kind.NAME, flagged)]


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


# Issue 12: names in brackets after a role, in capitals, disguised by look-alike letters or
# invisible characters, and spaced UPNs.

ZERO_WIDTH = "\u200b"
CYRILLIC_A = "\u0430"  # looks like a Latin "a"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Lead DSL (Firstname Surname)", [(Kind.NAME, "Firstname Surname")]),
        ("Lead DSL (Jane), two deputies", [(Kind.NAME, "Jane")]),
        ("Deputy DSL: Jane Smith", [(Kind.NAME, "Jane Smith")]),
        ("The Lead DSL is FIRSTNAME SURNAME.", [(Kind.NAME, "FIRSTNAME SURNAME")]),
        ("FIRSTNAME SURNAME", [(Kind.NAME, "FIRSTNAME SURNAME")]),
        ("we talked about Jayden SMITH in Year 9", [(Kind.NAME, "Jayden SMITH")]),
        ("her mum, Sarah, rang", [(Kind.NAME, "Sarah")]),
        ("the pupil JAYDEN said", [(Kind.NAME, "JAYDEN")]),
        ("we met MRS KHAN", [(Kind.NAME, "MRS KHAN")]),
        (f"and then J{CYRILLIC_A}yden Smith said", [(Kind.NAME, f"J{CYRILLIC_A}yden Smith")]),
        ("and then ΝΙΚΟ Smith said", [(Kind.NAME, "ΝΙΚΟ Smith")]),  # Greek capitals
        (f"and then Jay{ZERO_WIDTH}den Smith said", [(Kind.NAME, f"Jay{ZERO_WIDTH}den Smith")]),
        ("and then Ｊａｙｄｅｎ Smith said", [(Kind.NAME, "Ｊａｙｄｅｎ Smith")]),  # full width
        ("and then Zoë Smith said", [(Kind.NAME, "Zoë Smith")]),
        ("UPN A123 4567 8901 B noted", [(Kind.UPN, "A123 4567 8901 B")]),
        ("UPN A123-4567-8901-B noted", [(Kind.UPN, "A123-4567-8901-B")]),
        ("UPN A123\u00a04567\u00a08901\u00a0B", [(Kind.UPN, "A123\u00a04567\u00a08901\u00a0B")]),
        ("mobile 07700\u200b900123", [(Kind.PHONE, "07700\u200b900123")]),
        ("mail jo.bl\u043eggs@example.org", [(Kind.EMAIL, "jo.bl\u043eggs@example.org")]),
    ],
)
def test_finds_what_issue_12_reported(text: str, expected: list[tuple[Kind, str]]) -> None:
    assert kinds(text) == expected


def test_positions_point_at_the_text_as_written() -> None:
    text = f"Ａ note: then Jay{ZERO_WIDTH}den SMITH and J{CYRILLIC_A}ne Doe came"
    found = find_identifiers(text)
    assert [f.text for f in found] == [f"Jay{ZERO_WIDTH}den SMITH", f"J{CYRILLIC_A}ne Doe"]
    for finding in found:
        assert text[finding.start : finding.end] == finding.text


def test_normalise_reads_the_text_as_it_looks() -> None:
    read, origins = identifiers.normalise(f"Ｊ{CYRILLIC_A}y{ZERO_WIDTH}dén ІВАN ﬁ")
    assert read == "Jayden IBAN fi"
    assert origins == (0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 13)


ORDINARY = [
    "Lead DSL (Early Help trained), two Deputy DSLs and the SENCO.",
    "LEAD DSL, DEPUTY DSL, HEAD TEACHER AND SENCO.",
    "The Head Teacher and the Lead DSL met Children's Social Care on Tuesday.",
    "CHILDREN'S SOCIAL CARE asked the school to complete an Early Help Assessment.",
    "We agreed to meet on the first Monday of each half term, in the library.",
    "NEXT MEETING: MARCH, AFTER THE INSET DAY.",
    "The group reflected on a referral to the MASH and how the front door responded.",
    "GREATER MANCHESTER POLICE and WEST YORKSHIRE POLICE were mentioned as examples.",
    "The LA's threshold document (Level 3: Targeted) was discussed.",
    "Resources: NSPCC Learning, Keeping Children Safe in Education 2024, the continuum of need.",
    "ACTIONS: DSL to update the safeguarding policy; SSW to share the CAMHS pathway.",
    "Deputy DSL: check the attendance register with the Education Welfare Officer.",
    "A Year 8 boy disclosed self-harm; the school nurse and CAMHS were involved.",
    "The DSL rang the LADO about a member of staff, as KCSIE sets out.",
    "Ground rules: what is said in the group stays in the group; phones on silent.",
    "Practicalities: the library, 90 minutes, every six weeks; cover arranged by the Head.",
    "The team hopes to feel more confident about thresholds and Early Help.",
    "MANCHESTER, LEEDS and NORTHMOOR were compared; Stoke-on-Trent has a similar model.",
    "Wellbeing: the DSL is stretched since September; the Deputy Head is off sick.",
    "The Designated Safeguarding Lead met the Family Support Worker and the Virtual School Head.",
    "Mum and Dad were invited to the Team Around the Family meeting.",
    "The SSW signposted the Samaritans, Kooth and the NSPCC helpline.",
    "RISK ASSESSMENT AND SAFETY PLAN REVIEWED IN JANUARY.",
    "Attendance dropped after Easter; the Attendance Officer and the Pastoral Lead are involved.",
    "In the Autumn Term the Governing Body reviewed the Child Protection Policy.",
    "Online safety: TikTok, Snapchat and WhatsApp groups came up with the Police Schools Officer.",
    "MULTI-AGENCY SAFEGUARDING HUB (MASH) REFERRAL MADE ON MONDAY.",
    "The EHCP review with the SENCO and the Educational Psychologist is in May.",
    "Prevent referral discussed with the Channel panel and the LA's Prevent Lead.",
    "Topics: domestic abuse, county lines and child-on-child abuse; the DSL Network in June.",
    "Lead DSL (Head Teacher), Deputy DSL (SENCO), Deputy DSL (Pastoral Manager).",
    "DEPUTY DSL (ASSISTANT HEAD), DEPUTY DSL (YEAR 6 TEACHER)",
    "ST JOSEPH'S CATHOLIC INFANT SCHOOL and St Bede's Catholic High School joined.",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_safeguarding_sentences_give_nothing(text: str) -> None:
    assert kinds(text) == []


ROLES_AND_PLACES = [
    "Lead DSL",
    "Deputy DSL",
    "Head Teacher",
    "Headteacher",
    "Deputy Head",
    "SENCO",
    "Children's Social Care",
    "Early Help",
    "the front door",
    "MASH",
    "CAMHS",
    "the LADO",
    "Year 9",
    "St Bede's High School",
    "Primary School",
    "Academy",
    "Safeguarding Governor",
    "Family Support Worker",
    "March",
    "Monday",
    "the Autumn Term",
    "half term",
    "Christmas",
    "Northmoor",
    "Manchester",
    "Greater Manchester Police",
    "West Yorkshire",
    "the NSPCC",
    "Keeping Children Safe in Education",
]
JOINS = [", ", ". ", "; ", " and ", " with ", " in ", " at ", "\n", " – ", ": "]


def _cased(phrase: str, case: str) -> str:
    if case == "upper":
        return phrase.upper()
    if case == "title":
        return " ".join(word[:1].upper() + word[1:] for word in phrase.split(" "))
    return phrase


@given(
    phrases=st.lists(
        st.tuples(st.sampled_from(ROLES_AND_PLACES), st.sampled_from(["as is", "upper", "title"])),
        min_size=1,
        max_size=12,
    ),
    joins=st.lists(st.sampled_from(JOINS), min_size=12, max_size=12),
)
def test_roles_services_months_and_places_in_any_case_give_nothing(
    phrases: list[tuple[str, str]], joins: list[str]
) -> None:
    text = "".join(
        _cased(phrase, case) + join for (phrase, case), join in zip(phrases, joins, strict=False)
    )
    assert kinds(text) == []


FIRST_NAMES = ["Jayden", "Amira", "Olivia", "Kacper", "Mohammed", "Ellie", "Tomasz", "Grace"]
SURNAMES = ["Smith", "Khan", "Nowak", "O'Brien", "Smith-Jones", "Patel", "McDonald", "Okafor"]
LOOK_ALIKES = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441"}
SETTINGS = [
    "We talked about {name} and the worry at home.",
    "Lead DSL ({name})",
    "Deputy DSL: {name}",
    "the worry was that {name} had stopped eating",
]


@st.composite
def disguised_names(draw: st.DrawFn) -> str:
    """A full name in Title Case or capitals, with some letters swapped for Cyrillic
    look-alikes and zero-width spaces between some letters."""
    name = f"{draw(st.sampled_from(FIRST_NAMES))} {draw(st.sampled_from(SURNAMES))}"
    if draw(st.booleans()):
        name = name.upper()
    characters = []
    for character in name:
        if character in LOOK_ALIKES and draw(st.booleans()):
            character = LOOK_ALIKES[character]
        characters.append(character)
        if character.isalpha() and draw(st.integers(0, 9)) == 0:
            characters.append(ZERO_WIDTH)
    return "".join(characters).rstrip(ZERO_WIDTH)


@given(name=disguised_names(), setting=st.sampled_from(SETTINGS))
def test_a_disguised_full_name_is_found(name: str, setting: str) -> None:
    assert (Kind.NAME, name) in kinds(setting.format(name=name))


@st.composite
def spaced_upns(draw: st.DrawFn) -> str:
    """A UPN written in groups, as on a form: A123 4567 8901 B, with spaces or hyphens."""
    upn = draw(upns())
    separator = draw(st.sampled_from([" ", "-"]))
    return separator.join([upn[:4], upn[4:8], upn[8:12], upn[12:]])


@given(before=SAFE_TEXT, upn=spaced_upns(), after=SAFE_TEXT)
def test_a_spaced_upn_is_found(before: str, upn: str, after: str) -> None:
    assert (Kind.UPN, upn) in kinds(f"{before} {upn} {after}")
