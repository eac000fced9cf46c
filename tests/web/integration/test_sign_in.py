"""Signing in: password, then an authenticator code for every role but DSLs (under a new
session key, on to the page asked for); lockout per username, never per address; expiry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from threshold.web.accounts.forms import MSG_TOKEN_WRONG, MSG_WRONG_CREDENTIALS
from threshold.web.accounts.roles import RoleName
from threshold.web.accounts.sessions import REFRESH_SECONDS
from threshold.web.audit.models import AuditEvent

PASSWORD = "correct horse battery staple"
LOGIN = reverse("accounts:login")
HOME = reverse("core:home")
SETUP = reverse("accounts:two_factor_setup")
VERIFY = reverse("accounts:two_factor_verify")
CODES = reverse("accounts:recovery_codes")
AUDIT = reverse("audit:event_list")
PROXY, STRANGER, COLLEAGUE = "10.0.0.1", "203.0.113.9", "198.51.100.7"


def after(url: str, next_url: str) -> str:
    """`url` with `next=next_url`, as a redirect to it reads."""
    return f"{url}?{urlencode({'next': next_url}, safe='/')}"


def through_proxy(address: str) -> dict[str, str]:
    """Request headers of a client at `address` behind the one trusted proxy."""
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": address}


@pytest.fixture
def lead_app(make_user: Callable[..., object], add_device: Callable[..., TOTPDevice]) -> TOTPDevice:
    """An LA lead's authenticator app (the lead signs in as `la_lead`)."""
    return add_device(make_user(RoleName.LA_LEAD))


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True))


def test_an_la_lead_sets_up_an_authenticator_on_first_sign_in(
    client: Client, make_user: Callable[..., object], token_now: Callable[..., str]
) -> None:
    make_user(RoleName.LA_LEAD)
    response = client.post(LOGIN, {"username": "la_lead", "password": PASSWORD})
    assert response.url == HOME
    assert client.get(HOME).url == after(SETUP, HOME)
    page = client.get(SETUP)
    assert '<svg role="img" aria-label="QR code' in page.text
    device = TOTPDevice.objects.get(confirmed=False)
    wrong = client.post(SETUP, {"token": "000000" if token_now(device) != "000000" else "111111"})
    assert MSG_TOKEN_WRONG in wrong.text
    TOTPDevice.objects.get(pk=device.pk).throttle_reset()  # a wrong code delays the next try
    assert client.post(SETUP, {"token": token_now(device)}).url == after(CODES, HOME)
    assert client.get(HOME).status_code == 200
    assert actions()[-4:] == [
        "login",
        "two_factor_failed",
        "two_factor_added",
        "recovery_codes_created",
    ]


def test_a_returning_la_lead_must_enter_a_code(
    client: Client, lead_app: TOTPDevice, token_now: Callable[..., str]
) -> None:
    client.post(LOGIN, {"username": "la_lead", "password": PASSWORD})
    assert client.get(HOME).url == after(VERIFY, HOME)
    assert client.post(VERIFY, {"token": "12345"}).status_code == 200
    assert client.post(VERIFY, {"token": token_now(lead_app)}).url == HOME
    assert client.get(AUDIT).status_code == 200
    assert "two_factor_verified" in actions()


def test_the_page_asked_for_is_kept_through_both_steps(
    client: Client, lead_app: TOTPDevice, token_now: Callable[..., str]
) -> None:
    wanted = f"{AUDIT}?action=login"
    assert client.get(wanted).url == after(LOGIN, wanted)
    signed_in = client.post(after(LOGIN, wanted), {"username": "la_lead", "password": PASSWORD})
    assert signed_in.url == wanted
    assert client.get(wanted).url == after(VERIFY, wanted)
    assert client.post(after(VERIFY, wanted), {"token": token_now(lead_app)}).url == wanted
    assert client.get(wanted).status_code == 200


@pytest.mark.parametrize("elsewhere", ["https://evil.example/", "//evil.example/audit/"])
def test_next_never_leaves_the_service(
    elsewhere: str, client: Client, lead_app: TOTPDevice, token_now: Callable[..., str]
) -> None:
    client.post(LOGIN, {"username": "la_lead", "password": PASSWORD})
    assert client.post(after(VERIFY, elsewhere), {"token": token_now(lead_app)}).url == HOME


@pytest.mark.parametrize("has_app", [True, False], ids=["verify", "set up"])
def test_the_second_factor_rotates_the_session_key(
    has_app: bool,
    client: Client,
    make_user: Callable[..., object],
    add_device: Callable[..., TOTPDevice],
    token_now: Callable[..., str],
) -> None:
    user = make_user(RoleName.LA_LEAD)
    if has_app:
        add_device(user)
    client.post(LOGIN, {"username": "la_lead", "password": PASSWORD})
    password_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    step = VERIFY if has_app else SETUP
    client.get(step)
    device = TOTPDevice.objects.get(user=user)
    then = HOME if has_app else after(CODES, HOME)  # a new app comes with recovery codes
    assert client.post(step, {"token": token_now(device)}).url == then
    verified_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert verified_key != password_key
    assert client.get(AUDIT).status_code == 200
    stolen = Client()
    stolen.cookies[settings.SESSION_COOKIE_NAME] = password_key
    assert stolen.get(AUDIT).url == after(LOGIN, AUDIT)


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
    assert client.get(HOME).url == after(VERIFY, HOME)


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


def test_five_wrong_passwords_lock_the_account_from_every_address(
    client: Client, make_user: Callable[..., object], settings: object
) -> None:
    settings.TRUSTED_PROXIES = 1
    make_user(RoleName.SSW)
    wrong = {"username": "ssw", "password": "wrong"}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(LOGIN, wrong, **through_proxy(STRANGER)).status_code == 200
    locked = client.post(LOGIN, wrong, **through_proxy(STRANGER))
    assert locked.status_code == 429
    assert "Your account is locked" in locked.text
    right = {"username": "ssw", "password": PASSWORD}
    assert client.post(LOGIN, right, **through_proxy(COLLEAGUE)).status_code == 429
    assert "locked_out" in actions()


def test_failures_with_made_up_usernames_behind_the_proxy_lock_out_no_one(
    client: Client, make_user: Callable[..., object], settings: object
) -> None:
    settings.TRUSTED_PROXIES = 1
    make_user(RoleName.SSW)
    for number in range(2 * settings.AXES_FAILURE_LIMIT):
        made_up = {"username": f"nobody{number}", "password": "wrong"}
        assert client.post(LOGIN, made_up, **through_proxy(STRANGER)).status_code == 200
    right = {"username": "ssw", "password": PASSWORD}
    assert client.post(LOGIN, right, **through_proxy(COLLEAGUE)).url == HOME
    assert Client().post(LOGIN, right, **through_proxy(STRANGER)).url == HOME
    assert "locked_out" not in actions()


def test_tries_during_a_lockout_do_not_extend_it(
    client: Client, make_user: Callable[..., object]
) -> None:
    make_user(RoleName.SSW)
    wrong = {"username": "ssw", "password": "wrong"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, wrong)
    locked_at = AccessAttempt.objects.get().attempt_time
    assert client.post(LOGIN, wrong).status_code == 429
    assert AccessAttempt.objects.get().attempt_time == locked_at
    cooled = locked_at - settings.AXES_COOLOFF_TIME - dt.timedelta(seconds=1)
    AccessAttempt.objects.update(attempt_time=cooled)  # the lockout began 30 minutes ago
    assert client.post(LOGIN, {"username": "ssw", "password": PASSWORD}).url == HOME


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
        ("SESSION_ENGINE", "threshold.web.accounts.sessions"),
        ("SESSION_EXPIRE_AT_BROWSER_CLOSE", True),
        ("SESSION_COOKIE_HTTPONLY", True),
    ],
)
def test_sessions_expire_after_30_idle_minutes(setting: str, value: object) -> None:
    assert getattr(settings, setting) == value


def stored_session(client: Client) -> Session:
    return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)


def test_an_idle_session_ends_and_a_used_one_is_kept_alive(
    client: Client, make_user: Callable[..., object], sign_in: Callable[..., Client]
) -> None:
    sign_in(client, make_user(RoleName.EVALUATOR))
    age = dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    a_minute = dt.timedelta(seconds=REFRESH_SECONDS)
    saved = stored_session(client).expire_date
    assert client.get(HOME).status_code == 200  # within a minute: not written again
    assert stored_session(client).expire_date == saved
    Session.objects.filter(pk=stored_session(client).pk).update(
        expire_date=timezone.now() + age - a_minute - dt.timedelta(seconds=1)
    )
    before = timezone.now()
    assert client.get(HOME).status_code == 200  # over a minute since: moved to 30 minutes on
    assert stored_session(client).expire_date >= before + age
    Session.objects.filter(pk=stored_session(client).pk).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    assert client.get(HOME).url == after(LOGIN, HOME)  # 30 idle minutes: signed out


def test_passwords_need_twelve_characters() -> None:
    minimum = next(v for v in settings.AUTH_PASSWORD_VALIDATORS if "MinimumLength" in v["NAME"])
    assert minimum["OPTIONS"]["min_length"] == 12
