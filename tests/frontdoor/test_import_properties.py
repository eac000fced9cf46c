"""Fuzzing the readers: malformed input never crashes and never loads partially.

Whatever the bytes, an import either raises InputError (and the store is as it was) or
accounts for every record: loaded, or quarantined with a reason.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import openpyxl
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from threshold.frontdoor import import_export, load_profile
from threshold.model import InputError
from threshold.synth import MESSY_PROFILE

PROFILE = load_profile(MESSY_PROFILE)
HEADER = ["Child ID", "Contact date", "Source of contact", "School/Setting", "Outcome of contact"]
FUZZ = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)

cells = st.one_of(
    st.sampled_from(
        ["", "C1", "04/09/2023", "2023-09-31", "Schools", "e) 2A: Schools", "NFA", "EH", "x,y"]
    ),
    st.text(max_size=12),
    st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
)


def _snapshot(store: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in store.iterdir()} if store.exists() else {}


def _import(path: Path, store: Path, **options) -> None:
    before = _snapshot(store)
    try:
        result = import_export(path, la_code="981", store=store, **options)
    except InputError:
        assert _snapshot(store) == before  # nothing changed
        return
    for part in result.parts:
        assert part.records == part.new + part.updated + part.unchanged + part.quarantined
    if result.quarantined:
        quarantine = pd.read_csv(store / "quarantine.csv", keep_default_na=False)
        assert (quarantine["reason"] != "").all()


@FUZZ
@given(data=st.binary(max_size=400), fmt=st.sampled_from(["ssd", "annex-a", "mapped", "cin-xml"]))
def test_arbitrary_bytes_are_refused_cleanly_or_accounted_for(data, fmt):
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "export.csv"
        path.write_bytes(data)
        options = {"profile": PROFILE} if fmt == "mapped" else {}
        _import(path, Path(directory) / "store", format=fmt, **options)


@FUZZ
@given(rows=st.lists(st.lists(cells, min_size=4, max_size=6), max_size=8))
def test_messy_rows_under_a_good_header_are_loaded_or_quarantined(rows):
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "export.csv"
        frame = pd.DataFrame([(r + [""] * 5)[:5] for r in rows], columns=HEADER)
        frame.to_csv(path, index=False)
        store = Path(directory) / "store"
        _import(path, store, format="mapped", profile=PROFILE)
        _import(path, store, format="mapped", profile=PROFILE)  # and again: idempotent


@settings(max_examples=20, deadline=None, derandomize=True)
@given(rows=st.lists(st.lists(cells, min_size=7, max_size=7), max_size=5))
def test_annex_a_workbooks_with_messy_cells(rows):
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "annex_a.xlsx"
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = "List 1"
        sheet.append(
            [
                "Child Unique ID",
                "Gender",
                "Ethnicity",
                "Date of Birth",
                "Age",
                "Date of Contact",
                "Contact Source",
            ]
        )
        for row in rows:
            sheet.append([ILLEGAL_CHARACTERS_RE.sub("", cell) for cell in row])
        workbook.save(path)
        _import(path, Path(directory) / "store", format="annex-a")


xml_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="<&\x00"), max_size=10
)


@FUZZ
@given(
    child_id=xml_text,
    date=st.one_of(xml_text, st.dates().map(str)),
    source=st.one_of(xml_text, st.sampled_from(["2A", "6", "10"])),
    nfa=st.one_of(xml_text, st.sampled_from(["true", "false", "1", "0"])),
    cut=st.integers(min_value=0, max_value=400),
)
def test_cin_census_xml_fragments(child_id, date, source, nfa, cut):
    document = (
        "<Message><Header><Source><LEA>981</LEA></Source></Header><Children><Child>"
        f"<ChildIdentifiers><LAchildID>{child_id}</LAchildID></ChildIdentifiers><CINdetails>"
        f"<CINreferralDate>{date}</CINreferralDate><ReferralSource>{source}</ReferralSource>"
        f"<ReferralNFA>{nfa}</ReferralNFA></CINdetails></Child></Children></Message>"
    )
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "cin.xml"
        path.write_text(document if cut == 0 else document[:cut], encoding="utf-8")
        _import(path, Path(directory) / "store", format="cin-xml")
