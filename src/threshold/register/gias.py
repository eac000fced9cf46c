"""The school register: read a GIAS establishments extract with its real column names.

Any subset of columns that includes the URN and the name is accepted; lower-case exports
(`urn, name, town, postcode`, as some services republish GIAS) are read too. GIAS downloads are
Windows-1252; UTF-8 (with or without a byte-order mark) is detected first.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from threshold.register._files import check_urns, pick, read_text

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
    "close_date": ("CloseDate",),
    "pupils_on_roll": ("NumberOfPupils", "NOR"),
    "pct_fsm": ("PercentageFSM", "PNUMFSMEVER"),
    "urban_rural": ("UrbanRural (name)",),
    "ofsted_rating": ("OfstedRating (name)",),
}


def read_register(path: Path) -> pd.DataFrame:
    """The register as a frame with the standard column names of `COLUMNS` that are present."""
    register = pick(
        read_text(path, "register"), COLUMNS, ("urn", "name"), path=path, what="register"
    )
    register["urn"] = check_urns(register["urn"], path, "URN", unique=True)
    if "postcode" in register:
        register["postcode"] = register["postcode"].str.upper()
    return register.replace("", None)
