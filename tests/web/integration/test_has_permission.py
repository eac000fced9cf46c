"""The one decision function, with scope: LA, school, everywhere."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser

from threshold.web.accounts.authorisation import has_permission
from threshold.web.accounts.permissions import Permission
from threshold.web.accounts.roles import RoleName
from threshold.web.accounts.selectors import authorities_where
from threshold.web.accounts.services import membership_grant

P = Permission


@pytest.mark.parametrize(
    ("role", "permission", "where", "expected"),
    [
        (RoleName.LA_LEAD, P.AUDIT_VIEW, None, True),
        (RoleName.LA_LEAD, P.AUDIT_VIEW, "home_la", True),
        (RoleName.LA_LEAD, P.AUDIT_VIEW, "other_la", False),
        (RoleName.LA_LEAD, P.SUPERVISION_VIEW, "home_school", True),
        (RoleName.LA_LEAD, P.SUPERVISION_VIEW, "other_school", False),
        (RoleName.LA_LEAD, P.SUPERVISION_RECORD, "home_school", False),
        (RoleName.SSW, P.SUPERVISION_RECORD, "home_school", True),
        (RoleName.SSW, P.SUPERVISION_RECORD, "other_school", False),
        (RoleName.DSL_LEAD, P.SUPERVISION_VIEW, "home_school", True),
        (RoleName.DSL_LEAD, P.SUPERVISION_VIEW, "other_school", False),
        (RoleName.DSL_LEAD, P.SUPERVISION_VIEW, "home_la", False),
        (RoleName.DSL_DEPUTY, P.SURVEY_RESPOND, "home_school", True),
        (RoleName.LA_ANALYST, P.CHILD_DATA_VIEW, "home_la", True),
        (RoleName.LA_ANALYST, P.CHILD_DATA_VIEW, "other_la", False),
        (RoleName.EVALUATOR, P.DEIDENTIFIED_EXPORT, "other_la", True),
        (RoleName.EVALUATOR, P.CHILD_DATA_VIEW, "home_la", False),
        (RoleName.SYSTEM_ADMIN, P.AUDIT_VIEW, "other_school", True),
        (RoleName.SYSTEM_ADMIN, P.SUPERVISION_VIEW, None, False),
    ],
)
def test_scope(
    role: RoleName,
    permission: Permission,
    where: str | None,
    expected: bool,
    places: dict[str, object],
    make_user: Callable[..., object],
) -> None:
    place = places.get(where) if where else None
    kwargs = {}
    if place is not None:
        kwargs["school" if where.endswith("school") else "authority"] = place
    assert has_permission(make_user(role), permission, **kwargs) is expected


def test_an_ssw_covering_two_las_holds_permissions_in_both(
    places: dict[str, object], make_user: Callable[..., object]
) -> None:
    ssw = make_user(RoleName.SSW)
    assert not has_permission(ssw, P.SUPERVISION_RECORD, authority=places["other_la"])
    membership_grant(user=ssw, role=RoleName.SSW, authority=places["other_la"], by="test")
    assert has_permission(ssw, P.SUPERVISION_RECORD, authority=places["other_la"])
    assert authorities_where(ssw, P.SUPERVISION_RECORD) == [places["other_la"], places["home_la"]]


def test_authorities_where_is_none_for_a_global_role(make_user: Callable[..., object]) -> None:
    assert authorities_where(make_user(RoleName.SYSTEM_ADMIN), P.AUDIT_VIEW) is None


def test_inactive_and_anonymous_users_hold_nothing(make_user: Callable[..., object]) -> None:
    admin = make_user(RoleName.SYSTEM_ADMIN)
    admin.is_active = False
    assert not has_permission(admin, P.AUDIT_VIEW)
    assert not has_permission(AnonymousUser(), P.AUDIT_VIEW)
