"""Services: organisations import, accounts and memberships, and the audit chain they write."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from threshold.web.accounts.roles import RoleName
from threshold.web.accounts.services import (
    MSG_ALREADY_GRANTED,
    MSG_SCOPE_AUTHORITY,
    MSG_SCOPE_GLOBAL,
    MSG_SCOPE_SCHOOL,
    MSG_USERNAME_TAKEN,
    AccountError,
    membership_grant,
    user_create,
)
from threshold.web.audit.chain import verify_chain
from threshold.web.audit.models import MSG_APPEND_ONLY, AppendOnlyError, AuditAction, AuditEvent
from threshold.web.audit.selectors import audit_chain
from threshold.web.audit.services import audit_read, record_event
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.organisations.services import (
    MSG_MISSING_COLUMNS,
    MSG_UNKNOWN_AUTHORITY,
    ImportCounts,
    organisations_import,
)

pytestmark = pytest.mark.django_db

AUTHORITIES = pd.DataFrame({"la_code": ["990"], "la_name": ["Northmoor"], "region": [None]})
SCHOOLS = pd.DataFrame(
    {
        "urn": [990001, 990002],
        "name": ["A School", "B School"],
        "la_code": ["990", "990"],
        "phase": ["secondary", "primary"],
    }
)


def test_import_creates_then_changes_nothing_then_updates() -> None:
    first = organisations_import(local_authorities=AUTHORITIES, schools=SCHOOLS, by="test")
    assert first == ImportCounts(1, 0, 0, 2, 0, 0)
    events = AuditEvent.objects.count()
    again = organisations_import(local_authorities=AUTHORITIES, schools=SCHOOLS, by="test")
    assert again == ImportCounts(0, 0, 1, 0, 0, 2)
    assert AuditEvent.objects.count() == events
    renamed = SCHOOLS.assign(name=["A School", "B Primary"])
    assert organisations_import(local_authorities=AUTHORITIES, schools=renamed, by="test") == (
        ImportCounts(0, 0, 1, 0, 1, 1)
    )
    assert School.objects.get(urn=990002).name == "B Primary"
    event = AuditEvent.objects.first()
    assert (event.action, event.authority_code, event.detail) == (
        "import",
        "990",
        {"schools_updated": 1},
    )


def test_import_is_all_or_nothing() -> None:
    bad = pd.concat(
        [
            SCHOOLS,
            pd.DataFrame(
                {"urn": [991001], "name": ["X"], "la_code": ["991"], "phase": ["secondary"]}
            ),
        ]
    )
    with pytest.raises(ValueError, match="la_code '991'") as raised:
        organisations_import(local_authorities=AUTHORITIES, schools=bad, by="test")
    assert str(raised.value) == MSG_UNKNOWN_AUTHORITY.format(row=3, la_code="991", urn=991001)
    assert not LocalAuthority.objects.exists()
    assert not School.objects.exists()


def test_import_names_missing_columns() -> None:
    with pytest.raises(ValueError, match="lacks the contract columns") as raised:
        organisations_import(
            local_authorities=AUTHORITIES, schools=SCHOOLS.drop(columns="phase"), by="test"
        )
    assert str(raised.value) == MSG_MISSING_COLUMNS.format(table="schools", columns=["phase"])


def test_user_create_validates_the_password_and_the_username() -> None:
    with pytest.raises(ValidationError):
        user_create(username="weak", password="password", by="test")
    user_create(username="asha", password="a long enough passphrase", by="test")
    with pytest.raises(AccountError) as raised:
        user_create(username="ASHA", password="a long enough passphrase", by="test")
    assert str(raised.value) == MSG_USERNAME_TAKEN.format(username="ASHA")
    event = AuditEvent.objects.first()
    assert (event.action, event.object_type, event.actor) == ("create", "accounts.user", "test")


@pytest.mark.parametrize(
    ("role", "where", "message"),
    [
        (RoleName.EVALUATOR, "home_la", MSG_SCOPE_GLOBAL),
        (RoleName.SSW, None, MSG_SCOPE_AUTHORITY),
        (RoleName.SSW, "home_school", MSG_SCOPE_AUTHORITY),
        (RoleName.DSL_LEAD, "home_la", MSG_SCOPE_SCHOOL),
    ],
)
def test_membership_scope_must_fit_the_role(
    role: RoleName, where: str | None, message: str, places: dict[str, object]
) -> None:
    user = user_create(username="u", password="a long enough passphrase", by="test")
    kwargs = {}
    if where:
        kwargs["school" if where.endswith("school") else "authority"] = places[where]
    with pytest.raises(AccountError) as raised:
        membership_grant(user=user, role=role, by="test", **kwargs)
    assert str(raised.value) == message.format(role=role.label)


def test_membership_grant_is_audited_with_its_place(
    places: dict[str, object], make_user: Callable[..., object]
) -> None:
    admin = make_user(RoleName.SYSTEM_ADMIN)
    user = user_create(username="dsl", password="a long enough passphrase", by=admin)
    membership_grant(user=user, role=RoleName.DSL_LEAD, school=places["home_school"], by=admin)
    event = AuditEvent.objects.first()
    assert (event.actor, event.actor_id, event.authority_code, event.school_urn) == (
        "system_admin",
        admin.pk,
        "990",
        990001,
    )
    with pytest.raises(AccountError) as raised:
        membership_grant(user=user, role=RoleName.DSL_LEAD, school=places["home_school"], by=admin)
    assert str(raised.value) == MSG_ALREADY_GRANTED.format(user=user, role=RoleName.DSL_LEAD.label)


def test_events_form_an_intact_chain() -> None:
    for number in range(5):
        audit_read(by="test", object_type="programme.session", object_id=str(number))
    result = verify_chain(audit_chain())
    assert result.intact
    assert result.events == 5
    assert list(AuditEvent.objects.values_list("sequence", flat=True)) == [5, 4, 3, 2, 1]


def test_events_cannot_be_changed_or_deleted_through_django() -> None:
    event = record_event(by="test", action=AuditAction.CREATE, object_type="x.y", object_id="1")
    event.object_id = "2"
    for attempt in (
        event.save,
        event.delete,
        AuditEvent.objects.all().delete,
        lambda: AuditEvent.objects.update(object_id="3"),
    ):
        with pytest.raises(AppendOnlyError, match=MSG_APPEND_ONLY):
            attempt()
    assert AuditEvent.objects.get().object_id == "1"


@transaction.atomic
def failing_write() -> None:
    record_event(by="test", action=AuditAction.CREATE, object_type="x.y")
    raise RuntimeError


def test_a_write_rolled_back_leaves_no_event() -> None:
    with pytest.raises(RuntimeError):
        failing_write()
    assert not AuditEvent.objects.exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only"
)
def test_postgresql_refuses_raw_updates_and_deletes() -> None:
    record_event(by="test", action=AuditAction.CREATE, object_type="x.y")
    for sql in ("UPDATE audit_auditevent SET actor = 'mallory'", "DELETE FROM audit_auditevent"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            connection.cursor().execute(sql)
    assert AuditEvent.objects.get().actor == "test"
