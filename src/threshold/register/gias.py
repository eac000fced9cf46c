"""The school register: read a GIAS establishments extract with its real column names.

Any subset of columns that includes the URN and the name is accepted; lower-case exports
(`urn, name, town, postcode`, as some services republish GIAS) are read too. GIAS downloads are
Windows-1252; UTF-8 (with or without a byte-order mark) is detected first.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from threshold.model import InputError

MSG_UNREADABLE = "{path}: cannot read the register ({reason})"
MSG_NO_COLUMN = "{path}: the register needs a {what} column (one of: {names})"
MSG_BAD_URN = "{path} row {row}: URN {value!r} is not a six-digit number"
MSG_DUPLICATE_URN = "{path} row {row}: URN {value} appears twice"

COLUMNS = {
    "urn": ("URN", "urn"),
    "name": ("EstablishmentName", "name", "SCHNAME"),
    "la_code": ("LA (code)", "la_code", "LA", "LEA"),
    "la_name": ("LA (name)", "la_name"),
    "town": ("Town", "town"),
    "postcode": ("Postcode", "postcode"),
    "establishment_type": ("TypeOfEstablishment (name)",),
    "phase": ("PhaseOfEducation (name)",),
    "status": ("EstablishmentStatus (name)",),
    "pupils_on_roll": ("NumberOfPupils", "NOR"),
    "pct_fsm": ("PercentageFSM", "PNUMFSMEVER"),
    "urban_rural": ("UrbanRural (name)",),
    "ofsted_rating": ("OfstedRating (name)",),
}


def read_register(path: Path) -> pd.DataFrame:
    """The register as a frame with the standard column names of `COLUMNS` that are present."""
    raw = None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
            break
        except UnicodeDecodeError:
            continue
        except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
            raise InputError(MSG_UNREADABLE.format(path=path, reason=error)) from None
    if raw is None:
        raise InputError(MSG_UNREADABLE.format(path=path, reason="neither UTF-8 nor Windows-1252"))
    found = {}
    for standard, names in COLUMNS.items():
        present = next((name for name in names if name in raw.columns), None)
        if present is not None:
            found[standard] = raw[present].str.strip()
        elif standard in ("urn", "name"):
            raise InputError(MSG_NO_COLUMN.format(path=path, what=standard, names=", ".join(names)))
    register = pd.DataFrame(found)
    bad = ~register["urn"].str.fullmatch(r"[0-9]{6}")
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(
            MSG_BAD_URN.format(path=path, row=row + 1, value=register["urn"].iloc[row])
        )
    repeated = register["urn"].duplicated()
    if repeated.any():
        row = int(repeated.to_numpy().nonzero()[0][0])
        raise InputError(
            MSG_DUPLICATE_URN.format(path=path, row=row + 1, value=register["urn"].iloc[row])
        )
    register["urn"] = register["urn"].astype(int)
    if "postcode" in register:
        register["postcode"] = register["postcode"].str.upper()
    return register.replace("", None)
