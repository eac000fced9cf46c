"""Sign in, sign out, set up and verify two-factor authentication."""

from __future__ import annotations

import django_otp
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from threshold.web.accounts import services
from threshold.web.accounts.forms import MSG_TOKEN_WRONG, SignInForm, TokenForm
from threshold.web.accounts.selectors import (
    confirmed_device,
    two_factor_qr_svg,
    two_factor_secret,
)


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    http_method_names = ("post", "options")


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe and target else "/"


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Show a new authenticator's QR code and key; confirm it with a first code."""
    if confirmed_device(request.user) is not None:
        return redirect("core:home")
    device = services.two_factor_device_start(by=request.user)
    form = TokenForm(request.POST or None)
    if form.is_valid():
        token = form.cleaned_data["token"]
        if services.two_factor_device_confirm(device=device, token=token, by=request.user):
            django_otp.login(request, device)
            return redirect("core:home")
        form.add_error("token", MSG_TOKEN_WRONG)
    context = {
        "form": form,
        "qr_svg": two_factor_qr_svg(device),
        "secret": two_factor_secret(device),
    }
    return render(request, "accounts/two_factor_setup.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """Ask for the current code from the user's authenticator app."""
    if request.user.is_verified():
        return redirect("core:home")
    if confirmed_device(request.user) is None:
        return redirect("accounts:two_factor_setup")
    form = TokenForm(request.POST or None)
    if form.is_valid():
        device = services.two_factor_check(token=form.cleaned_data["token"], by=request.user)
        if device is not None:
            django_otp.login(request, device)
            return redirect(_next_url(request))
        form.add_error("token", MSG_TOKEN_WRONG)
    return render(request, "accounts/two_factor_verify.html", {"form": form})
