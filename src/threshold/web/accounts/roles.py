"""Roles, in code: each lists its permissions, its scope and whether it needs 2FA."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from threshold.model import Code
from threshold.web.accounts.permissions import Permission


class RoleName(Code):
    """The roles a membership can hold (stored in `Membership.role`)."""

    LA_LEAD = "la_lead", "LA programme lead"
    SSW = "ssw", "Supervising social worker"
    DSL_LEAD = "dsl_lead", "Designated safeguarding lead"
    DSL_DEPUTY = "dsl_deputy", "Deputy designated safeguarding lead"
    LA_ANALYST = "la_analyst", "LA analyst"
    EVALUATOR = "evaluator", "Evaluator"
    SYSTEM_ADMIN = "system_admin", "System administrator"


class Scope(StrEnum):
    """Where a role's permissions apply."""

    GLOBAL = "global"
    """Everywhere; a membership has neither LA nor school."""
    AUTHORITY = "authority"
    """In one LA and its schools; a membership names the LA."""
    SCHOOL = "school"
    """In one school; a membership names the school."""


class Role:
    """A role: its name, scope, permissions and whether signing in needs a second factor."""

    name: ClassVar[RoleName]
    scope: ClassVar[Scope]
    permissions: ClassVar[frozenset[Permission]]
    requires_two_factor: ClassVar[bool] = True
    summary: ClassVar[str]


class LaLead(Role):
    name = RoleName.LA_LEAD
    scope = Scope.AUTHORITY
    permissions = frozenset(
        {
            Permission.AUDIT_VIEW,
            Permission.USERS_MANAGE,
            Permission.AUTHORITY_SETTINGS_EDIT,
            Permission.PROGRAMME_MANAGE,
            Permission.SUPERVISION_VIEW,
            Permission.SURVEY_RESULTS_VIEW,
            Permission.INSIGHTS_VIEW,
            Permission.GUIDANCE_VIEW,
            Permission.GUIDANCE_MANAGE,
            Permission.GUIDANCE_LINE_RECORD,
            Permission.TRIALS_VIEW,
            Permission.TRIALS_MANAGE,
        }
    )
    summary = "Runs the programme in the local authority and oversees who sees what."


class Ssw(Role):
    name = RoleName.SSW
    scope = Scope.AUTHORITY
    permissions = frozenset(
        {
            Permission.SUPERVISION_VIEW,
            Permission.SUPERVISION_RECORD,
            Permission.GUIDANCE_VIEW,
            Permission.GUIDANCE_LINE_RECORD,
        }
    )
    summary = "Supervises the safeguarding teams of the local authority's schools."


class DslLead(Role):
    name = RoleName.DSL_LEAD
    scope = Scope.SCHOOL
    permissions = frozenset(
        {
            Permission.SUPERVISION_VIEW,
            Permission.SUPERVISION_PREPARE,
            Permission.SURVEY_RESPOND,
            Permission.INSIGHTS_SCHOOL_VIEW,
            Permission.GUIDANCE_VIEW,
            Permission.GUIDANCE_PATHWAY,
        }
    )
    requires_two_factor = False
    summary = "Leads safeguarding in the school and takes part in supervision."


class DslDeputy(DslLead):
    name = RoleName.DSL_DEPUTY
    summary = "Shares safeguarding in the school and takes part in supervision."


class LaAnalyst(Role):
    name = RoleName.LA_ANALYST
    scope = Scope.AUTHORITY
    permissions = frozenset(
        {
            Permission.CHILD_DATA_VIEW,
            Permission.SURVEY_RESULTS_VIEW,
            Permission.DEIDENTIFIED_EXPORT,
            Permission.FRONTDOOR_IMPORT,
            Permission.INSIGHTS_VIEW,
            Permission.TRIALS_VIEW,
            Permission.TRIALS_ANALYSE,
        }
    )
    summary = "Prepares the local authority's front-door data and figures."


class Evaluator(Role):
    name = RoleName.EVALUATOR
    scope = Scope.GLOBAL
    permissions = frozenset(
        {
            Permission.DEIDENTIFIED_EXPORT,
            Permission.SURVEY_RESULTS_VIEW,
            Permission.TRIALS_VIEW,
            Permission.TRIALS_MANAGE,
            Permission.TRIALS_ANALYSE,
        }
    )
    summary = "Designs, randomises and analyses trials from de-identified data."


class SystemAdmin(Role):
    name = RoleName.SYSTEM_ADMIN
    scope = Scope.GLOBAL
    permissions = frozenset(
        {
            Permission.AUDIT_VIEW,
            Permission.USERS_MANAGE,
            Permission.ORGANISATIONS_MANAGE,
            Permission.AUTHORITY_SETTINGS_EDIT,
            Permission.JOBS_VIEW,
        }
    )
    summary = (
        "Runs the service: accounts, local authorities and schools, the audit log, failed jobs."
    )


ROLES: dict[RoleName, type[Role]] = {
    role.name: role for role in (LaLead, Ssw, DslLead, DslDeputy, LaAnalyst, Evaluator, SystemAdmin)
}
"""Every role, by name."""
