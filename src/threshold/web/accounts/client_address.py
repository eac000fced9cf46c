"""The client's address, for lockout: taken from X-Forwarded-For only as far as the proxies in
front of the service are trusted (`settings.TRUSTED_PROXIES`), so a client cannot choose it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """REMOTE_ADDR when no proxy is trusted; behind N trusted proxies, each of which appends the
    address it saw to X-Forwarded-For, the N-th address from the right (REMOTE_ADDR when the
    header holds fewer)."""
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXIES
    if proxies == 0:
        return remote
    forwarded = [
        address.strip()
        for address in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if address.strip()
    ]
    return forwarded[-proxies] if len(forwarded) >= proxies else remote
