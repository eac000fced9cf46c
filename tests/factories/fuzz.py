"""Messy and hostile inputs for the importers, `threshold validate` and `threshold link`, and the
property every one must keep; shared by tests/frontdoor/test_fuzz_importers.py and
benchmarks/fuzz_importers.py.

A case is a file as an LA (or an attacker) might send it: any reader's format with truncation,
encodings, byte-order marks, mixed line endings, wrong types, huge fields, formulas, odd dates,
duplicated headers, corrupt zips and damaged XML. `run_case` runs it and returns "loaded" or
"refused" (InputError, nothing changed); a broken property raises `Broken`; any other exception
is a crash and propagates.
"""

from __future__ import annotations

import atexit
import csv
import io
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter
from typer.testing import CliRunner

from factories.stores import store_state
from threshold.cli import app
from threshold.frontdoor import Store, import_export, load_profile
from threshold.frontdoor.store import LOG_NAME
from threshold.model import InputError
from threshold.synth import MESSY_PROFILE

LA = "981"
KINDS = ("ssd", "annex-a", "cin-xml", "mapped", "validate", "link")
SSD_CONTACTS = [
    "cont_contact_id",
    "cont_person_id",
    "cont_contact_date",
    "cont_contact_source_code",
    "cont_contact_outcome_json",
    "cont_source_school_urn",
    "cont_source_school_name",
]
SSD_EPISODES = [
    "cine_referral_id",
    "cine_person_id",
    "cine_referral_date",
    "cine_referral_source_code",
    "cine_referral_nfa",
    "cine_close_reason",
    "cine_close_date",
]
LIST_1 = ["Child Unique ID", "Gender", "Date of Contact", "Contact Source", "Referring School"]
LIST_3 = ["Child Unique ID", "Date of Referral", "Referral Source", "Referral NFA?"]
MAPPED = [
    "Contact Ref",
    "Child ID",
    "Contact date",
    "Source of contact",
    "School/Setting",
    "Outcome",
]
MENTIONS = ["mention_id", "school_name", "la_code"]
REGISTER = "urn,name,la_code,town\n100001,St Mary's CE Primary School,981,Oldtown\n"
REGISTER += "100002,Oak Academy,981,Newtown\n100003,St Mary's Catholic School,981,Newtown\n"
SEED = "cont_contact_id,cont_person_id,cont_contact_date,cont_contact_source_code\n"
SEED += "S1,P1,2023-09-04,2A\nS2,P2,2023-10-05,6\n"
PROFILE = MESSY_PROFILE.read_text(encoding="utf-8")
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006"


class Broken(AssertionError):
    """A case broke the property: `kind` is "partial" (changed although refused, or records not
    accounted for) or "not idempotent" (a re-import changed something)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


@dataclass(frozen=True)
class Case:
    """One input: its kind (an import format, `validate` or `link`), file name and bytes; a
    mapped import's profile (TOML) and `link`'s remembered decisions, where given."""

    kind: str
    name: str
    data: bytes
    profile: str | None = None
    remembered: bytes | None = None


# Cells: what LA exports hold, and what breaks naive readers.
SPECIAL = [
    "",
    " ",
    "04/09/2023",
    "2023-09-04",
    "4 Sep 2023",
    "04-Sep-23",
    "2023-09-31",
    "31/02/2024",
    "09/13/2023",
    "00/00/0000",
    "1899-12-31",
    "9999-12-31",
    "2023-09-04T10:30:00",
    "45173",
    "Schools",
    "e) 2A: Schools",
    "2A",
    "6",
    "Police",
    "NFA",
    "EH",
    "Referral",
    "a) Yes",
    "No",
    "true",
    "RC8",
    '=HYPERLINK("http://x.test","St Mary\'s")',
    "+44 1234",
    "-1",
    "@SUM(A1:A2)",
    "=1+1",
    '{"OUTCOME_NFA_FLAG": "Y"}',
    '{"OUTCOME_NFA_FLAG": ["Y"]}',
    "[1, 2]",
    "null",
    "[" * 5000,
    '{"a":' * 3000,
    "St Mary's C of E Primary",
    "unknown",
    'a "quoted" value',
    "line\nbreak",
    "carriage\rreturn",
    "tab\tinside",
    "semi;colon",
    "bar|bar",
    "comma, inside",
    "\ufeffbom",
    "\u00e9\u00e8 caf\u00e9",
    "\u2028separator",
    "nul\x00byte",
    "\x1a",
    "100001",
    "-100001",
    "1e308",
    "NaN",
    "x" * 40_000,
]
cells = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(max_size=16),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.dates().map(lambda day: day.strftime("%d/%m/%Y")),
)
typed_cells = st.one_of(
    cells, st.integers(-(10**6), 10**6), st.floats(allow_nan=True), st.sampled_from([45173, 0.5])
)


def _rows(width: int):
    return st.lists(st.lists(cells, min_size=width - 1, max_size=width + 1), max_size=8)


@st.composite
def _header(draw, names: list[str]) -> list[str]:
    """The format's header, sometimes with a column dropped, duplicated, recased or padded."""
    header = list(names)
    change = draw(st.sampled_from(["none"] * 6 + ["drop", "duplicate", "case", "pad", "blank"]))
    at = draw(st.integers(0, len(header) - 1))
    if change == "drop":
        header.pop(at)
    elif change == "duplicate":
        header.append(header[at])
    elif change == "case":
        header[at] = f"  {header[at].upper()} "
    elif change == "pad":
        header.append("")
    elif change == "blank":
        header[at] = ""
    return header


@st.composite
def _text_bytes(draw, header: list[str], rows: list[list[str]]) -> bytes:
    """Rows as delimited text: a delimiter, line endings (mixed), an encoding and a BOM."""
    delimiter = draw(st.sampled_from([",", ",", ",", "\t", ";", "|"]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONE]))
    lines = []
    for row in [header, *rows]:
        buffer = io.StringIO()
        try:
            csv.writer(
                buffer, delimiter=delimiter, quoting=quoting, escapechar="\\", lineterminator=""
            ).writerow(row)
        except csv.Error:
            buffer = io.StringIO(delimiter.join(row))
        lines.append(buffer.getvalue())
    endings = draw(st.lists(st.sampled_from(["\r\n", "\n", "\r"]), min_size=1, max_size=3))
    text = "".join(line + endings[i % len(endings)] for i, line in enumerate(lines))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "cp1252", "utf-16", "latin-1"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.booleans()) and encoding == "utf-8":
        data = b"\xef\xbb\xbf" + data
    return data


@st.composite
def _damaged(draw, data: bytes) -> bytes:
    """The bytes, or the bytes truncated, with bytes flipped, or with junk inserted."""
    how = draw(st.sampled_from(["none"] * 5 + ["truncate", "flip", "insert"]))
    if how == "none" or not data:
        return data
    at = draw(st.integers(0, len(data) - 1))
    if how == "truncate":
        return data[:at]
    if how == "flip":
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    return data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at:]


@st.composite
def _delimited_case(draw, kind: str, names: list[str], name: str) -> Case:
    header = draw(_header(names))
    data = draw(_damaged(draw(_text_bytes(header, draw(_rows(len(header)))))))
    return Case(kind, name, data)


def xlsx(sheets: dict[str, list[list[object]]], *, dimension: str | None = None) -> bytes:
    """A minimal .xlsx workbook: each sheet's rows (text as inline strings, numbers as values)."""
    names = list(sheets)
    parts = {
        "[Content_Types].xml": (
            f'<Types xmlns="{PACKAGE}/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                for i in range(1, len(names) + 1)
            )
            + "</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{PACKAGE}/relationships"><Relationship Id="rId1" '
            f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{NS}" xmlns:r="{REL}"><sheets>'
            + "".join(
                f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
                for i, name in enumerate(names, start=1)
            )
            + "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{PACKAGE}/relationships">'
            + "".join(
                f'<Relationship Id="rId{i}" Type="{REL}/worksheet" '
                f'Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, len(names) + 1)
            )
            + "</Relationships>"
        ),
    }
    for i, name in enumerate(names, start=1):
        parts[f"xl/worksheets/sheet{i}.xml"] = sheet_xml(sheets[name], dimension)
    return _zip(parts)


def sheet_xml(rows: list[list[object]], dimension: str | None = None) -> str:
    """A worksheet part holding `rows` from A1, declaring `dimension` if given."""
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    body = "".join(
        f'<row r="{r}">'
        + "".join(_cell(f"{get_column_letter(c)}{r}", value) for c, value in enumerate(row, 1))
        + "</row>"
        for r, row in enumerate(rows, start=1)
    )
    return f'<worksheet xmlns="{NS}">{declared}<sheetData>{body}</sheetData></worksheet>'


def _cell(ref: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    text = "".join(ch for ch in str(value) if ch in "\t\n\r" or ord(ch) >= 32)  # XML 1.0
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'


def _zip(parts: dict[str, str | bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


@st.composite
def _workbook_case(draw, kind: str) -> Case:
    """A workbook with messy cells, sometimes with a far cell, a huge declared range, a damaged
    sheet part, a missing part, a part that unpacks a thousandfold, or damaged zip bytes."""
    if kind == "annex-a":
        sheets = {
            name: [draw(_header(header)), *draw(st.lists(st.lists(typed_cells), max_size=6))]
            for name, header in draw(
                st.sampled_from(
                    [
                        [("List 1", LIST_1)],
                        [("List 3", LIST_3)],
                        [("List 1", LIST_1), ("List 3", LIST_3)],
                        [("Sheet1", LIST_1)],
                    ]
                )
            )
        }
    else:
        sheets = {
            "Contacts": [draw(_header(MAPPED)), *draw(st.lists(st.lists(typed_cells), max_size=6))]
        }
    damage = draw(
        st.sampled_from(
            ["none"] * 6 + ["far cell", "dimension", "sheet xml", "missing part", "bomb", "bytes"]
        )
    )
    first = next(iter(sheets))
    if damage == "far cell":
        sheets[first].append([None] * draw(st.integers(3, 1200)) + ["x"])
    data = xlsx(sheets, dimension="A1:XFD1048576" if damage == "dimension" else None)
    if damage in ("sheet xml", "missing part", "bomb"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = {name: archive.read(name) for name in archive.namelist()}
        sheet = "xl/worksheets/sheet1.xml"
        if damage == "sheet xml":
            parts[sheet] = parts[sheet][: draw(st.integers(0, len(parts[sheet])))] + b"<row r="
        elif damage == "missing part":
            del parts[draw(st.sampled_from(sorted(parts)))]
        else:
            parts["xl/padding.bin"] = b"\0" * (3 * 2**20)
        data = _zip(parts)
    elif damage == "bytes":
        data = draw(_damaged(data))
    return Case(kind, "export.xlsx", data, PROFILE if kind == "mapped" else None)


xml_text = st.one_of(
    st.sampled_from(["", "2023-09-04", "2A", "true", "false", "RC8", "10", "&amp;", "x" * 40_000]),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="<&\x00"),
        max_size=10,
    ),
)


@st.composite
def _cin_case(draw) -> Case:
    """A CIN census return with messy values, sometimes truncated, declaring an odd encoding,
    from another LA, or nested too deep."""
    children = []
    for _ in range(draw(st.integers(0, 4))):
        episodes = "".join(
            f"<CINdetails><CINreferralDate>{draw(xml_text)}</CINreferralDate>"
            f"<ReferralSource>{draw(xml_text)}</ReferralSource>"
            f"<ReferralNFA>{draw(xml_text)}</ReferralNFA>"
            f"<CINclosureDate>{draw(xml_text)}</CINclosureDate>"
            f"<ReasonForClosure>{draw(xml_text)}</ReasonForClosure>"
            f"<CINPlanDates><CINPlanStartDate>{draw(xml_text)}</CINPlanStartDate></CINPlanDates>"
            "</CINdetails>"
            for _ in range(draw(st.integers(0, 3)))
        )
        children.append(
            f"<Child><ChildIdentifiers><LAchildID>{draw(xml_text)}</LAchildID>"
            f"</ChildIdentifiers>{episodes}</Child>"
        )
    encoding = draw(st.sampled_from([None, None, "utf-8", "windows-1252", "foo", "utf-16"]))
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>' if encoding else ""
    lea = draw(st.sampled_from([LA, LA, "975", ""]))
    nested = "<x>" * draw(st.sampled_from([0, 0, 0, 50_000]))
    document = (
        f"{declaration}<Message><Header><Source><LEA>{lea}</LEA></Source></Header>{nested}"
        f"<Children>{''.join(children)}</Children></Message>"
    )
    data = document.encode("utf-8")
    return Case("cin-xml", "cin.xml", draw(_damaged(data)))


DATE_FORMATS = ['["%d/%m/%Y"]', '["%s"]', '["%"]', '["%Q"]', "[5]", '"%d/%m/%Y"', "[]"]


@st.composite
def _profile(draw) -> str:
    """The synthetic world's profile, sometimes with odd date formats, encoding or sheet."""
    change = draw(st.sampled_from(["none"] * 4 + ["dates", "encoding", "sheet", "junk"]))
    if change == "dates":
        line = f"date_formats = {draw(st.sampled_from(DATE_FORMATS))}"
    elif change == "encoding":
        line = "encoding = " + draw(st.sampled_from(['"utf-16"', '"cp1252"', "7"]))
    elif change == "sheet":
        line = "sheet = " + draw(st.sampled_from(['"Nope"', "3", '"Contacts"']))
    elif change == "junk":
        return PROFILE.replace(
            "[columns]", draw(st.sampled_from(["columns = 3\n[x]", "[[columns]]"]))
        )
    else:
        return PROFILE
    return PROFILE.replace('table = "contacts"', f'table = "contacts"\n{line}')


@st.composite
def _mapped_case(draw) -> Case:
    if draw(st.integers(0, 3)) == 0:
        return draw(_workbook_case("mapped"))
    case = draw(_delimited_case("mapped", MAPPED, "export.csv"))
    return Case("mapped", case.name, case.data, draw(_profile()))


@st.composite
def _validate_case(draw) -> Case:
    table, names = draw(
        st.sampled_from(
            [
                (
                    "contacts.csv",
                    [
                        "cont_contact_id",
                        "cont_la_code",
                        "cont_person_id",
                        "cont_contact_date",
                        "cont_contact_source_code",
                    ],
                ),
                ("schools.csv", ["urn", "name", "la_code", "phase"]),
            ]
        )
    )
    case = draw(_delimited_case("validate", names, table))
    if draw(st.integers(0, 9)) == 0:  # a field over the csv module's limit
        case = Case("validate", table, case.data + b"1," + b"y" * 140_000 + b"\n")
    return case


@st.composite
def _link_case(draw) -> Case:
    case = draw(_delimited_case("link", MENTIONS, "mentions.csv"))
    remembered = draw(
        st.sampled_from(
            [
                None,
                b"la_code,name_key,urn,decided_on\n981,oak academy,100002,2024-01-01\n",
                b"la_code,name_key,urn\n981,oak,abc\n",
                b"foo,bar\n1,2\n",
                b"",
                b"\xff\xfe\x00junk",
            ]
        )
    )
    return Case("link", case.name, case.data, remembered=remembered)


def cases(kinds: tuple[str, ...] = KINDS):
    """Cases of the given kinds."""
    makers = {
        "ssd": st.one_of(
            _delimited_case("ssd", SSD_CONTACTS, "ssd_contacts.csv"),
            _delimited_case("ssd", SSD_EPISODES, "ssd_cin_episodes.csv"),
        ),
        "annex-a": st.one_of(
            _delimited_case("annex-a", LIST_1, "list1.csv"),
            _delimited_case("annex-a", LIST_3, "list3.csv"),
            _workbook_case("annex-a"),
        ),
        "cin-xml": _cin_case(),
        "mapped": _mapped_case(),
        "validate": _validate_case(),
        "link": _link_case(),
    }
    return st.one_of(*(makers[kind] for kind in kinds))


def run_case(case: Case, directory: Path) -> str:
    """Run `case` in the empty `directory`: "loaded" or "refused" (InputError, nothing
    changed); `Broken` when the property fails; any other exception propagates."""
    path = directory / case.name
    path.write_bytes(case.data)
    if case.kind == "validate":
        return _validate(directory)
    if case.kind == "link":
        return _link(case, path, directory)
    store = directory / "store"
    shutil.copytree(_seed_store(), store, symlinks=True)
    before = _state(store)
    try:
        profile = None
        if case.profile is not None:
            (directory / "profile.toml").write_text(case.profile, encoding="utf-8")
            profile = load_profile(directory / "profile.toml")
        result = import_export(path, format=case.kind, la_code=LA, store=store, profile=profile)
    except InputError:
        if _state(store) != before:
            raise Broken("partial", "the store changed although the import was refused") from None
        return "refused"
    quarantine = Store(store).quarantine()
    for part in result.parts:
        accounted = part.new + part.updated + part.unchanged + part.quarantined
        listed = quarantine.loc[quarantine["file"] == part.source, "locator"].nunique()
        if part.records != accounted or listed != part.quarantined:
            raise Broken("partial", f"{part.source}: {part.records} records, {accounted} counted")
    after = _state(store, log=False)
    again = import_export(path, format=case.kind, la_code=LA, store=store, profile=profile)
    changed = [p for p in again.parts if p.new or p.updated or p.superseded]
    if changed or _state(store, log=False) != after:
        raise Broken("not idempotent", f"re-importing {case.name} changed the store")
    return "loaded"


def _validate(directory: Path) -> str:
    result = CliRunner().invoke(app, ["validate", str(directory)])
    if isinstance(result.exception, InputError):
        return "refused"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    if result.exit_code not in (0, 1):
        raise Broken("partial", f"validate exited {result.exit_code}")
    return "loaded"


def _link(case: Case, path: Path, directory: Path) -> str:
    (directory / "register.csv").write_text(REGISTER, encoding="utf-8")
    arguments = ["link", str(path), "--register", str(directory / "register.csv")]
    arguments += ["--out", str(directory / "linked.csv")]
    if case.remembered is not None:
        (directory / "remembered.csv").write_bytes(case.remembered)
        arguments += ["--remembered", str(directory / "remembered.csv")]
    result = CliRunner().invoke(app, arguments)
    if isinstance(result.exception, InputError):
        if (directory / "linked.csv").exists():
            raise Broken("partial", "link wrote its output although it failed")
        return "refused"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    linked = pd.read_csv(directory / "linked.csv", dtype=str, keep_default_na=False)
    mentions = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    if len(linked) != len(mentions):
        raise Broken("partial", f"{len(mentions)} mentions but {len(linked)} linked")
    return "loaded"


_SEEDED: dict[str, Path] = {}


def _seed_store() -> Path:
    """A store holding one small import, made once per process and copied for each case."""
    if "store" not in _SEEDED:
        root = Path(tempfile.mkdtemp(prefix="threshold-fuzz-seed-"))
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        (root / "seed.csv").write_text(SEED, encoding="utf-8")
        import_export(root / "seed.csv", format="ssd", la_code=LA, store=root / "store")
        _SEEDED["store"] = root / "store"
    return _SEEDED["store"]


def _state(store: Path, *, log: bool = True) -> dict[str, bytes]:
    """The store as readers see it, with its key (without the import log, unless `log`)."""
    state = store_state(store)
    if not log:
        state.pop(LOG_NAME, None)
    return state
