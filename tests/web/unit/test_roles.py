"""Roles in code: complete, scoped, and 2FA for everyone but DSLs."""

from __future__ import annotations

from threshold.web.accounts.permissions import Permission
from threshold.web.accounts.roles import ROLES, RoleName, Scope

IDENTIFYING = {
    Permission.CHILD_DATA_VIEW,
    Permission.SUPERVISION_VIEW,
    Permission.SUPERVISION_RECORD,
    Permission.AUDIT_VIEW,
    Permission.USERS_MANAGE,
}


def test_every_role_name_has_a_role_class() -> None:
    assert set(ROLES) == set(RoleName)
    assert all(ROLES[name].name is name for name in RoleName)


def test_only_dsls_may_sign_in_without_a_second_factor() -> None:
    optional = {name for name, role in ROLES.items() if not role.requires_two_factor}
    assert optional == {RoleName.DSL_LEAD, RoleName.DSL_DEPUTY}


def test_scopes() -> None:
    assert {name: role.scope for name, role in ROLES.items()} == {
        RoleName.LA_LEAD: Scope.AUTHORITY,
        RoleName.SSW: Scope.AUTHORITY,
        RoleName.DSL_LEAD: Scope.SCHOOL,
        RoleName.DSL_DEPUTY: Scope.SCHOOL,
        RoleName.LA_ANALYST: Scope.AUTHORITY,
        RoleName.EVALUATOR: Scope.GLOBAL,
        RoleName.SYSTEM_ADMIN: Scope.GLOBAL,
    }


def test_the_evaluator_sees_de_identified_data_only() -> None:
    assert not ROLES[RoleName.EVALUATOR].permissions & IDENTIFYING
    assert Permission.DEIDENTIFIED_EXPORT in ROLES[RoleName.EVALUATOR].permissions


def test_every_permission_is_held_by_some_role() -> None:
    held = set().union(*(role.permissions for role in ROLES.values()))
    assert held == set(Permission)
