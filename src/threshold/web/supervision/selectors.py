"""Reads of supervision content, narrowed to the places the reader may see. Each read of a
record of supervision, first-session sheet, worksheet or reflection is an audited read."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet

from threshold.web.accounts.authorisation import has_permission, user_memberships
from threshold.web.accounts.models import User
from threshold.web.accounts.permissions import Permission
from threshold.web.accounts.selectors import authorities_where
from threshold.web.audit.services import audit_read, target_of
from threshold.web.organisations.models import School
from threshold.web.programme.models import Enrolment, SupervisionSession
from threshold.web.programme.selectors import (
    ListFilters,
    can_record,
    caseload,
    sessions_filtered,
)
from threshold.web.supervision.models import (
    AdHocSupport,
    Checked,
    DeliveryRating,
    DslReflection,
    DslWorksheet,
    FirstSessionSheet,
    SupervisionRecord,
)


def require_permission(user: User, permission: Permission, school: School) -> None:
    """PermissionDenied unless `user` holds `permission` in `school`."""
    if not has_permission(user, permission, school=school):
        raise PermissionDenied


def require_recorder(user: User, enrolment: Enrolment) -> None:
    """PermissionDenied unless `user` records the school's supervision: the programme's rule,
    `programme.selectors.can_record` (its SSW, in an LA where they record)."""
    if not can_record(user, enrolment):
        raise PermissionDenied


def _schools_where(user: User, permission: Permission, school_field: str) -> Q:
    """A filter on `school_field` for the schools in which `user` holds `permission`."""
    authorities = authorities_where(user, permission)
    if authorities is None:
        return Q()
    schools = [
        m.school
        for m in user_memberships(user)
        if m.school is not None and has_permission(user, permission, school=m.school)
    ]
    return Q(**{f"{school_field}__authority__in": authorities}) | Q(
        **{f"{school_field}__in": schools}
    )


def enrolment_list(*, user: User, permission: Permission) -> QuerySet[Enrolment]:
    """Enrolments of schools where `user` holds `permission`."""
    return (
        Enrolment.objects.filter(_schools_where(user, permission, "school"))
        .select_related("school__authority", "programme")
        .order_by("school__name", "-programme__school_year")
    )


def recordable_enrolments(*, user: User) -> QuerySet[Enrolment]:
    """The enrolments whose supervision `user` records (`require_recorder` lets them write)."""
    return (
        caseload(user=user)
        .select_related("school__authority", "programme")
        .order_by("school__name", "-programme__school_year")
    )


def session_list(*, user: User) -> QuerySet[SupervisionSession]:
    """Sessions of schools where `user` may read supervision records, newest first, each with
    `has_record`."""
    return (
        SupervisionSession.objects.filter(
            _schools_where(user, Permission.SUPERVISION_VIEW, "enrolment__school")
        )
        .select_related("enrolment__school__authority", "enrolment__programme")
        .annotate(has_record=Exists(SupervisionRecord.objects.filter(session=OuterRef("pk"))))
        .order_by("-scheduled_for")
    )


def _audited(record: Checked, *, school: School, by: User) -> None:
    audit_read(
        by=by,
        **target_of(record),
        authority_code=school.authority.la_code,
        school_urn=school.urn,
    )


def first_session_sheet_get(*, enrolment: Enrolment, by: User) -> FirstSessionSheet | None:
    """The school's first-session sheet, if written (an audited read)."""
    require_permission(by, Permission.SUPERVISION_VIEW, enrolment.school)
    sheet = FirstSessionSheet.objects.filter(enrolment=enrolment).first()
    if sheet is not None:
        _audited(sheet, school=enrolment.school, by=by)
    return sheet


def supervision_record_get(*, session: SupervisionSession, by: User) -> SupervisionRecord | None:
    """The session's record of supervision, if written (an audited read)."""
    school = session.enrolment.school
    require_permission(by, Permission.SUPERVISION_VIEW, school)
    record = SupervisionRecord.objects.filter(session=session).first()
    if record is not None:
        _audited(record, school=school, by=by)
    return record


def _own(
    model: type[DslWorksheet | DslReflection], session: SupervisionSession, by: User
) -> DslWorksheet | DslReflection | None:
    school = session.enrolment.school
    require_permission(by, Permission.SUPERVISION_PREPARE, school)
    mine = model.objects.filter(session=session, written_by=by).first()
    if mine is not None:
        _audited(mine, school=school, by=by)
    return mine


def _all(
    model: type[DslWorksheet | DslReflection], session: SupervisionSession, by: User
) -> list[DslWorksheet | DslReflection]:
    school = session.enrolment.school
    require_permission(by, Permission.SUPERVISION_VIEW, school)
    found = list(model.objects.filter(session=session).select_related("written_by"))
    for item in found:
        _audited(item, school=school, by=by)
    return found


def worksheet_own(*, session: SupervisionSession, by: User) -> DslWorksheet | None:
    """The DSL's own worksheet for the session, if written (an audited read)."""
    return _own(DslWorksheet, session, by)


def worksheet_list(*, session: SupervisionSession, by: User) -> list[DslWorksheet]:
    """Every DSL's worksheet for the session (each an audited read)."""
    return _all(DslWorksheet, session, by)


def reflection_own(*, session: SupervisionSession, by: User) -> DslReflection | None:
    """The DSL's own reflection on the session, if written (an audited read)."""
    return _own(DslReflection, session, by)


def reflection_list(*, session: SupervisionSession, by: User) -> list[DslReflection]:
    """Every DSL's reflection on the session (each an audited read)."""
    return _all(DslReflection, session, by)


def ad_hoc_support_list(*, user: User) -> QuerySet[AdHocSupport]:
    """Ad hoc support logged for schools where `user` records supervision, newest first."""
    return AdHocSupport.objects.filter(
        _schools_where(user, Permission.SUPERVISION_RECORD, "enrolment__school")
    ).select_related("enrolment__school", "ssw")


def delivery_rating_list(*, user: User) -> QuerySet[DeliveryRating]:
    """Need and engagement scores for schools where `user` records supervision."""
    return DeliveryRating.objects.filter(
        _schools_where(user, Permission.SUPERVISION_RECORD, "enrolment__school")
    ).select_related("enrolment__school", "enrolment__programme", "ssw")


def session_list_filtered(*, user: User, filters: ListFilters) -> QuerySet[SupervisionSession]:
    """`session_list` narrowed to `filters` (it never widens what `user` may read)."""
    return sessions_filtered(session_list(user=user), filters).select_related("ssw")
