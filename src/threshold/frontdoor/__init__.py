"""Front door: LA exports to standard contacts and referrals, and school linkage."""

from threshold.frontdoor.linkage import NON_SCHOOL, link_schools, normalise

__all__ = ["NON_SCHOOL", "link_schools", "normalise"]
