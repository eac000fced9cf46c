"""The client's address for lockout: X-Forwarded-For is read only as far as proxies are trusted."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from threshold.web.accounts.client_address import client_address

PROXY, INNER_PROXY = "10.0.0.1", "10.0.0.2"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", PROXY),  # no proxy trusted: the header is the client's to write
        (1, "", PROXY),
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # what the client wrote is ignored
        (2, f"6.6.6.6, 203.0.113.9, {INNER_PROXY}", "203.0.113.9"),
        (2, INNER_PROXY, PROXY),  # fewer addresses than proxies: the nearest one's
    ],
)
def test_the_address_the_outermost_trusted_proxy_saw(
    proxies: int, forwarded: str, expected: str, settings: object
) -> None:
    settings.TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected
