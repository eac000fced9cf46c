"""What a printed record says about itself at the top: which session (its date, format and
supervising social worker), who attended (a count of the school's safeguarding team: the
service never records attendees' names) and who wrote the record, when."""

from __future__ import annotations

from django.db import models

from threshold.web.programme.models import Enrolment, SupervisionSession


def record_meta(
    *,
    session: SupervisionSession | None = None,
    enrolment: Enrolment | None = None,
    written: models.Model | None = None,
) -> dict[str, object]:
    """The context `supervision/_record_meta.html` shows: `session` (for an enrolment's
    first-session sheet, its first session, when planned), the school, and `written` (the
    record shown, None before it is written) for its author and when it was last saved."""
    if session is None and enrolment is not None:
        session = enrolment.sessions.filter(number=1).select_related("ssw").first()
    if session is not None:
        enrolment = session.enrolment
    return {
        "school": enrolment.school if enrolment is not None else None,
        "session": session,
        "ssw": session.ssw if session is not None else getattr(enrolment, "ssw", None),
        "written_by": getattr(written, "written_by", None),
        "written_at": getattr(written, "written_at", None),
    }
