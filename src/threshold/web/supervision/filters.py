"""The filters of the supervision sessions list: the schedule's (`programme.filters`), whose
choices are the sessions the person may read, so a filter only narrows what they see."""

from __future__ import annotations

from threshold.web.programme.filters import SessionFilterForm


class SupervisionSessionFilterForm(SessionFilterForm):
    """Sessions whose records the person may read: search by school name or URN; the school,
    LA and SSW when there are several; the status (a held session's record written or not);
    the dates they fall between."""
