"""Hostile and broken exports: refused before the work with a one-line error naming the file,
the store left as it was; never a hang, a traceback or a partial load."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from factories.fuzz import LIST_1, REGISTER, sheet_xml, xlsx
from threshold.frontdoor import Limits, Store, import_export, link_schools, load_profile
from threshold.frontdoor.limits import (
    MSG_CELL,
    MSG_COLUMNS,
    MSG_DEADLINE,
    MSG_DIMENSION,
    MSG_FILE_SIZE,
    MSG_LIMITS,
    MSG_RATIO,
    MSG_ROWS,
    MSG_UNCOMPRESSED,
)
from threshold.frontdoor.mapping import MSG_OUTCOME_JSON
from threshold.frontdoor.profiles import MSG_DATE_FORMAT, MSG_PROFILE_TYPE
from threshold.frontdoor.readers import MSG_CSV, MSG_NOT_WORKBOOK, MSG_NOT_XML
from threshold.model import InputError
from threshold.synth import MESSY_PROFILE

SSD_HEADER = "cont_contact_id,cont_person_id,cont_contact_date,cont_contact_source_code"
ROWS = [["Child Unique ID", "Date of Contact", "Contact Source"], ["11", "04/09/2023", "Schools"]]


def _prefix(message: str) -> str:
    """A message constant's text up to its first placeholder after the file name."""
    return message.split("{", 2)[1].split("}", 1)[1]


def _refused(path: Path, store: Path, fmt: str, message: str, **options) -> str:
    """Import `path` into a store that already holds records: it must fail with `message`
    and leave the store exactly as it was."""
    seed = store.parent / "seed.csv"
    seed.write_text(f"{SSD_HEADER}\nS1,P1,2023-09-04,2A\n", encoding="utf-8")
    import_export(seed, format="ssd", la_code="981", store=store)
    before = _files(store)
    with pytest.raises(InputError) as raised:
        import_export(path, format=fmt, la_code="981", store=store, **options)
    assert _prefix(message) in str(raised.value)
    assert str(raised.value).startswith(path.name)
    assert "\n" not in str(raised.value)
    assert _files(store) == before
    return str(raised.value)


def _files(store: Path) -> dict[str, bytes]:
    location = Store(store).location
    return {path.name: path.read_bytes() for path in location.iterdir()}


def _workbook(path: Path, parts: dict[str, bytes | str]) -> Path:
    """The small Annex A workbook with some of its parts replaced."""
    with zipfile.ZipFile(io.BytesIO(xlsx({"List 1": ROWS}))) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members.update(parts)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            if content is not None:
                archive.writestr(name, content)
    path.write_bytes(out.getvalue())
    return path


@pytest.mark.parametrize(
    ("dimension", "message", "said"),
    [
        ("A1:XFD1048576", MSG_DIMENSION, "the range A1:XFD1048576 (1,048,576 rows by 16,384"),
        (None, MSG_COLUMNS, "row 1,048,576 has a value in column 16,384"),
    ],
)
def test_a_5_kb_workbook_with_a_cell_at_xfd1048576_is_refused_quickly(
    tmp_path, dimension, message, said
):
    far = sheet_xml(ROWS, dimension).replace(
        "</sheetData>",
        '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>',
    )
    path = _workbook(tmp_path / "far.xlsx", {"xl/worksheets/sheet1.xml": far})
    assert path.stat().st_size < 5_000
    started = time.perf_counter()
    assert said in _refused(path, tmp_path / "store", "annex-a", message)
    assert time.perf_counter() - started < 30  # it hung for over 5 minutes


def test_a_stray_cell_within_the_limits_is_quarantined_not_a_grid(tmp_path):
    rows = [*ROWS, [None] * 40 + ["stray"]]
    path = tmp_path / "annex_a.xlsx"
    path.write_bytes(xlsx({"List 1": rows}, dimension="A1:AO3"))
    result = import_export(path, format="annex-a", la_code="981", store=tmp_path / "store")
    assert [(p.records, p.new, p.quarantined) for p in result.parts] == [(2, 1, 1)]


def test_a_zip_bomb_is_refused_from_the_zip_directory(tmp_path):
    head = sheet_xml(ROWS).split("</sheetData>")[0]
    bomb = head + '<row><c t="inlineStr"><is><t>1</t></is></c></row>' * 300_000
    path = _workbook(tmp_path / "bomb.xlsx", {"xl/worksheets/sheet1.xml": bomb + "</sheetData>"})
    assert path.stat().st_size < 100_000
    text = _refused(path, tmp_path / "store", "annex-a", MSG_RATIO)
    assert "xl/worksheets/sheet1.xml" in text


def test_a_workbook_with_too_many_rows_is_refused_before_any_is_read(tmp_path):
    """Rows are counted in the sheet's compressed stream first: a workbook packing more rows
    than the limit is refused naming how many it holds, not after reading up to the limit."""
    rows = [LIST_1, *[[f"{i}", "", "04/09/2023", "Schools", ""] for i in range(3_000)]]
    path = tmp_path / "list1.xlsx"
    path.write_bytes(xlsx({"List 1": rows}))
    text = _refused(path, tmp_path / "store", "annex-a", MSG_ROWS, limits=Limits(rows=1_000))
    sheet = "[xl/worksheets/sheet1.xml]"
    assert f"{sheet}: has more than 1,000 rows after the header (row 3,001)" in text


def test_a_workbook_unpacking_beyond_the_limit_is_refused(tmp_path):
    path = tmp_path / "annex_a.xlsx"
    path.write_bytes(xlsx({"List 1": ROWS}))
    limits = Limits(uncompressed_bytes=1_000)
    _refused(path, tmp_path / "store", "annex-a", MSG_UNCOMPRESSED, limits=limits)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_size_rows_and_columns_beyond_the_limits_are_refused(tmp_path, suffix):
    rows = [LIST_1, *[[f"{i}", "", "04/09/2023", "Schools", ""] for i in range(5)]]
    path = tmp_path / f"list1{suffix}"
    if suffix == ".csv":
        path.write_text("\n".join(",".join(row) for row in rows) + "\n", encoding="utf-8")
    else:
        path.write_bytes(xlsx({"List 1": rows}))
    store = tmp_path / "store"
    _refused(path, store, "annex-a", MSG_FILE_SIZE, limits=Limits(file_bytes=100))
    text = _refused(path, tmp_path / "store2", "annex-a", MSG_ROWS, limits=Limits(rows=4))
    assert "more than 4 rows after the header (row 6)" in text
    _refused(path, tmp_path / "store3", "annex-a", MSG_COLUMNS, limits=Limits(columns=4))


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_cell_longer_than_excel_allows_is_refused_naming_row_and_column(tmp_path, suffix):
    rows = [*ROWS, ["12", "05/09/2023", "x" * 40_000]]
    path = tmp_path / f"list1{suffix}"
    if suffix == ".csv":
        path.write_text("\n".join(",".join(row) for row in rows) + "\n", encoding="utf-8")
    else:
        path.write_bytes(xlsx({"List 1": rows}))
    text = _refused(path, tmp_path / "store", "annex-a", MSG_CELL)
    assert "row 3, column 'Contact Source' holds 40,000 characters" in text


def test_a_csv_field_beyond_the_csv_module_limit_is_refused_naming_the_row(tmp_path):
    path = tmp_path / "ssd_contacts.csv"
    path.write_text(f'{SSD_HEADER}\nC1,P1,2023-09-04,"{"y" * 140_000}"\n', encoding="utf-8")
    text = _refused(path, tmp_path / "store", "ssd", MSG_CSV)
    assert "cannot read row 2" in text


def test_an_import_past_its_time_limit_is_stopped_and_changes_nothing(tmp_path):
    path = tmp_path / "ssd_contacts.csv"
    path.write_text(f"{SSD_HEADER}\nC1,P1,2023-09-04,2A\n", encoding="utf-8")
    text = _refused(path, tmp_path / "store", "ssd", MSG_DEADLINE, limits=Limits(seconds=1e-9))
    assert "stopped after 1e-09 s" in text
    result = import_export(
        path, format="ssd", la_code="981", store=tmp_path / "store", limits=Limits(seconds=600)
    )
    assert result.parts[0].new == 1


def test_limits_must_be_positive():
    with pytest.raises(InputError, match="rows=0"):
        Limits(rows=0)
    with pytest.raises(InputError, match="seconds=-1"):
        Limits(seconds=-1)
    assert MSG_LIMITS.startswith("import limits")


def _flip_sheet_data(data: bytes) -> bytes:
    damaged = bytearray(data)
    start = damaged.find(b"xl/worksheets/sheet1.xml") + len("xl/worksheets/sheet1.xml")
    for i in range(start, start + 24):
        damaged[i] ^= 0x55
    return bytes(damaged)


def _unknown_method(data: bytes) -> bytes:
    damaged = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        at = damaged.find(signature)
        while at >= 0:
            damaged[at + offset : at + offset + 2] = (99).to_bytes(2, "little")
            at = damaged.find(signature, at + 4)
    return bytes(damaged)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (_flip_sheet_data, "decompressing"),  # zlib.error
        (_unknown_method, "compression method"),  # NotImplementedError
        (lambda data: data[: len(data) // 2], "not a zip file"),  # BadZipFile
    ],
)
def test_a_corrupt_workbook_zip_is_refused(tmp_path, damage, reason):
    path = tmp_path / "annex_a.xlsx"
    path.write_bytes(damage(xlsx({"List 1": ROWS})))
    text = _refused(path, tmp_path / "store", "annex-a", MSG_NOT_WORKBOOK)
    assert reason in text.lower()


@pytest.mark.parametrize(
    "parts",
    [
        {"xl/worksheets/sheet1.xml": "<worksheet><sheetData><row r="},  # ParseError
        {"xl/workbook.xml": None},  # KeyError: a part the package names is missing
        {"xl/workbook.xml": "<workbook><sheets><sheet"},
    ],
)
def test_a_workbook_with_a_damaged_part_is_refused(tmp_path, parts):
    path = _workbook(tmp_path / "annex_a.xlsx", parts)
    _refused(path, tmp_path / "store", "annex-a", MSG_NOT_WORKBOOK)


def test_cin_xml_declaring_an_unknown_encoding_is_refused(tmp_path):
    path = tmp_path / "cin.xml"
    path.write_bytes(b'<?xml version="1.0" encoding="foo"?><Message><Children/></Message>')
    text = _refused(path, tmp_path / "store", "cin-xml", MSG_NOT_XML)
    assert "foo" in text


def test_deeply_nested_json_in_an_ssd_outcome_is_quarantined(tmp_path):
    path = tmp_path / "ssd_contacts.csv"
    nested = "[" * 30_000
    path.write_text(
        f"{SSD_HEADER},cont_contact_outcome_json\nC1,P1,2023-09-04,2A,{nested}\n"
        "C2,P2,2023-09-05,2A,\n",
        encoding="utf-8",
    )
    store = tmp_path / "store"
    result = import_export(path, format="ssd", la_code="981", store=store)
    assert (result.parts[0].new, result.parts[0].quarantined) == (1, 1)
    reason = Store(store).quarantine()["reason"].iloc[0]
    assert reason == MSG_OUTCOME_JSON.format(value=nested)


@pytest.mark.parametrize("formats", ['["%s"]', '["%"]', '["%Q"]', "[5]", '["%d/%m"]', "[]"])
def test_a_profile_date_format_that_is_not_a_date_is_refused_when_loaded(tmp_path, formats):
    text = MESSY_PROFILE.read_text(encoding="utf-8").replace(
        'table = "contacts"', f'table = "contacts"\ndate_formats = {formats}'
    )
    path = tmp_path / "profile.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_profile(path)
    assert str(raised.value).startswith("profile.toml: [profile] date_formats: ")
    assert _prefix(MSG_DATE_FORMAT).split(":")[0] in str(raised.value)


def test_a_profile_section_of_the_wrong_type_is_refused(tmp_path):
    path = tmp_path / "profile.toml"
    path.write_text('columns = 3\n[profile]\ntable = "contacts"\n', encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_profile(path)
    assert str(raised.value) == MSG_PROFILE_TYPE.format(
        file="profile.toml", section="columns", value=3
    )


def test_the_default_limits_take_a_real_la_export():
    limits = Limits()
    assert limits.rows >= 1_000_000
    assert limits.columns >= 200
    assert limits.cell_chars == 32_767
    assert limits.seconds is None
    assert limits.file_bytes >= 500 * 10**6
    assert 50 <= limits.compression_ratio <= 500


def test_linkage_checks_the_clock_and_the_remembered_decisions_columns():
    mentions = pd.DataFrame({"mention_id": [1], "school_name": ["Oak Academy"], "la_code": ["981"]})
    register = pd.read_csv(io.StringIO(REGISTER), dtype={"la_code": str})
    budget = Limits(seconds=1e-9).start("contacts.csv")
    with pytest.raises(InputError) as raised:
        link_schools(mentions, register, budget=budget)
    assert str(raised.value) == MSG_DEADLINE.format(file="contacts.csv", seconds=1e-9)
    with pytest.raises(InputError, match="the remembered decisions needs the columns"):
        link_schools(mentions, register, pd.DataFrame({"foo": [1]}))
    assert link_schools(mentions, register)["decision"].tolist() == ["auto"]


def test_a_row_beyond_excel_s_last_row_is_refused(tmp_path):
    beyond = sheet_xml(ROWS).replace(
        "</sheetData>",
        '<row r="1048577"><c r="A1048577" t="inlineStr"><is><t>x</t></is></c></row></sheetData>',
    )
    path = _workbook(tmp_path / "annex_a.xlsx", {"xl/worksheets/sheet1.xml": beyond})
    text = _refused(path, tmp_path / "store", "annex-a", MSG_ROWS)
    assert "more than 1,048,575 rows after the header (row 1,048,577)" in text
