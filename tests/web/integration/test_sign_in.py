"""Signing in: password, then an authenticator code for every role but DSLs; lockout; expiry."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from threshold.web.accounts.forms import MSG_TOKEN_WRONG, MSG_WRONG_CREDENTIALS
from threshold.web.accounts.roles import RoleName
from threshold.web.audit.models import AuditEvent

PASSWORD = "correct horse battery staple"
LOGIN = reverse("accounts:login")
HOME = reverse("core:home")
SETUP = reverse("accounts:two_factor_setup")
VERIFY = reverse("accounts:two_factor_verify")


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True))


def test_an_la_lead_sets_up_an_authenticator_on_first_sign_in(
    client: Client, make_user: Callable[..., object], token_now: Callable[..., str]
) -> None:
    make_user(RoleName.LA_LEAD)
    response = client.post(LOGIN, {"username": "la_lead", "password": PASSWORD})
    assert response.url == HOME
    assert client.get(HOME).url == SETUP
    page = client.get(SETUP)
    assert '<svg role="img" aria-label="QR code' in page.text
    device = TOTPDevice.objects.get(confirmed=False)
    wrong = client.post(SETUP, {"token": "000000" if token_now(device) != "000000" else "111111"})
    assert MSG_TOKEN_WRONG in wrong.text
    TOTPDevice.objects.get(pk=device.pk).throttle_reset()  # a wrong code delays the next try
    assert client.post(SETUP, {"token": token_now(device)}).url == HOME
    assert client.get(HOME).status_code == 200
    assert actions()[-3:] == ["login", "two_factor_failed", "two_factor_added"]


def test_a_returning_la_lead_must_enter_a_code(
    client: Client,
    make_user: Callable[..., object],
    add_device: Callable[..., TOTPDevice],
    token_now: Callable[..., str],
) -> None:
    device = add_device(make_user(RoleName.LA_LEAD))
    client.post(LOGIN, {"username": "la_lead", "password": PASSWORD})
    assert client.get(reverse("audit:event_list")).url == VERIFY
    assert client.post(VERIFY, {"token": "12345"}).status_code == 200
    assert client.post(VERIFY, {"token": token_now(device)}).url == "/"
    assert client.get(reverse("audit:event_list")).status_code == 200
    assert "two_factor_verified" in actions()


def test_a_dsl_signs_in_with_a_password_alone(
    client: Client, make_user: Callable[..., object]
) -> None:
    make_user(RoleName.DSL_LEAD)
    client.post(LOGIN, {"username": "dsl_lead", "password": PASSWORD})
    home = client.get(HOME)
    assert home.status_code == 200
    assert "Set up an authenticator app" in home.text


def test_a_dsl_who_set_up_an_authenticator_must_use_it(
    client: Client, make_user: Callable[..., object], add_device: Callable[..., TOTPDevice]
) -> None:
    add_device(make_user(RoleName.DSL_DEPUTY))
    client.post(LOGIN, {"username": "dsl_deputy", "password": PASSWORD})
    assert client.get(HOME).url == VERIFY


def test_a_wrong_password_is_reported_and_audited(
    client: Client, make_user: Callable[..., object]
) -> None:
    make_user(RoleName.SSW)
    response = client.post(LOGIN, {"username": "ssw", "password": "wrong"})
    assert response.status_code == 200
    assert MSG_WRONG_CREDENTIALS in response.text
    assert 'class="govuk-error-summary"' in response.text
    event = AuditEvent.objects.first()
    assert (event.action, event.actor, event.detail) == (
        "login_failed",
        "anonymous",
        {"username": "ssw"},
    )


def test_five_wrong_passwords_lock_the_account(
    client: Client, make_user: Callable[..., object]
) -> None:
    make_user(RoleName.SSW)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(LOGIN, {"username": "ssw", "password": "wrong"}).status_code == 200
    locked = client.post(LOGIN, {"username": "ssw", "password": "wrong"})
    assert locked.status_code == 429
    assert "Your account is locked" in locked.text
    again = client.post(LOGIN, {"username": "ssw", "password": PASSWORD})
    assert again.status_code == 429
    assert "locked_out" in actions()


def test_sign_out_is_a_post_and_is_audited(
    client: Client, make_user: Callable[..., object], sign_in: Callable[..., Client]
) -> None:
    sign_in(client, make_user(RoleName.EVALUATOR))
    assert client.post(reverse("accounts:logout")).url == LOGIN
    assert client.get(HOME).status_code == 302
    assert actions()[-1] == "logout"


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("SESSION_COOKIE_AGE", 1800),
        ("SESSION_SAVE_EVERY_REQUEST", True),
        ("SESSION_EXPIRE_AT_BROWSER_CLOSE", True),
        ("SESSION_COOKIE_HTTPONLY", True),
    ],
)
def test_sessions_expire_after_30_idle_minutes(setting: str, value: object) -> None:
    assert getattr(settings, setting) == value


def test_passwords_need_twelve_characters() -> None:
    minimum = next(v for v in settings.AUTH_PASSWORD_VALIDATORS if "MinimumLength" in v["NAME"])
    assert minimum["OPTIONS"]["min_length"] == 12
