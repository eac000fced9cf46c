"""Trial design: power, design diagnosis, randomisation, the trial ledger, the protocol."""

from threshold.trial.allocation import (
    Randomised,
    Verified,
    derive_seed,
    randomise_committed,
    randomise_file,
    verify_allocation,
)
from threshold.trial.balance import SCHOOL_CHARACTERISTICS, balance_table
from threshold.trial.diagnosis import Diagnosis, diagnose, fit_many, treatment_coefs
from threshold.trial.ledger import LEDGER_NAME, LedgerHead
from threshold.trial.power import Design, PowerResult, mdes, power, required_units
from threshold.trial.protocol import (
    LockStatus,
    Outcome,
    Protocol,
    PublicDraw,
    Specification,
    load_protocol,
    lock_protocol,
    parse_protocol,
    protocol_status,
    require_locked,
    template,
)
from threshold.trial.randomisation import (
    ALLOCATION_COLUMNS,
    EVALUATION_DESIGN,
    RandomisationSpec,
    draw_assignments,
    median_split,
    randomise,
    randomise_as_evaluated,
    read_units,
)

__all__ = [
    "ALLOCATION_COLUMNS",
    "EVALUATION_DESIGN",
    "LEDGER_NAME",
    "SCHOOL_CHARACTERISTICS",
    "Design",
    "Diagnosis",
    "LedgerHead",
    "LockStatus",
    "Outcome",
    "PowerResult",
    "Protocol",
    "PublicDraw",
    "RandomisationSpec",
    "Randomised",
    "Specification",
    "Verified",
    "balance_table",
    "derive_seed",
    "diagnose",
    "draw_assignments",
    "fit_many",
    "load_protocol",
    "lock_protocol",
    "mdes",
    "median_split",
    "parse_protocol",
    "power",
    "protocol_status",
    "randomise",
    "randomise_as_evaluated",
    "randomise_committed",
    "randomise_file",
    "read_units",
    "require_locked",
    "required_units",
    "template",
    "treatment_coefs",
    "verify_allocation",
]
