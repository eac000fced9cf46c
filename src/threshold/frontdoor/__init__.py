"""Front door: LA exports to standard contacts and referrals, and school linkage."""

from threshold.frontdoor.imports import FORMATS, ImportResult, TableImport, import_export
from threshold.frontdoor.linkage import NON_SCHOOL, link_schools, normalise
from threshold.frontdoor.profiles import (
    ANNEX_A_CONTACTS,
    ANNEX_A_REFERRALS,
    CIN_CENSUS,
    SSD_CIN_EPISODES,
    SSD_CONTACTS,
    Profile,
    load_profile,
)
from threshold.frontdoor.readers import RawTable, read_cin_xml, read_delimited, read_workbook
from threshold.frontdoor.review import (
    QUEUE_COLUMNS,
    REMEMBERED_COLUMNS,
    accept_decisions,
    review_queue,
)
from threshold.frontdoor.store import QUARANTINE_COLUMNS, Store

__all__ = [
    "ANNEX_A_CONTACTS",
    "ANNEX_A_REFERRALS",
    "CIN_CENSUS",
    "FORMATS",
    "NON_SCHOOL",
    "QUARANTINE_COLUMNS",
    "QUEUE_COLUMNS",
    "REMEMBERED_COLUMNS",
    "SSD_CIN_EPISODES",
    "SSD_CONTACTS",
    "ImportResult",
    "Profile",
    "RawTable",
    "Store",
    "TableImport",
    "accept_decisions",
    "import_export",
    "link_schools",
    "load_profile",
    "normalise",
    "read_cin_xml",
    "read_delimited",
    "read_workbook",
    "review_queue",
]
