"""What every DfE file reader here shares: decoding, column names, URNs and suppressed figures.

Rows are numbered as in `threshold.model`: row 1 is the first record after the header.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pandas as pd

from threshold.model import InputError

MSG_UNREADABLE = "{path}: cannot read the {what} ({reason})"
MSG_NO_COLUMN = "{path}: the {what} needs a {field} column (one of: {names})"
MSG_BAD_URN = "{path} row {row}: {field} {value!r} is not a six-digit number"
MSG_DUPLICATE_URN = "{path} row {row}: {field} {value} appears twice"
MSG_BAD_LA = "{path} row {row}: {field} {value!r} is not a three-digit LA number"
MSG_OUT_OF_RANGE = "{path} row {row}: {field} {value!r} is not {hint}"

URN_PATTERN = r"[1-9][0-9]{5}"
ENCODINGS = ("utf-8-sig", "cp1252")


def read_text(path: Path, what: str) -> pd.DataFrame:
    """Every cell as stripped text; UTF-8 (with or without a BOM) first, then Windows-1252."""
    for encoding in ENCODINGS:
        try:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
        except UnicodeDecodeError:
            continue
        except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
            raise InputError(MSG_UNREADABLE.format(path=path, what=what, reason=error)) from None
        raw.columns = [str(column).strip() for column in raw.columns]
        return raw.apply(lambda column: column.str.strip())
    raise InputError(
        MSG_UNREADABLE.format(path=path, what=what, reason="neither UTF-8 nor Windows-1252")
    )


def pick(
    raw: pd.DataFrame, columns: dict[str, tuple[str, ...]], required: tuple[str, ...], **where
) -> pd.DataFrame:
    """The columns of `raw` renamed to their standard names; the first alias present wins."""
    found = {}
    for standard, names in columns.items():
        present = next((name for name in names if name in raw.columns), None)
        if present is not None:
            found[standard] = raw[present]
        elif standard in required:
            raise InputError(MSG_NO_COLUMN.format(field=standard, names=", ".join(names), **where))
    return pd.DataFrame(found, index=raw.index)


def first(mask: pd.Series, values: pd.Series) -> tuple[int, str]:
    """The file row and value of the first flagged cell (the index is the frame's as read)."""
    label = mask.index[mask.to_numpy().nonzero()[0][0]]
    return int(label) + 1, values.loc[label]


def check_urns(values: pd.Series, path: Path, field: str, *, unique: bool) -> pd.Series:
    """`values` as integers; an error naming the row for a malformed (or repeated) URN."""
    bad = ~values.str.fullmatch(URN_PATTERN)
    if bad.any():
        row, value = first(bad, values)
        raise InputError(MSG_BAD_URN.format(path=path, row=row, field=field, value=value))
    if unique:
        repeated = values.duplicated()
        if repeated.any():
            row, value = first(repeated, values)
            raise InputError(MSG_DUPLICATE_URN.format(path=path, row=row, field=field, value=value))
    return values.astype("int64")


def la_codes(values: pd.Series, path: Path, field: str) -> pd.Series:
    """Three-digit LA numbers, zero-padded; blank stays missing."""
    bad = (values != "") & ~values.str.fullmatch(r"[0-9]{1,3}")
    if bad.any():
        row, value = first(bad, values)
        raise InputError(MSG_BAD_LA.format(path=path, row=row, field=field, value=value))
    return values.str.zfill(3).where(values != "").astype("string")


def figures(values: pd.Series, path: Path, field: str, *, percent: bool) -> pd.Series:
    """Numbers, with every non-numeric marker (SUPP, NE, NA, x, .., blank) missing, never zero.

    Percentages may be written `12.3%`; counts may have thousands separators. A number outside
    0–100 (percentages) or not a whole number of at least 0 (counts) is an error naming the row.
    """
    text = values.str.removesuffix("%") if percent else values.str.replace(",", "", regex=False)
    numbers = pd.to_numeric(text, errors="coerce").astype("Float64")
    if percent:
        bad, hint = (numbers < 0) | (numbers > 100), "a percentage between 0 and 100"
    else:
        bad, hint = (numbers < 0) | (numbers % 1 != 0), "a whole number of pupils"
    bad = bad | (numbers.abs() == float("inf"))
    bad = bad.fillna(False)
    if bad.any():
        row, value = first(bad, values)
        raise InputError(
            MSG_OUT_OF_RANGE.format(path=path, row=row, field=field, value=value, hint=hint)
        )
    return numbers if percent else numbers.astype("Int64")


def name_key(text: str) -> str:
    """`text` case-folded, without accents, punctuation or whitespace: for exact name matches."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(character for character in decomposed if character.isalnum())
