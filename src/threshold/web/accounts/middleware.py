"""Users whose sign-in needs a second factor reach nothing else until they have given one."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import resolve
from django.urls.exceptions import Resolver404

from threshold.web.accounts.selectors import confirmed_device, two_factor_required

OPEN_VIEWS = frozenset(
    {
        "accounts:login",
        "accounts:logout",
        "accounts:two_factor_setup",
        "accounts:two_factor_verify",
        "core:health",
        "core:help",
        "core:accessibility",
        "core:privacy",
        "core:cookies",
    }
)
"""Views a signed-in user may reach before giving a second factor."""


class TwoFactorMiddleware:
    """Send a signed-in user who must use 2FA, and has not this session, to set it up or
    verify a code, with `next=` the page they asked for. Runs after django_otp's OTPMiddleware
    (which sets `user.is_verified`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and not self._is_open(request)
            and two_factor_required(user)
        ):
            target = "two_factor_verify" if confirmed_device(user) else "two_factor_setup"
            return redirect_to_login(request.get_full_path(), f"accounts:{target}")
        return self.get_response(request)

    @staticmethod
    def _is_open(request: HttpRequest) -> bool:
        try:
            return resolve(request.path_info).view_name in OPEN_VIEWS
        except Resolver404:
            return True
