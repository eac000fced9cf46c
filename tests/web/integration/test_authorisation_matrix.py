"""Every URL pattern × every role (and anonymous) → the expected status of a GET.

The patterns come from the URL configuration, so a new URL fails `test_every_url_is_in_the_matrix`
until it is given a row here. Users requiring 2FA are signed in with a verified device; DSLs
(for whom 2FA is optional) without one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from threshold.web.accounts.roles import RoleName

ANONYMOUS = "anonymous"
WHO = (ANONYMOUS, *RoleName.values())


def row(anonymous: int, default: int, **by_role: int) -> dict[str, int]:
    """Statuses for anonymous and each role; `default` for roles not named."""
    return {ANONYMOUS: anonymous} | {role: by_role.get(role, default) for role in RoleName.values()}


MATRIX: dict[str, dict[str, int]] = {
    "core:home": row(302, 200),
    "core:health": row(200, 200),
    **{
        name: row(200, 200)
        for name in ("core:help", "core:accessibility", "core:privacy", "core:cookies")
    },
    "accounts:login": row(200, 302),
    "accounts:logout": row(405, 405),
    # Everyone here is verified (or a DSL without an app): set-up offers a new app in place of
    # the old; the recovery codes page needs an app; the reset pages work signed in or not.
    "accounts:account": row(302, 200),
    "accounts:two_factor_setup": row(302, 200),
    "accounts:two_factor_verify": row(302, 302),
    "accounts:recovery_codes": row(302, 200, dsl_lead=302, dsl_deputy=302),
    "accounts:password_change": row(302, 200),
    "accounts:password_reset": row(200, 200),
    "accounts:password_reset_done": row(200, 200),
    "accounts:password_reset_confirm": row(200, 200),
    "accounts:password_reset_complete": row(200, 200),
    # Managing someone's account: nobody here is anyone's to manage (404 where the role may).
    "accounts:authenticator_reset": row(302, 403, la_lead=404, system_admin=404),
    "accounts:unlock": row(302, 403, la_lead=404, system_admin=404),
    "audit:event_list": row(302, 403, la_lead=200, system_admin=200),
    # People: managed by administrators and LA leads; no person 999999 exists (404 where the
    # role may manage people); the invitation token here is no one's.
    **{
        name: row(302, 403, la_lead=200, system_admin=200)
        for name in (
            "people:person_list",
            "people:person_invite",
            "people:bulk_invite",
            "people:bulk_template",
        )
    },
    **{
        name: row(302, 403, la_lead=404, system_admin=404)
        for name in (
            "people:person_detail",
            "people:role_add",
            "people:role_remove",
            "people:person_deactivate",
            "people:person_reactivate",
            "people:invitation_revoke",
        )
    },
    "people:bulk_invite_apply": row(405, 405),
    "people:invitation_resend": row(405, 405),
    "people:invitation_accept": row(404, 404),
    # Organisations: no GIAS upload in the session (the preview sends the admin to upload);
    # the home LA's settings are read by its people and edited by its lead.
    "organisations:authority_list": row(302, 200),
    "organisations:gias_upload": row(302, 403, system_admin=200),
    "organisations:gias_preview": row(302, 403, system_admin=302),
    "organisations:gias_apply": row(405, 405),
    "organisations:authority_detail": row(302, 200, evaluator=403),
    "organisations:authority_edit": row(302, 403, la_lead=200, system_admin=200),
    "programme:programme_list": row(302, 403, la_lead=200),
    "programme:programme_create": row(302, 403, la_lead=200),
    "programme:programme_detail": row(302, 403, la_lead=404),
    "programme:programme_edit": row(302, 403, la_lead=404),
    "programme:allocations_upload": row(302, 403, la_lead=404),
    "programme:enrolment_edit": row(302, 403, la_lead=404),
    "programme:school_list": row(302, 403, la_lead=200, ssw=200, dsl_lead=200, dsl_deputy=200),
    # A calendar feed: its page for those who see the schedule; the feed's token is the
    # credential (none here is anyone's).
    "programme:feed": row(302, 403, la_lead=200, ssw=200, dsl_lead=200, dsl_deputy=200),
    "programme:feed_ics": row(404, 404),
    "programme:school_schedule": row(302, 403, la_lead=200, dsl_lead=200, dsl_deputy=200),
    "programme:session_plan": row(302, 403),
    "programme:calendar_add": row(302, 403),
    "programme:session_reschedule": row(302, 403, ssw=404),
    "programme:session_cancel": row(302, 403, ssw=404),
    "programme:session_held": row(302, 403, ssw=404),
    "programme:take_up": row(302, 403, la_lead=200, ssw=200),
    "programme:meeting_list": row(302, 403, la_lead=200, ssw=200),
    "programme:meeting_create": row(302, 403, la_lead=200, ssw=200),
    "supervision:session_list": row(302, 403, la_lead=200, ssw=200, dsl_lead=200, dsl_deputy=200),
    **{  # a row each: `dict.fromkeys` would share one mutable row between them
        name: row(302, 403, la_lead=404, ssw=404, dsl_lead=404, dsl_deputy=404)
        for name in (
            "supervision:first_session_sheet",
            "supervision:record",
            "supervision:worksheet",
            "supervision:reflection",
        )
    },
    "supervision:ad_hoc_support": row(302, 403, ssw=200),
    "supervision:ratings": row(302, 403, ssw=200),
    # Finding and exporting (programme-lists): downloads of the schedule's sessions, of take-up
    # and of the supervision sessions, for those who see each list.
    "programme:schedule_download": row(
        302, 403, la_lead=200, ssw=200, dsl_lead=200, dsl_deputy=200
    ),
    "programme:take_up_download": row(302, 403, la_lead=200, ssw=200),
    "supervision:session_download": row(
        302, 403, la_lead=200, ssw=200, dsl_lead=200, dsl_deputy=200
    ),
    # Front door: the home LA and school; no import exists here (404 for the LA analyst).
    "insights:index": row(302, 403, la_lead=200, la_analyst=200, dsl_lead=200, dsl_deputy=200),
    "insights:authority": row(302, 403, la_lead=200, la_analyst=200),
    "insights:school": row(302, 403, la_lead=200, la_analyst=200, dsl_lead=200, dsl_deputy=200),
    "insights:import_upload": row(302, 403, la_analyst=200),
    "insights:import_detail": row(302, 403, la_analyst=404),
    "insights:import_progress": row(302, 403, la_analyst=404),
    "insights:quarantine": row(302, 403, la_analyst=200),
    # Background jobs: the failed ones are for system administrators.
    "jobs:failed": row(302, 403, system_admin=200),
    # jobs-week: running a failed e-mail job again is a POST (GET: 405 for everyone).
    "jobs:run_again": row(405, 405),
    # Trials: evaluators everywhere; LA leads and analysts in their LA's trials.
    # Programmes without a trial: the LA lead enrols schools directly (no programme 1 here);
    # the people invited to a survey wave (no wave 1).
    **{
        name: row(302, 403, la_lead=404)
        for name in (
            "programme:enrolments_choose",
            "programme:enrolments_upload",
            "programme:enrolments_template",
            "surveys:invitees",
        )
    },
    # Reminders: everyone chooses their own; the home LA's lead sets its defaults.
    "reminders:mine": row(302, 200),
    "reminders:authority_defaults": row(302, 403, la_lead=200),
    # Correcting a session (undo "held", remove one entered in error, change who cancelled
    # it): the school's SSW or LA lead; no session 1 exists here.
    **{
        name: row(302, 403, la_lead=404, ssw=404)
        for name in (
            "programme:session_undo_held",
            "programme:session_remove",
            "programme:session_canceller",
        )
    },
    # Finding and exporting (insights-lists): downloads of the lists and dashboard tables, in
    # the page's scope; an LA's imports list for those who see its dashboard.
    "guidance:call_download": row(302, 403, la_lead=200, ssw=200),
    "guidance:outcome_download": row(302, 403, dsl_lead=200, dsl_deputy=200),
    **{
        name: row(302, 403, la_lead=200, la_analyst=200)
        for name in (
            "insights:authority_schools_download",
            "insights:authority_months_download",
            "insights:import_list",
            "insights:import_list_download",
        )
    },
    **{
        name: row(302, 403, la_lead=200, la_analyst=200, dsl_lead=200, dsl_deputy=200)
        for name in ("insights:school_months_download", "insights:school_comparison_download")
    },
    "audit:event_download": row(302, 403, la_lead=200, system_admin=200),
    "trials:trial_list": row(302, 403, la_lead=200, la_analyst=200, evaluator=200),
    # Trials' analysis runs (trials.analyse): no trial or run 999999 exists (404 where the role
    # may analyse); starting a run is a POST.
    **{
        name: row(302, 403, la_analyst=404, evaluator=404)
        for name in ("trials:run_list", "trials:run_detail", "trials:run_file")
    },
    "trials:run_create": row(405, 405),
    # Set-up: creating needs trials.manage; no trial 999999 exists (404 where the role may).
    "trials:trial_create": row(302, 403, la_lead=200, evaluator=200),
    **{
        name: row(302, 403, la_lead=404, la_analyst=404, evaluator=404)
        for name in ("trials:trial_detail", "trials:trial_power", "trials:trial_protocol")
    },
    **{
        name: row(302, 403, la_lead=404, evaluator=404)
        for name in (
            "trials:trial_schools",
            "trials:trial_protocol_toml",
            "trials:trial_lock",
            "trials:trial_randomise",
            "trials:trial_withdraw",
        )
    },
    # health: no trial 999999 exists (404 where the role may view trials).
    "trials:health": row(302, 403, la_lead=404, la_analyst=404, evaluator=404),
    # export: no trial 999999 exists (404 where the role may export de-identified data).
    "trials:export": row(302, 403, la_analyst=404, evaluator=404),
    # Surveys: the questionnaire is public (its token is the credential); no such token here.
    "surveys:respond": row(404, 404),
    "surveys:wave_list": row(302, 403, la_lead=200, la_analyst=200, evaluator=200),
    "surveys:wave_create": row(302, 403, la_lead=200),
    "surveys:monitor": row(302, 403, la_lead=404, la_analyst=404, evaluator=404),
    # results by arm: no programme 999999 exists (404 where the role sees survey results).
    "surveys:results": row(302, 403, la_lead=404, la_analyst=404, evaluator=404),
    "surveys:invite": row(405, 405),
    "surveys:invitations": row(302, 403, dsl_lead=200, dsl_deputy=200),
    "guidance:index": row(302, 403, la_lead=200, ssw=200, dsl_lead=200, dsl_deputy=200),
    "guidance:document": row(302, 403, la_lead=200, ssw=200, dsl_lead=200, dsl_deputy=200),
    "guidance:poster": row(302, 403, la_lead=404, ssw=404, dsl_lead=404, dsl_deputy=404),
    "guidance:document_edit": row(302, 403, la_lead=200),
    "guidance:document_publish": row(405, 405),
    "guidance:history": row(302, 403, la_lead=200),
    "guidance:version": row(302, 403, la_lead=404),
    "guidance:pathway_start": row(302, 403, dsl_lead=200, dsl_deputy=200),
    "guidance:pathway_question": row(302, 403, dsl_lead=200, dsl_deputy=200),
    "guidance:pathway_result": row(302, 403, dsl_lead=302, dsl_deputy=302),
    "guidance:pathway_record": row(302, 403, dsl_lead=302, dsl_deputy=302),
    "guidance:outcome_list": row(302, 403, dsl_lead=200, dsl_deputy=200),
    "guidance:call_list": row(302, 403, la_lead=200, ssw=200),
    "guidance:call_create": row(302, 403, la_lead=200, ssw=200),
    "guidance:call_detail": row(302, 403, la_lead=404, ssw=404),
    "guidance:summary": row(302, 403, la_lead=200),
}
"""URL name → who → expected status. URLs with arguments also need an entry in URL_KWARGS."""

URL_KWARGS: dict[str, dict[str, object]] = {
    # jobs-week: no job has this id.
    "jobs:run_again": {"job_id": "00000000-0000-0000-0000-000000000000"},
    "accounts:password_reset_confirm": {"uidb64": "MQ", "token": "not-a-token"},
    **{name: {"pk": 999_999} for name in ("accounts:authenticator_reset", "accounts:unlock")},
    # Programme pages: no programme, enrolment or session exists here (so 404 where the role
    # may reach the lookup); school pages name the home school, which has no enrolment.
    **{
        name: {"pk": 1}
        for name in (
            "programme:programme_detail",
            "programme:programme_edit",
            "programme:allocations_upload",
            "programme:enrolment_edit",
            "programme:session_reschedule",
            "programme:session_cancel",
            "programme:session_held",
        )
    },
    **{
        name: {"urn": 990001}
        for name in (
            "programme:school_schedule",
            "programme:session_plan",
            "programme:calendar_add",
        )
    },
    # Supervision pages: no enrolment or session exists here (404 where the role may read).
    "supervision:first_session_sheet": {"enrolment_id": 1},
    **{
        name: {"session_id": 1}
        for name in ("supervision:record", "supervision:worksheet", "supervision:reflection")
    },
    **{
        name: {"la_code": "990"}
        for name in ("insights:authority", "insights:import_upload", "insights:quarantine")
    },
    **{
        name: {"la_code": "990"}
        for name in ("organisations:authority_detail", "organisations:authority_edit")
    },
    "insights:import_detail": {"pk": 1},
    "insights:import_progress": {"pk": 1},
    "insights:school": {"urn": 990001},
    "surveys:respond": {"token": "ABCDEFGH12345678", "wave": "baseline"},
    **{
        name: {"pk": 1}
        for name in (
            "programme:session_undo_held",
            "programme:session_remove",
            "programme:session_canceller",
        )
    },
    # Trials' analysis runs: no such trial or run.
    **{name: {"trial_pk": 999999} for name in ("trials:run_list", "trials:run_create")},
    "trials:run_detail": {"pk": 999999},
    "trials:run_file": {"pk": 999999, "kind": "html"},
    "surveys:monitor": {"pk": 1},
    **{
        name: {"pk": 1}
        for name in (
            "programme:enrolments_choose",
            "programme:enrolments_upload",
            "programme:enrolments_template",
            "surveys:invitees",
        )
    },
    "surveys:results": {"programme_pk": 999999},
    **{
        name: {"pk": 999999}
        for name in (
            "trials:trial_detail",
            "trials:trial_power",
            "trials:trial_schools",
            "trials:trial_protocol",
            "trials:trial_protocol_toml",
            "trials:trial_lock",
            "trials:trial_randomise",
        )
    },
    "trials:trial_withdraw": {"pk": 999999, "urn": 990001},
    "trials:health": {"trial_pk": 999999},
    "trials:export": {"trial_pk": 999999},
    "surveys:invite": {"pk": 1},
    # Guidance: the home LA has no published version, and no call exists here.
    **{
        name: {"la_code": "990"}
        for name in (
            "guidance:document",
            "guidance:poster",
            "guidance:document_edit",
            "guidance:document_publish",
            "guidance:history",
        )
    },
    "guidance:version": {"la_code": "990", "number": 1},
    "guidance:pathway_question": {"question": "danger"},
    "guidance:call_detail": {"pk": 1},
    **{
        name: {"pk": 999999}
        for name in (
            "people:person_detail",
            "people:role_add",
            "people:person_deactivate",
            "people:person_reactivate",
            "people:invitation_resend",
            "people:invitation_revoke",
        )
    },
    "people:role_remove": {"pk": 999999, "membership_pk": 1},
    "people:invitation_accept": {"token": "no-such-invitation-token"},
    "programme:feed_ics": {"token": "no-such-feed-token"},
    "reminders:authority_defaults": {"la_code": "990"},
    # Finding and exporting (insights-lists).
    **{
        name: {"la_code": "990"}
        for name in (
            "insights:authority_schools_download",
            "insights:authority_months_download",
            "insights:import_list",
            "insights:import_list_download",
        )
    },
    **{
        name: {"urn": 990001}
        for name in ("insights:school_months_download", "insights:school_comparison_download")
    },
}


def url_names(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    """The namespaced name of every pattern, recursing into includes."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from url_names(pattern.url_patterns, namespace)
        else:
            yield f"{prefix}{pattern.name}"


def test_every_url_is_in_the_matrix() -> None:
    names = list(url_names(get_resolver().url_patterns))
    assert all(name and not name.endswith("None") for name in names), (
        f"every URL pattern needs a name: {names}"
    )
    assert sorted(names) == sorted(MATRIX), (
        f"give these URLs a row in MATRIX: {sorted(set(names) - set(MATRIX))}; "
        f"remove these rows: {sorted(set(MATRIX) - set(names))}"
    )


def test_every_row_covers_everyone() -> None:
    assert all(set(statuses) == set(WHO) for statuses in MATRIX.values())


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_status(
    name: str,
    who: str,
    client: Client,
    make_user: Callable[..., object],
    sign_in: Callable[..., Client],
) -> None:
    if who != ANONYMOUS:
        sign_in(client, make_user(RoleName(who)))
    response = client.get(reverse(name, kwargs=URL_KWARGS.get(name)))
    assert response.status_code == MATRIX[name][who]
