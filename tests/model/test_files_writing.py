"""Writing contract files: the one-step formatting of text and whole-number columns writes
what formatting each value on its own writes."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from threshold.model.files import _format_field, _neutralise
from threshold.model.schema import Field, Kind

TEXT = Field("name", Kind.STRING, "free text", required=False)
WHOLE = Field("urn", Kind.INTEGER, "a whole number", required=False)
CELL = st.text(alphabet=["a", " ", "=", "+", "-", "@", "'", "\t", "\r", ",", '"', "é"], max_size=4)


def _each(values: pd.Series, text: bool) -> list[str]:
    """The value-by-value formatting (the oracle)."""
    if text:
        cells = _neutralise(values.map(lambda v: "" if pd.isna(v) else str(v)))
    else:
        cells = values.map(lambda v: "" if pd.isna(v) else str(int(v)))
    return cells.mask(values.isna(), "").tolist()


@given(st.lists(st.one_of(st.none(), CELL)))
def test_text_column_is_formatted_as_value_by_value(cells):
    values = pd.Series(cells, dtype=object)
    written = _format_field(values, TEXT)
    assert written.dtype == object
    assert written.tolist() == _each(values, text=True)


@given(st.lists(st.one_of(st.none(), st.integers(-(2**62), 2**62))))
def test_whole_numbers_are_formatted_as_value_by_value(numbers):
    values = pd.Series(numbers, dtype="Int64")
    assert _format_field(values, WHOLE).tolist() == _each(values, text=False)
