"""Front door: LA exports to standard contacts and referrals, and school linkage."""

from threshold.frontdoor.linkage import NON_SCHOOL, link_schools, normalise
from threshold.frontdoor.review import (
    QUEUE_COLUMNS,
    REMEMBERED_COLUMNS,
    accept_decisions,
    review_queue,
)

__all__ = [
    "NON_SCHOOL",
    "QUEUE_COLUMNS",
    "REMEMBERED_COLUMNS",
    "accept_decisions",
    "link_schools",
    "normalise",
    "review_queue",
]
