"""Every permission in the service. Roles (`roles.py`) list theirs; `has_permission` decides."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    """What a user may do; each is granted within a role's scope (everywhere, LA or school)."""

    AUDIT_VIEW = "audit.view"
    """Read the audit log."""
    USERS_MANAGE = "users.manage"
    """Create accounts and grant or revoke roles."""
    ORGANISATIONS_MANAGE = "organisations.manage"
    """Import and correct local authorities and schools."""
    PROGRAMME_MANAGE = "programme.manage"
    """Run the supervision programme: enrol schools, assign SSWs, see delivery."""
    SUPERVISION_VIEW = "supervision.view"
    """Read supervision session records and attendance."""
    SUPERVISION_RECORD = "supervision.record"
    """Record and correct supervision sessions, ad hoc support, need and engagement scores."""
    SUPERVISION_PREPARE = "supervision.prepare"
    """Write one's own session worksheet and reflection form (DSLs, in their school)."""
    SURVEY_RESPOND = "survey.respond"
    """Answer the DSL surveys."""
    SURVEY_RESULTS_VIEW = "survey.results_view"
    """See survey results (school-level summaries, never one person's answers)."""
    CHILD_DATA_VIEW = "child_data.view"
    """Read child-level front-door records (pseudonymised contacts and referrals)."""
    DEIDENTIFIED_EXPORT = "deidentified.export"
    """Download de-identified tables for evaluation."""
