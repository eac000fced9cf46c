"""Front door: LA exports to standard contacts and referrals, and school linkage."""

from threshold.frontdoor.imports import (
    FORMATS,
    ImportResult,
    Staged,
    TableImport,
    import_export,
    stage_import,
)
from threshold.frontdoor.limits import LIMITS, Budget, Limits
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
    read_remembered,
    review_queue,
)
from threshold.frontdoor.store import (
    QUARANTINE_COLUMNS,
    LockedStore,
    Store,
    current_version,
    key_fingerprint,
    lock_store,
)

__all__ = [
    "ANNEX_A_CONTACTS",
    "ANNEX_A_REFERRALS",
    "CIN_CENSUS",
    "FORMATS",
    "LIMITS",
    "NON_SCHOOL",
    "QUARANTINE_COLUMNS",
    "QUEUE_COLUMNS",
    "REMEMBERED_COLUMNS",
    "SSD_CIN_EPISODES",
    "SSD_CONTACTS",
    "Budget",
    "ImportResult",
    "Limits",
    "LockedStore",
    "Profile",
    "RawTable",
    "Staged",
    "Store",
    "TableImport",
    "accept_decisions",
    "current_version",
    "import_export",
    "key_fingerprint",
    "link_schools",
    "load_profile",
    "lock_store",
    "normalise",
    "read_cin_xml",
    "read_delimited",
    "read_remembered",
    "read_workbook",
    "review_queue",
    "stage_import",
]
