"""Functional test set-up: the tests here skip, saying why, when Debian's Chromium or axe-core
is missing, and give users an authenticator app whose code they type. The browser helpers they
share are in `browser.py`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from threshold.web.accounts.models import User
from web.functional.browser import missing

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip this folder's tests when they cannot run here."""
    reason = missing()
    for item in items:
        if reason is not None and item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def authenticator(
    add_device: Callable[[User], TOTPDevice], token_now: Callable[[TOTPDevice], str]
) -> Callable[[User], Callable[[], str]]:
    """`authenticator(user)`: give `user` a confirmed authenticator app, and return what reads
    the code it shows now (without the database, so it can be read inside Playwright's loop)."""

    def give(user: User) -> Callable[[], str]:
        device = add_device(user)
        return lambda: token_now(device)

    return give
