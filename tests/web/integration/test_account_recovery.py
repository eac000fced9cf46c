"""Account recovery: changing a password, resetting a forgotten one by e-mail (never past the
second factor), recovery codes, and an administrator's or LA lead's reset of someone's
authenticator or lockout; each audited, each e-mailing the person a notice."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from threshold.web.accounts import notices
from threshold.web.accounts.demo import (
    MSG_NO_APP,
    MSG_NOT_DEMO,
    DemoError,
    demo_code,
    demo_database_mark,
    seed_demo_authenticators,
)
from threshold.web.accounts.forms import (
    MSG_CODE_WRONG,
    MSG_CURRENT_PASSWORD_WRONG,
    MSG_REASON_REQUIRED,
)
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.accounts.services import (
    MSG_NOT_LOCKED,
    MSG_NOT_MANAGED,
    RECOVERY_CODES,
    AccountError,
    authenticator_reset,
    membership_grant,
    recovery_codes_generate,
)
from threshold.web.accounts.views import (
    MSG_AUTHENTICATOR_RESET,
    MSG_PASSWORD_CHANGED,
    MSG_RECOVERY_CODE_USED,
    MSG_UNLOCKED,
)
from threshold.web.audit.models import AuditEvent
from web.integration.test_sign_in import CODES, HOME, LOGIN, SETUP, VERIFY, after

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new passphrase please"
ACCOUNT = reverse("accounts:account")
CHANGE = reverse("accounts:password_change")
RESET = reverse("accounts:password_reset")
RESET_SENT = reverse("accounts:password_reset_done")
NONCE = re.compile(r'nonce="[^"]*"')
LINK = re.compile(r"https?://[^/\s]+(/accounts/password/reset/[^\s]+/)")

OnCommit = Callable[..., object]


def addressed(user: User) -> User:
    user.email = f"{user.username}@example.org"
    user.save(update_fields=["email"])
    return user


def event(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).get()


# Changing a password


def test_changing_a_password_needs_the_current_one_and_the_validators(
    client: Client, make_user: Callable[..., User], sign_in: Callable[..., Client]
) -> None:
    sign_in(client, make_user(RoleName.DSL_LEAD))
    wrong = client.post(
        CHANGE,
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert MSG_CURRENT_PASSWORD_WRONG in wrong.text
    short = client.post(
        CHANGE, {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"}
    )
    assert "at least 12 characters" in short.text
    assert not AuditEvent.objects.filter(action="password_changed").exists()


def test_a_changed_password_keeps_this_session_ends_others_and_is_noticed(
    client: Client,
    make_user: Callable[..., User],
    sign_in: Callable[..., Client],
    django_capture_on_commit_callbacks: OnCommit,
) -> None:
    user = addressed(make_user(RoleName.LA_LEAD))
    sign_in(client, user)
    elsewhere = sign_in(Client(), user)
    with django_capture_on_commit_callbacks(execute=True):
        changed = client.post(
            CHANGE,
            {
                "old_password": PASSWORD,
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        )
    assert changed.url == ACCOUNT
    assert MSG_PASSWORD_CHANGED in client.get(ACCOUNT).text
    assert client.get(HOME).status_code == 200  # still signed in, still verified
    assert elsewhere.get(HOME).url == after(LOGIN, HOME)
    assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)
    assert event("password_changed").object_id == str(user.pk)
    [notice] = mail.outbox
    assert (notice.to, notice.subject) == ([user.email], notices.PASSWORD_CHANGED.subject)
    assert "If you did not change it" in notice.body


# Resetting a forgotten password


def reset_link(client: Client, email: str, on_commit: OnCommit) -> str:
    """Ask for a reset link for `email`; the path of the link sent."""
    with on_commit(execute=True):
        assert client.post(RESET, {"email": email}).url == RESET_SENT
    return LINK.search(mail.outbox[-1].body).group(1)


def test_the_answer_never_says_whether_an_address_exists(
    client: Client, make_user: Callable[..., User]
) -> None:
    addressed(make_user(RoleName.DSL_LEAD))
    known = client.post(RESET, {"email": "dsl_lead@example.org"}, follow=True)
    unknown = client.post(RESET, {"email": "nobody@example.org"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain == [(RESET_SENT, 302)]
    assert NONCE.sub("", known.text) == NONCE.sub("", unknown.text)
    [sent] = mail.outbox
    assert sent.to == ["dsl_lead@example.org"]


def test_a_reset_link_sets_a_password_once_and_still_needs_the_second_factor(
    client: Client,
    make_user: Callable[..., User],
    add_device: Callable[..., TOTPDevice],
    token_now: Callable[..., str],
    django_capture_on_commit_callbacks: OnCommit,
) -> None:
    user = addressed(make_user(RoleName.LA_LEAD))
    device = add_device(user)
    link = reset_link(client, user.email, django_capture_on_commit_callbacks)
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.text
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            form.request["PATH_INFO"],
            {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
    assert done.url == reverse("accounts:password_reset_complete")
    assert client.get(HOME).url == after(LOGIN, HOME)  # not signed in by the reset
    assert "This link does not work" in Client().get(link, follow=True).text  # once only
    assert event("password_reset").actor == user.username
    assert mail.outbox[-1].subject == notices.PASSWORD_RESET.subject

    client.post(LOGIN, {"username": user.username, "password": NEW_PASSWORD})
    assert client.get(HOME).url == after(VERIFY, HOME)
    assert client.post(VERIFY, {"token": token_now(device)}).url == HOME


class OldTokens(PasswordResetTokenGenerator):
    """Tokens made two hours ago."""

    def _now(self) -> dt.datetime:
        return super()._now() - dt.timedelta(hours=2)


def test_a_reset_link_expires_after_an_hour(client: Client, make_user: Callable[..., User]) -> None:
    user = make_user(RoleName.DSL_LEAD)
    assert settings.PASSWORD_RESET_TIMEOUT == 3600
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    old = reverse(
        "accounts:password_reset_confirm",
        kwargs={"uidb64": uid, "token": OldTokens().make_token(user)},
    )
    assert "This link does not work" in client.get(old, follow=True).text


def test_a_locked_out_person_can_reset_and_then_sign_in(
    client: Client, make_user: Callable[..., User], django_capture_on_commit_callbacks: OnCommit
) -> None:
    user = addressed(make_user(RoleName.DSL_LEAD))
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": user.username, "password": "wrong"})
    assert client.post(LOGIN, {"username": user.username, "password": PASSWORD}).status_code == 429
    link = reset_link(client, user.email, django_capture_on_commit_callbacks)
    form = client.get(link, follow=True)
    client.post(
        form.request["PATH_INFO"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert not AccessAttempt.objects.exists()
    signed_in = client.post(LOGIN, {"username": user.username, "password": NEW_PASSWORD})
    assert signed_in.url == HOME


# Recovery codes


def test_setting_up_an_app_shows_ten_recovery_codes_once(
    client: Client, make_user: Callable[..., User], token_now: Callable[..., str]
) -> None:
    user = make_user(RoleName.SSW)
    client.force_login(user)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=user)
    assert client.post(SETUP, {"token": token_now(device)}).url == after(CODES, HOME)
    shown = client.get(after(CODES, HOME))
    stored = set(StaticToken.objects.values_list("token", flat=True))
    assert len(stored) == RECOVERY_CODES
    assert all(code in shown.text for code in stored)
    again = client.get(CODES)
    assert not any(code in again.text for code in stored)
    assert f"You have {RECOVERY_CODES} recovery codes left" in again.text


def test_new_recovery_codes_replace_the_old(
    client: Client, make_user: Callable[..., User], sign_in: Callable[..., Client]
) -> None:
    user = make_user(RoleName.LA_ANALYST)
    sign_in(client, user)
    old = set(recovery_codes_generate(by=user))
    assert client.post(CODES).url == CODES
    new = set(StaticToken.objects.values_list("token", flat=True))
    assert len(new) == RECOVERY_CODES
    assert not old & new
    shown = client.get(CODES).text
    assert all(code in shown for code in new)
    assert AuditEvent.objects.filter(action="recovery_codes_created").count() == 2


def test_a_recovery_code_signs_in_once_and_prompts_for_a_new_app(
    client: Client,
    make_user: Callable[..., User],
    add_device: Callable[..., TOTPDevice],
    django_capture_on_commit_callbacks: OnCommit,
) -> None:
    user = addressed(make_user(RoleName.SSW))
    add_device(user)
    code, *_ = recovery_codes_generate(by=user)
    client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    with django_capture_on_commit_callbacks(execute=True):
        used = client.post(VERIFY, {"token": f" {code[:4].upper()}-{code[4:]} "})
    assert used.url == after(SETUP, HOME)
    prompt = client.get(used.url)
    assert MSG_RECOVERY_CODE_USED.format(left=RECOVERY_CODES - 1) in prompt.text
    assert "Set up a new authenticator app" in prompt.text
    assert client.get(HOME).status_code == 200
    assert StaticToken.objects.count() == RECOVERY_CODES - 1
    assert event("recovery_code_used").detail == {"left": RECOVERY_CODES - 1}
    assert client.post(CODES).url == CODES  # new codes keep the session verified
    assert client.get(HOME).status_code == 200
    assert StaticToken.objects.count() == RECOVERY_CODES
    [notice] = mail.outbox
    assert notice.subject == notices.RECOVERY_CODE_USED.subject
    assert f"You have {RECOVERY_CODES - 1} recovery codes left" in notice.body

    again = Client()
    again.post(LOGIN, {"username": user.username, "password": PASSWORD})
    StaticDevice.objects.get(user=user).throttle_reset()
    assert MSG_CODE_WRONG in again.post(VERIFY, {"token": code}).text
    assert again.get(HOME).url == after(VERIFY, HOME)


def test_a_new_app_replaces_the_old_one_only_after_a_second_factor(
    client: Client,
    make_user: Callable[..., User],
    add_device: Callable[..., TOTPDevice],
    sign_in: Callable[..., Client],
    token_now: Callable[..., str],
) -> None:
    user = make_user(RoleName.LA_LEAD)
    old = add_device(user)
    client.force_login(user)  # password only
    assert client.get(SETUP).url == HOME
    assert not TOTPDevice.objects.filter(confirmed=False).exists()

    sign_in(client, user)  # verified with another app of theirs
    assert "Set up a new authenticator app" in client.get(SETUP).text
    new = TOTPDevice.objects.get(confirmed=False)
    assert client.post(SETUP, {"token": token_now(new)}).url == after(CODES, HOME)
    assert list(TOTPDevice.objects.filter(user=user)) == [new]
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    assert client.get(HOME).status_code == 200  # verified with the new app


# Resetting someone's authenticator; unlocking their account


def reset_url(person: User) -> str:
    return reverse("accounts:authenticator_reset", kwargs={"pk": person.pk})


def unlock_url(person: User) -> str:
    return reverse("accounts:unlock", kwargs={"pk": person.pk})


def test_an_la_lead_resets_the_authenticator_of_an_ssw_of_their_la(
    client: Client,
    make_user: Callable[..., User],
    sign_in: Callable[..., Client],
    django_capture_on_commit_callbacks: OnCommit,
) -> None:
    ssw = addressed(make_user(RoleName.SSW))
    ssw_browser = sign_in(Client(), ssw)
    recovery_codes_generate(by=ssw)
    lead = make_user(RoleName.LA_LEAD)
    sign_in(client, lead)
    page = client.get(reset_url(ssw))
    assert "Reset ssw's authenticator app" in page.text
    assert f"{RECOVERY_CODES} unused recovery codes" in page.text
    assert MSG_REASON_REQUIRED in client.post(reset_url(ssw), {"reason": ""}).text
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            f"{reset_url(ssw)}?next=/audit/", {"reason": "lost their phone; rang them back"}
        )
    assert done.url == after(reset_url(ssw), "/audit/")
    assert MSG_AUTHENTICATOR_RESET.format(name="ssw") in html.unescape(client.get(done.url).text)
    assert not TOTPDevice.objects.filter(user=ssw).exists()
    assert not StaticDevice.objects.filter(user=ssw).exists()
    reset = event("two_factor_reset")
    assert (reset.actor, reset.object_id, reset.authority_code) == ("la_lead", str(ssw.pk), "990")
    assert reset.detail["reason"] == "lost their phone; rang them back"
    [notice] = mail.outbox
    assert (notice.to, notice.subject) == ([ssw.email], notices.AUTHENTICATOR_RESET.subject)
    assert "lost their phone; rang them back" in notice.body
    # The SSW's session verified with the old app is not verified any more.
    assert ssw_browser.get(HOME).url == after(SETUP, HOME)


def test_an_la_lead_cannot_manage_someone_of_another_la_nor_themselves(
    client: Client,
    make_user: Callable[..., User],
    sign_in: Callable[..., Client],
    places: dict[str, object],
) -> None:
    stranger = User.objects.create_user("other_ssw")
    membership_grant(user=stranger, role=RoleName.SSW, authority=places["other_la"], by="test")
    recovery_codes_generate(by=stranger)
    lead = make_user(RoleName.LA_LEAD)
    sign_in(client, lead)
    for person in (stranger, lead):
        assert client.get(reset_url(person)).status_code == 404
        assert client.post(reset_url(person), {"reason": "x"}).status_code == 404
        assert client.post(unlock_url(person), {"reason": "x"}).status_code == 404
    assert StaticDevice.objects.filter(user=stranger).exists()
    with pytest.raises(AccountError, match=MSG_NOT_MANAGED.format(person="other_ssw")):
        authenticator_reset(person=stranger, reason="x", by=lead)


@pytest.mark.parametrize("role", [RoleName.SSW, RoleName.DSL_LEAD, RoleName.LA_ANALYST])
def test_only_those_who_manage_people_reset_anyone(
    role: RoleName, client: Client, make_user: Callable[..., User], sign_in: Callable[..., Client]
) -> None:
    person = make_user(RoleName.DSL_DEPUTY)
    recovery_codes_generate(by=person)
    sign_in(client, make_user(role))
    assert client.post(reset_url(person), {"reason": "x"}).status_code == 403
    assert client.post(unlock_url(person), {"reason": "x"}).status_code == 403
    assert StaticDevice.objects.filter(user=person).exists()


def test_an_administrator_cannot_reset_themselves_but_can_reset_an_la_lead(
    client: Client, make_user: Callable[..., User], sign_in: Callable[..., Client]
) -> None:
    admin = make_user(RoleName.SYSTEM_ADMIN)
    sign_in(client, admin)
    assert client.get(reset_url(admin)).status_code == 404
    lead = make_user(RoleName.LA_LEAD)
    recovery_codes_generate(by=lead)
    assert client.post(reset_url(lead), {"reason": "new phone"}).url == after(reset_url(lead), HOME)
    assert not StaticDevice.objects.filter(user=lead).exists()


def lock_out(username: str) -> None:
    locker = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        locker.post(LOGIN, {"username": username, "password": "wrong"})


def test_an_la_lead_unlocks_a_locked_dsl(
    client: Client,
    make_user: Callable[..., User],
    sign_in: Callable[..., Client],
    django_capture_on_commit_callbacks: OnCommit,
) -> None:
    dsl = addressed(make_user(RoleName.DSL_LEAD))
    sign_in(client, make_user(RoleName.LA_LEAD))
    assert "account is not locked" in client.get(unlock_url(dsl)).text
    refused = client.post(unlock_url(dsl), {"reason": "asked to"})
    assert MSG_NOT_LOCKED.format(person="dsl_lead") in refused.text
    lock_out("dsl_lead")
    right = {"username": "dsl_lead", "password": PASSWORD}
    assert Client().post(LOGIN, right).status_code == 429
    assert "Unlock account" in client.get(unlock_url(dsl)).text
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(unlock_url(dsl), {"reason": "rang the school"})
    assert MSG_UNLOCKED.format(name="dsl_lead") in html.unescape(client.get(done.url).text)
    assert Client().post(LOGIN, right).url == HOME
    unlocked = event("unlocked")
    assert unlocked.detail["reason"] == "rang the school"
    assert unlocked.authority_code == "990"
    [notice] = mail.outbox
    assert notice.subject == notices.ACCOUNT_UNLOCKED.subject


# Whom a notice names for help


def test_a_notice_names_the_las_help_contact_else_the_services(
    make_user: Callable[..., User], places: dict[str, object], settings: object
) -> None:
    ssw = make_user(RoleName.SSW)
    settings.HELP_CONTACT = "the Threshold service desk (help@threshold.example)"
    assert "the Threshold service desk" in notices.notice_body(ssw, notices.PASSWORD_CHANGED)
    authority = places["home_la"]
    authority.help_name, authority.help_email = "Northmoor help desk", "help@northmoor.example"
    authority.save()
    body = notices.notice_body(ssw, notices.PASSWORD_CHANGED)
    assert "contact Northmoor help desk (help@northmoor.example) straight away" in body
    settings.HELP_CONTACT = ""
    admin = make_user(RoleName.SYSTEM_ADMIN)
    assert notices.FALLBACK_HELP in notices.notice_body(admin, notices.PASSWORD_CHANGED)


# The demo without a phone


def test_demo_users_get_an_app_whose_code_demo_code_gives_on_a_demo_database_only(
    make_user: Callable[..., User], token_now: Callable[..., str]
) -> None:
    lead, dsl = make_user(RoleName.LA_LEAD), make_user(RoleName.DSL_LEAD)
    with pytest.raises(DemoError, match=re.escape(MSG_NOT_DEMO)):
        demo_code("la_lead")
    demo_database_mark(by="test")
    [line] = seed_demo_authenticators(users=[lead, dsl], by="test")
    device = TOTPDevice.objects.get(user=lead, confirmed=True)
    assert line.startswith("la_lead: authenticator key ")
    assert demo_code("la_lead") == token_now(device)
    assert seed_demo_authenticators(users=[lead], by="test") == [line]  # the same app again
    with pytest.raises(DemoError, match=re.escape(MSG_NO_APP.format(username="dsl_lead"))):
        demo_code("dsl_lead")
