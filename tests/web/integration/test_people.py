"""People through the test client and the services: invitations (one, from a CSV, resent,
revoked, accepted), roles, deactivation, the list and a person's page, and who may do what."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from threshold.web.accounts.models import Membership, User
from threshold.web.accounts.roles import RoleName
from threshold.web.audit.models import AuditEvent
from threshold.web.organisations.models import LocalAuthority, School, SchoolStatus
from threshold.web.people import selectors, services
from threshold.web.people.management.commands.create_admin import MSG_NO_TERMINAL
from threshold.web.people.models import Invitation
from threshold.web.people.selectors import PersonState, token_digest
from threshold.web.people.services import PersonError
from threshold.web.people.views import MSG_BULK_STALE

PASSWORD = "a long new passphrase for tests"
LINK = re.compile(r"http://testserver(/people/join/[^/\s]+/)")
HEADER = "first_name,last_name,email,role,school_urn\n"
LOGIN_PASSWORD = "correct horse battery staple"

# Transactions commit, so the e-mails sent once a change is saved are sent.
pytestmark = pytest.mark.django_db(transaction=True)


def link(token: str) -> str:
    return f"http://testserver{reverse('people:invitation_accept', kwargs={'token': token})}"


@pytest.fixture
def sent() -> list[mail.EmailMessage]:
    """The e-mails sent so far."""
    return mail.outbox


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user(RoleName.SYSTEM_ADMIN)


@pytest.fixture
def lead(make_user: Callable[..., User]) -> User:
    return make_user(RoleName.LA_LEAD)


def invite(by: User, places: dict, email: str = "dsl@example.org", **kwargs: object) -> User:
    words = {"role": RoleName.DSL_LEAD, "school": places["home_school"]} | kwargs
    return services.person_invite(
        first_name="Dee", last_name="Ess", email=email, link=link, by=by, **words
    )


def signs_in(person: User) -> bool:
    """Whether `person` gets past the sign-in page with their password."""
    client = Client()
    credentials = {"username": person.username, "password": LOGIN_PASSWORD}
    client.post(reverse("accounts:login"), credentials)
    return client.get("/").status_code == 200


def post_invite(client: Client, **fields: object) -> object:
    data = {"first_name": "Lee", "last_name": "Lead", "email": "lee@example.org"} | fields
    return client.post(reverse("people:person_invite"), data)


def test_an_invitation_link_sets_a_password_once_then_two_factor_set_up(
    client: Client, admin: User, places: dict, sign_in: Callable[..., Client], sent: list
) -> None:
    sign_in(client, admin)
    response = post_invite(client, role="la_lead", authorities=[places["home_la"].pk])
    person = User.objects.get(username="lee@example.org")
    assert response.url == reverse("people:person_detail", kwargs={"pk": person.pk})
    assert not person.has_usable_password()
    assert selectors.person_state(person) is PersonState.INVITED
    assert Membership.objects.get(user=person).authority == places["home_la"]

    [email] = sent
    assert email.to == ["lee@example.org"]
    assert email.subject == services.INVITATION_SUBJECT
    assert "LA programme lead (Northmoor)" in email.body
    assert "authenticator app" in email.body
    path = LINK.search(email.body).group(1)
    token = path.split("/")[-2]
    invitation = Invitation.objects.get(user=person)
    assert invitation.token_hash == token_digest(token) != token
    assert invitation.expires_at - invitation.created_at == timedelta(hours=72)

    joining = Client()
    page = joining.get(path)
    assert b"Choose your password" in page.content
    assert b"lee@example.org" in page.content
    mismatch = joining.post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD + "x"})
    assert mismatch.status_code == 200
    weak = joining.post(path, {"new_password1": "password", "new_password2": "password"})
    assert b"This password is too short" in weak.content
    done = joining.post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert done.url == reverse("core:home")
    person.refresh_from_db()
    assert person.check_password(PASSWORD)
    assert selectors.person_state(person) is PersonState.ACTIVE
    # Signed in, and sent to set up an authenticator app before anything else.
    assert joining.get("/").url.startswith(reverse("accounts:two_factor_setup"))
    assert Client().get(path).status_code == 404  # used once


def test_a_dsl_joins_without_an_authenticator_and_an_expired_link_fails(
    admin: User, places: dict, sent: list
) -> None:
    person = invite(admin, places)
    assert "authenticator app" not in sent[0].body
    path = LINK.search(sent[0].body).group(1)
    Invitation.objects.filter(user=person).update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = Client().get(path)
    assert expired.status_code == 404
    assert b"This link does not work" in expired.content
    Invitation.objects.filter(user=person).update(expires_at=timezone.now() + timedelta(hours=1))
    joining = Client()
    joining.post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert joining.get("/").status_code == 200  # a DSL needs no second factor


def test_resend_kills_the_old_link_and_revoke_deactivates(
    client: Client, lead: User, places: dict, sign_in: Callable[..., Client], sent: list
) -> None:
    person = invite(lead, places)
    first = LINK.search(sent[0].body).group(1)
    sign_in(client, lead)
    client.post(reverse("people:invitation_resend", kwargs={"pk": person.pk}))
    second = LINK.search(sent[1].body).group(1)
    assert first != second
    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 200

    page = reverse("people:invitation_revoke", kwargs={"pk": person.pk})
    assert services.MSG_REASON in client.post(page, {"reason": ""}).content.decode()
    person.refresh_from_db()
    assert person.is_active
    client.post(page, {"reason": "Left the school"})
    person.refresh_from_db()
    assert not person.is_active
    assert Client().get(second).status_code == 404
    assert sent[2].subject == services.WITHDRAWN.subject
    assert "Left the school" in sent[2].body


def test_deactivating_ends_sessions_and_sign_in_until_reactivated(
    admin: User,
    make_user: Callable[..., User],
    sign_in: Callable[..., Client],
    sent: list,
) -> None:
    dsl = make_user(RoleName.DSL_LEAD)
    dsl.email = "dsl@example.org"
    dsl.save()
    theirs = sign_in(Client(), dsl)
    other = sign_in(Client(), admin)
    assert theirs.get("/").status_code == 200
    with pytest.raises(PersonError, match=services.MSG_REASON):
        services.person_deactivate(person=dsl, reason=" ", by=admin)
    services.person_deactivate(person=dsl, reason="Moved school", by=admin)
    assert theirs.get("/").url.startswith(reverse("accounts:login"))
    assert other.get("/").status_code == 200  # only their sessions end
    assert not [
        s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(dsl.pk)
    ]
    assert not signs_in(dsl)
    assert dsl.memberships.count() == 1  # nothing of theirs is removed
    event = AuditEvent.objects.filter(object_type="accounts.user", object_id=str(dsl.pk)).first()
    assert event.detail == {"change": "deactivated", "reason": "Moved school", "sessions_ended": 1}
    assert sent[-1].subject == services.DEACTIVATED.subject
    with pytest.raises(PersonError, match="already deactivated"):
        services.person_deactivate(person=dsl, reason="again", by=admin)

    services.person_reactivate(person=dsl, reason="Back", by=admin)
    assert signs_in(dsl)
    assert sent[-1].subject == services.REACTIVATED.subject


def test_an_la_lead_cannot_see_or_change_people_of_another_la(
    client: Client,
    lead: User,
    places: dict,
    sign_in: Callable[..., Client],
    admin: User,
    sent: list,
) -> None:
    elsewhere = invite(admin, places, "far@example.org", school=places["other_school"])
    home = invite(admin, places, "near@example.org")
    sign_in(client, lead)
    listed = client.get(reverse("people:person_list"))
    assert b"near@example.org" in listed.content
    assert b"far@example.org" not in listed.content
    assert f'href="/people/{admin.pk}/"'.encode() not in listed.content  # nor the administrator
    detail = reverse("people:person_detail", kwargs={"pk": elsewhere.pk})
    assert client.get(detail).status_code == 404
    for name in ("person_deactivate", "role_add", "invitation_revoke", "invitation_resend"):
        url = reverse(f"people:{name}", kwargs={"pk": elsewhere.pk})
        assert client.post(url, {"reason": "x", "role": "dsl_lead"}).status_code == 404
    assert elsewhere.invitations.get().ended_at is None
    assert client.get(reverse("people:person_detail", kwargs={"pk": home.pk})).status_code == 200
    with pytest.raises(PersonError, match="cannot manage"):
        services.person_deactivate(person=elsewhere, reason="x", by=lead)
    with pytest.raises(PersonError, match="cannot manage"):
        services.role_grant(
            person=elsewhere,
            role=RoleName.DSL_DEPUTY,
            school=places["home_school"],
            reason="x",
            by=lead,
        )
    with pytest.raises(PersonError, match="cannot manage"):
        services.person_deactivate(person=admin, reason="x", by=lead)


@pytest.mark.parametrize(
    ("role", "where", "message"),
    [
        (RoleName.SYSTEM_ADMIN, {}, "You cannot give the role System administrator"),
        (RoleName.EVALUATOR, {}, "You cannot give the role Evaluator"),
        (RoleName.LA_LEAD, {"authorities": "home_la"}, "You cannot give the role LA programme"),
        (RoleName.SSW, {"authorities": "other_la"}, "not one of your local authorities"),
        (RoleName.DSL_LEAD, {"school": "other_school"}, "not one of your local authorities"),
    ],
)
def test_an_la_lead_cannot_grant_wider_than_their_scope(
    client: Client,
    lead: User,
    places: dict,
    sign_in: Callable[..., Client],
    role: RoleName,
    where: dict[str, str],
    message: str,
) -> None:
    authorities = [places[where["authorities"]]] if "authorities" in where else []
    school = places[where["school"]] if "school" in where else None
    with pytest.raises(PersonError, match=message):
        invite(lead, places, role=role, authorities=authorities, school=school)
    assert not User.objects.filter(email="dsl@example.org").exists()
    sign_in(client, lead)
    fields = {"role": role.value}
    if "authorities" in where:
        fields["authorities"] = [places[where["authorities"]].pk]
    if "school" in where:
        fields["school_urn"] = places[where["school"]].urn
    response = post_invite(client, **fields)
    assert response.status_code == 200  # the form refuses; nobody is invited
    assert not User.objects.filter(email="lee@example.org").exists()


def test_an_administrator_grants_anything_and_an_ssw_covers_several_las(
    admin: User, places: dict, sent: list
) -> None:
    evaluator = invite(admin, places, "eve@example.org", role=RoleName.EVALUATOR, school=None)
    assert evaluator.memberships.get().role == RoleName.EVALUATOR
    ssw = invite(
        admin,
        places,
        "ssw@example.org",
        role=RoleName.SSW,
        school=None,
        authorities=[places["home_la"], places["other_la"]],
    )
    assert {m.authority.la_code for m in ssw.memberships.all()} == {"990", "991"}
    with pytest.raises(PersonError, match="held in one local authority"):
        invite(
            admin,
            places,
            "two@example.org",
            role=RoleName.LA_ANALYST,
            school=None,
            authorities=[places["home_la"], places["other_la"]],
        )
    with pytest.raises(PersonError, match="already has an account"):
        invite(admin, places, "SSW@example.org")
    places["home_school"].status = SchoolStatus.CLOSED
    places["home_school"].save()
    with pytest.raises(PersonError, match="is closed"):
        invite(admin, places, "closed@example.org")


def test_roles_are_added_and_removed_with_reasons_never_the_last_nor_ones_own(
    client: Client,
    lead: User,
    make_user: Callable[..., User],
    sign_in: Callable[..., Client],
    places: dict,
    sent: list,
) -> None:
    dsl = make_user(RoleName.DSL_LEAD)
    dsl.email = "dsl@example.org"
    dsl.save()
    sign_in(client, lead)
    add = reverse("people:role_add", kwargs={"pk": dsl.pk})
    client.post(
        add,
        {"role": "la_analyst", "authorities": [places["home_la"].pk], "reason": "New post"},
    )
    assert set(dsl.memberships.values_list("role", flat=True)) == {"dsl_lead", "la_analyst"}
    assert "gave you the role LA analyst in Threshold (Northmoor)" in sent[-1].body
    held = dsl.memberships.get(role="dsl_lead")
    remove = reverse("people:role_remove", kwargs={"pk": dsl.pk, "membership_pk": held.pk})
    assert b"Remove the role Designated safeguarding lead" in client.get(remove).content
    client.post(remove, {"reason": "Left the school"})
    last = dsl.memberships.get()
    assert last.role == "la_analyst"
    event = AuditEvent.objects.filter(object_type="accounts.membership", action="delete").get()
    assert event.detail["reason"] == "Left the school"
    with pytest.raises(PersonError, match="only role"):
        services.role_remove(membership=last, reason="x", by=lead)
    with pytest.raises(PersonError, match="your own roles"):
        services.role_grant(
            person=lead, role=RoleName.SSW, authorities=[places["home_la"]], reason="x", by=lead
        )
    assert client.get(reverse("people:role_add", kwargs={"pk": lead.pk})).status_code == 200
    own = client.get(reverse("people:person_detail", kwargs={"pk": lead.pk}))
    assert b"Add a role" not in own.content
    assert b"Deactivate the account" not in own.content


def upload(client: Client, text: str, authority: LocalAuthority) -> object:
    return client.post(
        reverse("people:bulk_invite"),
        {
            "authority": authority.pk,
            "file": SimpleUploadedFile("people.csv", text.encode(), content_type="text/csv"),
        },
    )


def test_a_bulk_invite_shows_every_row_problem_and_applies_nothing_until_all_are_right(
    client: Client, lead: User, places: dict, sign_in: Callable[..., Client], sent: list
) -> None:
    School.objects.create(
        urn=990002, name="St Bede's", authority=places["home_la"], phase="primary"
    )
    sign_in(client, lead)
    bad = (
        HEADER
        + "Ann,Able,ann@example.org,dsl_lead,990001\n"
        + ",Blank,b@example.org,dsl_lead,990001\n"
        + "Cy,Far,cy@example.org,dsl_deputy,991001\n"
        + "Di,Boss,di@example.org,system_admin,\n"
        + "Ed,Odd,ed@example.org,head teacher,\n"
        + "Ann,Again,ANN@example.org,dsl_deputy,990002\n"
        + "Fi,Nowhere,fi@example.org,dsl_lead,123456\n"
        + "Gu,Ssw,gu@example.org,ssw,990001\n"
    )
    response = upload(client, bad, places["home_la"])
    plan = response.context["plan"]
    assert [(v.file, v.row, v.field) for v in plan.violations] == [
        ("people.csv", 2, "first_name"),
        ("people.csv", 3, "school_urn"),
        ("people.csv", 4, "role"),
        ("people.csv", 5, "role"),
        ("people.csv", 6, "email"),
        ("people.csv", 7, "school_urn"),
        ("people.csv", 8, "school_urn"),
    ]
    content = response.content.decode()
    assert "Eastvale College (991001) is not in Northmoor" in content
    assert "You cannot give the role System administrator" in content
    assert "ann@example.org is also on row 1" in content
    assert "Send invitations" not in content
    apply = reverse("people:bulk_invite_apply")
    client.post(apply, {"digest": ""})
    assert not User.objects.filter(email__endswith="example.org").exists()
    assert sent == []

    good = HEADER + "Ann,Able,ann@example.org,dsl_lead,990001\nGu,Ssw,gu@example.org,SSW,\n"
    preview = upload(client, good, places["home_la"])
    assert "Send invitations" in preview.content.decode()
    assert not User.objects.filter(email="ann@example.org").exists()  # nothing yet
    done = client.post(apply, {"digest": preview.context["digest"]}, follow=True)
    assert b"2 invitation(s) sent" in done.content
    assert sorted(m.to[0] for m in sent) == ["ann@example.org", "gu@example.org"]
    gu = User.objects.get(email="gu@example.org")
    assert gu.memberships.get().authority == places["home_la"]
    again = client.post(apply, {"digest": preview.context["digest"]}, follow=True)
    assert MSG_BULK_STALE.encode() in again.content


def test_a_bulk_apply_is_all_or_nothing_when_the_world_changed_since_the_preview(
    client: Client,
    lead: User,
    places: dict,
    sign_in: Callable[..., Client],
    admin: User,
    sent: list,
) -> None:
    sign_in(client, lead)
    good = HEADER + "Ann,Able,ann@example.org,dsl_lead,990001\nGu,Ssw,gu@example.org,ssw,\n"
    preview = upload(client, good, places["home_la"])
    invite(
        admin,
        places,
        "gu@example.org",
        role=RoleName.SSW,
        school=None,
        authorities=[places["home_la"]],
    )
    done = client.post(
        reverse("people:bulk_invite_apply"), {"digest": preview.context["digest"]}, follow=True
    )
    assert b"people.csv has 1 problem(s): nothing was applied" in done.content
    assert not User.objects.filter(email="ann@example.org").exists()


def test_the_template_is_the_header(
    client: Client, lead: User, sign_in: Callable[..., Client]
) -> None:
    sign_in(client, lead)
    response = client.get(reverse("people:bulk_template"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content == b"first_name,last_name,email,role,school_urn\r\n"


def test_the_list_searches_filters_and_pages(
    client: Client, admin: User, places: dict, sign_in: Callable[..., Client], sent: list
) -> None:
    for n in range(26):
        invite(admin, places, f"person{n:02}@example.org")
    joined = User.objects.get(email="person00@example.org")
    joined.first_name, joined.last_name = "Zara", "Quinn"
    joined.set_password(PASSWORD)
    joined.last_login = timezone.now()
    joined.save()
    sign_in(client, admin)
    url = reverse("people:person_list")

    def found(**query: str) -> int:
        return client.get(url, query).context["page"].paginator.count

    assert found() == 27
    assert found(search="zara quinn") == 1
    assert found(search="person01@") == 1
    assert found(state="invited") == 25
    assert found(state="active") == 2
    assert found(role="system_admin") == 1
    assert found(school_urn="990001") == 26
    assert found(school_urn="991001") == 0
    assert found(signed_in="recent") == 2  # and the administrator, signed in now
    assert found(signed_in="never") == 25
    assert len(client.get(url, {"page": "2"}).context["rows"]) == 2
    first = client.get(url, {"search": "person"})
    assert b"search=person&amp;page=2" in first.content  # the pages keep the filters
    assert len(client.get(url, {"search": "person", "page": "2"}).context["rows"]) == 1


def test_a_persons_page_shows_roles_two_factor_sign_in_events_and_recovery_links(
    client: Client,
    lead: User,
    make_user: Callable[..., User],
    sign_in: Callable[..., Client],
    add_device: Callable[[User], object],
) -> None:
    ssw = make_user(RoleName.SSW)
    add_device(ssw)
    sign_in(client, lead)
    url = reverse("people:person_detail", kwargs={"pk": ssw.pk})
    content = client.get(url).content.decode()
    assert "Supervising social worker" in content
    assert "Set up (their role requires one)" in content
    assert "Never" in content
    assert "Remove<" not in content  # their only role
    for name in ("accounts:authenticator_reset", "accounts:unlock"):
        assert reverse(name, kwargs={"pk": ssw.pk}) in content
    services.person_deactivate(person=ssw, reason="On leave", by=lead)
    content = client.get(url).content.decode()
    assert "Updated: deactivated" in content
    assert "Reactivate the account" in content
    assert reverse("accounts:unlock", kwargs={"pk": ssw.pk}) not in content


def test_create_admin_once_then_only_with_another(places: dict, sent: list) -> None:
    out = io.StringIO()
    call_command(
        "create_admin",
        "--username",
        "root",
        "--email",
        "root@example.org",
        "--sign-in-link",
        stdout=out,
    )
    path = LINK.search(out.getvalue().replace("http://127.0.0.1:8000", "http://testserver"))
    assert path is not None
    root = User.objects.get(username="root")
    assert root.memberships.get().role == RoleName.SYSTEM_ADMIN
    assert sent == []  # the link is printed, never e-mailed
    with pytest.raises(CommandError, match="a system administrator exists already \\(root\\)"):
        call_command("create_admin", "--username", "two", "--email", "two@example.org")
    with pytest.raises(CommandError, match=re.escape(MSG_NO_TERMINAL)):
        call_command("create_admin", "--username", "two", "--email", "t@example.org", "--another")
    call_command(
        "create_admin",
        "--username",
        "two",
        "--email",
        "t@example.org",
        "--another",
        "--sign-in-link",
        stdout=io.StringIO(),
    )
    assert selectors.admin_usernames() == ["root", "two"]
