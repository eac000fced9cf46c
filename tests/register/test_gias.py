"""Reading GIAS registers with their real column names, or the lower-case republication."""

from __future__ import annotations

from pathlib import Path

import pytest

from threshold.model import InputError
from threshold.register import read_register

DATA = Path(__file__).resolve().parents[1] / "data"


def test_reads_the_lower_case_republication():
    register = read_register(DATA / "gias_open_schools_2025-07-11.csv")
    assert len(register) == 22010
    assert {"urn", "name", "town", "postcode"} <= set(register.columns)
    assert register["urn"].dtype.kind == "i"


def test_reads_gias_headers_in_windows_1252(tmp_path):
    path = tmp_path / "edubase.csv"
    header = (
        "URN,EstablishmentName,LA (code),LA (name),Town,Postcode,NumberOfPupils,UrbanRural (name)"
    )
    row = "100000,St Ann’s School,201,City of London,London,ec3a 5de,285,Urban major conurbation"
    path.write_bytes(f"{header}\n{row}\n".encode("cp1252"))
    register = read_register(path)
    assert register.loc[0, "name"] == "St Ann’s School"
    assert register.loc[0, "la_code"] == "201"
    assert register.loc[0, "postcode"] == "EC3A 5DE"
    assert register.loc[0, "pupils_on_roll"] == "285"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Name\nA school\n", "needs a urn column"),
        ("URN,EstablishmentName\n12x456,A\n", "row 1: URN '12x456' is not a six-digit number"),
        ("URN,EstablishmentName\n100000,A\n100000,B\n", "row 2: URN 100000 appears twice"),
    ],
)
def test_bad_registers(tmp_path, text, message):
    path = tmp_path / "register.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        read_register(path)
