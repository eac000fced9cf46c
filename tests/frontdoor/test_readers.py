"""Reading delimited exports: pyarrow's reader for plain text gives exactly what the csv
module gives, and anything else is read by the csv module."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from threshold.frontdoor import readers
from threshold.frontdoor.limits import Limits
from threshold.model import InputError

CELLS = st.text(alphabet=["a", "b", "é", " ", "\xa0", "\t", ",", ";", '"', "\r", "\n", "="])


def _read(path, monkeypatch, *, plain: bool, limits: Limits | None = None):
    """The table read with the plain-text reader allowed or not, or the error raised."""
    with monkeypatch.context() as patch:
        if not plain:
            patch.setattr(readers, "_read_plain", lambda *args: None)
        try:
            raw = readers.read_delimited(path, budget=(limits or Limits()).start(path.name))
        except InputError as error:
            return str(error)
    return raw.frame.to_dict("split"), list(raw.frame.dtypes), raw.locators, raw.unsplit


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.lists(CELLS, min_size=1, max_size=4), max_size=6),
    separator=st.sampled_from([",", ";", "\t"]),
    quoted=st.booleans(),
    ending=st.sampled_from(["\r\n", "\n"]),
)
def test_plain_reader_reads_what_the_csv_module_reads(
    tmp_path, monkeypatch, rows, separator, quoted, ending
):
    def cell(text: str) -> str:
        return '"' + text.replace('"', '""') + '"' if quoted or '"' in text else text

    header = separator.join(["id", "name", "date"])
    lines = [header, *(separator.join(cell(c) for c in row) for row in rows)]
    path = tmp_path / "export.csv"
    path.write_bytes(ending.join(lines).encode("utf-8") + ending.encode())
    assert _read(path, monkeypatch, plain=True) == _read(path, monkeypatch, plain=False)


def test_plain_export_is_read_by_pyarrow_and_blank_records_skipped(tmp_path, monkeypatch):
    path = tmp_path / "export.csv"
    path.write_bytes(b'id,name\r\n1,"Vale, Town"\r\n , \r\n2,=x\r\n')
    read = []
    plain = readers._read_plain
    monkeypatch.setattr(readers, "_read_plain", lambda *a: read.append(plain(*a)) or read[-1])
    raw = readers.read_delimited(path)
    assert read[0] is not None  # pyarrow read it
    assert raw.frame.values.tolist() == [["1", "Vale, Town"], ["2", "=x"]]
    assert raw.locators == ["row 2", "row 4"]
    assert raw.frame["id"].dtype == object


@pytest.mark.parametrize(
    ("content", "limits"),
    [
        (b"id,name\r\n1,a\r\n2,b\r\n3,c\r\n", Limits(rows=2)),
        (b"id,name\r\n1,abcdef\r\n", Limits(cell_chars=5)),
        (b'id,name\r\n1,"a\r\n', Limits()),
    ],
)
def test_refusals_are_the_csv_modules(tmp_path, monkeypatch, content, limits):
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    refused = _read(path, monkeypatch, plain=True, limits=limits)
    assert isinstance(refused, str)
    assert refused == _read(path, monkeypatch, plain=False, limits=limits)
