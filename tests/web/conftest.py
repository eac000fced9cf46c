"""Web test set-up: two LAs with schools, one user per role, and clients signed in as them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from threshold.web.accounts.models import User
from threshold.web.accounts.roles import ROLES, RoleName, Scope
from threshold.web.accounts.services import membership_grant, user_create
from threshold.web.organisations.models import LocalAuthority, School

PASSWORD = "correct horse battery staple"
ACTOR = "test"
HOME_LA, OTHER_LA = "990", "991"
HOME_SCHOOL, OTHER_SCHOOL = 990001, 991001


@pytest.fixture(autouse=True)
def service_files(settings: object, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each test's front-door stores and trial folders in a temporary folder of its own, so
    that no test writes into the repository's `var/` (where they go by default without a
    SQLite database file); a test may still point them elsewhere."""
    root = tmp_path_factory.mktemp("service-files")
    settings.FRONTDOOR_STORE_ROOT = root / "frontdoor"
    settings.TRIALS_ROOT = root / "trials"


@pytest.fixture
def places(db: None) -> dict[str, LocalAuthority | School]:
    """Two LAs, each with one school."""
    home = LocalAuthority.objects.create(la_code=HOME_LA, name="Northmoor")
    other = LocalAuthority.objects.create(la_code=OTHER_LA, name="Eastvale")
    return {
        "home_la": home,
        "other_la": other,
        "home_school": School.objects.create(
            urn=HOME_SCHOOL, name="Northmoor Academy", authority=home, phase="secondary"
        ),
        "other_school": School.objects.create(
            urn=OTHER_SCHOOL, name="Eastvale College", authority=other, phase="secondary"
        ),
    }


@pytest.fixture
def make_user(places: dict[str, LocalAuthority | School]) -> Callable[..., User]:
    """A user holding `role` in the home LA or school (or everywhere, for global roles)."""

    def make(role: RoleName, *, username: str | None = None) -> User:
        user = user_create(username=username or role.value, password=PASSWORD, by=ACTOR)
        scope = ROLES[role].scope
        place = {
            Scope.GLOBAL: {},
            Scope.AUTHORITY: {"authority": places["home_la"]},
            Scope.SCHOOL: {"school": places["home_school"]},
        }[scope]
        membership_grant(user=user, role=role, by=ACTOR, **place)
        return user

    return make


def add_device(user: User) -> TOTPDevice:
    """A confirmed authenticator app for `user`."""
    return TOTPDevice.objects.create(user=user, name="test app", confirmed=True)


def token_now(device: TOTPDevice) -> str:
    """The code the device's app shows now."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def sign_in(client: Client, user: User, *, verified: bool = True) -> Client:
    """Sign `client` in as `user`; give those who need 2FA a device and a verified session."""
    client.force_login(user)
    needs_device = any(m.role_class.requires_two_factor for m in user.memberships.all())
    if verified and needs_device:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = add_device(user).persistent_id
        session.save()
    return client


@pytest.fixture(name="sign_in")
def sign_in_fixture() -> Callable[..., Client]:
    """`sign_in(client, user, verified=True)`."""
    return sign_in


@pytest.fixture(name="add_device")
def add_device_fixture() -> Callable[[User], TOTPDevice]:
    """`add_device(user)`: a confirmed authenticator app."""
    return add_device


@pytest.fixture(name="token_now")
def token_now_fixture() -> Callable[[TOTPDevice], str]:
    """`token_now(device)`: the device's current code."""
    return token_now
