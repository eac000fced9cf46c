"""Sign in, sign out, set up and verify two-factor authentication; your account: password,
recovery codes; recovery: a forgotten password by e-mail, and an administrator's or LA lead's
reset of someone's authenticator or lockout."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

import django_otp
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp.models import Device

from threshold.web.accounts import services
from threshold.web.accounts.authorisation import may_manage_person
from threshold.web.accounts.decorators import permission_required
from threshold.web.accounts.forms import (
    MSG_CODE_WRONG,
    MSG_TOKEN_WRONG,
    PasswordChangeForm,
    PasswordResetForm,
    ReasonForm,
    SecondFactorForm,
    SetPasswordForm,
    SignInForm,
    TokenForm,
)
from threshold.web.accounts.models import User
from threshold.web.accounts.permissions import Permission
from threshold.web.accounts.selectors import (
    confirmed_device,
    is_locked_out,
    recovery_codes_left,
    two_factor_qr_svg,
    two_factor_secret,
)

NEW_CODES = "threshold_new_recovery_codes"
"""Session key of recovery codes just made, until their page has shown them once."""
MSG_PASSWORD_CHANGED = "Your password has been changed."
MSG_RECOVERY_CODE_USED = (
    "You signed in with a recovery code, so it no longer works; you have {left} left. If you "
    "no longer have your authenticator app, set up a new one now."
)
MSG_AUTHENTICATOR_RESET = (
    "{name}'s authenticator app has been reset. They will set one up again when they next sign in."
)
MSG_UNLOCKED = "{name}'s account has been unlocked. They can sign in again now."


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    http_method_names = ("post", "options")


def _next_url(request: HttpRequest) -> str:
    """The page to go on to (`next=`, same host only), else home."""
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or ""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe and target else "/"


def _verify_session(request: HttpRequest, device: Device) -> None:
    """Mark the session verified with `device` under a new session key (the key from the
    password step must not become privileged)."""
    django_otp.login(request, device)
    request.session.cycle_key()


def _with_next(url: str, request: HttpRequest) -> str:
    """`url`, carrying on to where the user was going (`next=`)."""
    return f"{url}?{urlencode({REDIRECT_FIELD_NAME: _next_url(request)}, safe='/')}"


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Show a new authenticator's QR code and key; confirm it with a first code, then show new
    recovery codes. A user who has an app and has used it (or a recovery code) this session
    may set up a new one in its place."""
    replacing = confirmed_device(request.user) is not None
    if replacing and not request.user.is_verified():
        return redirect(_next_url(request))
    device = services.two_factor_device_start(by=request.user)
    form = TokenForm(request.POST or None)
    if form.is_valid():
        codes = services.two_factor_device_confirm(
            device=device, token=form.cleaned_data["token"], by=request.user
        )
        if codes is not None:
            _verify_session(request, device)
            request.session[NEW_CODES] = codes
            return redirect(_with_next(reverse("accounts:recovery_codes"), request))
        form.add_error("token", MSG_TOKEN_WRONG)
    context = {
        "form": form,
        "replacing": replacing,
        "next": _next_url(request),
        "qr_svg": two_factor_qr_svg(device),
        "secret": two_factor_secret(device),
    }
    return render(request, "accounts/two_factor_setup.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """Ask for the current code from the user's authenticator app, or a recovery code; after a
    recovery code, offer to set up a new app."""
    if request.user.is_verified():
        return redirect(_next_url(request))
    if confirmed_device(request.user) is None:
        return redirect_to_login(_next_url(request), "accounts:two_factor_setup")
    form = SecondFactorForm(request.POST or None)
    if form.is_valid():
        token = form.cleaned_data["token"]
        if form.is_recovery_code:
            recovery = services.recovery_code_use(code=token, by=request.user)
            if recovery is not None:
                _verify_session(request, recovery)
                left = recovery_codes_left(request.user)
                messages.warning(request, MSG_RECOVERY_CODE_USED.format(left=left))
                return redirect(_with_next(reverse("accounts:two_factor_setup"), request))
            form.add_error("token", MSG_CODE_WRONG)
        else:
            device = services.two_factor_check(token=token, by=request.user)
            if device is not None:
                _verify_session(request, device)
                return redirect(_next_url(request))
            form.add_error("token", MSG_TOKEN_WRONG)
    return render(request, "accounts/two_factor_verify.html", {"form": form})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Recovery codes just made, shown once; otherwise how many are left, and a button to make
    new ones (the old ones stop working)."""
    if confirmed_device(request.user) is None:
        return redirect("accounts:two_factor_setup")
    if request.method == "POST":
        request.session[NEW_CODES] = services.recovery_codes_generate(by=request.user)
        return redirect(request.get_full_path())
    context = {
        "codes": request.session.pop(NEW_CODES, None),
        "left": recovery_codes_left(request.user),
        "next": _next_url(request),
    }
    return render(request, "accounts/recovery_codes.html", context)


@never_cache
@login_required
def account(request: HttpRequest) -> HttpResponse:
    """Your account: password, authenticator app and recovery codes."""
    context = {
        "has_app": confirmed_device(request.user) is not None,
        "left": recovery_codes_left(request.user),
    }
    return render(request, "accounts/account.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    """Change your password: the current one, then the new one twice. Other sessions end."""
    form = PasswordChangeForm(request.user, request.POST or None)
    if form.is_valid():
        services.password_change(
            person=request.user, password=form.cleaned_data["new_password1"], by=request.user
        )
        update_session_auth_hash(request, request.user)
        messages.success(request, MSG_PASSWORD_CHANGED)
        return redirect("accounts:account")
    return render(request, "accounts/password_change.html", {"form": form})


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link by e-mail; the answer is the same whether or not the address
    belongs to anyone."""

    form_class = PasswordResetForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Choose a new password through the link (once, within PASSWORD_RESET_TIMEOUT). The person
    is not signed in: they sign in with the new password and their second factor."""

    form_class = SetPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        person = form.user
        services.password_reset(
            person=person, password=form.cleaned_data["new_password1"], by=person
        )
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


def _managed_person(request: HttpRequest, pk: int) -> User:
    """The person `pk`, if the user may manage their account (else 404: not even whether they
    exist)."""
    person = get_object_or_404(User, pk=pk)
    if not may_manage_person(request.user, person):
        raise Http404
    return person


def _confirmed_account_action(
    request: HttpRequest,
    pk: int,
    *,
    service: Callable[..., None],
    done: str,
    template: str,
    state: Callable[[User], dict[str, object]],
) -> HttpResponse:
    """A confirmation page for `service` on someone's account, asking the reason; on POST, do
    it and show the page again with `done` as a banner (its back link goes where the user came
    from, `next=`). `state` gives what the page shows about the person."""
    person = _managed_person(request, pk)
    form = ReasonForm(request.POST or None)
    if form.is_valid():
        try:
            service(person=person, reason=form.cleaned_data["reason"], by=request.user)
        except services.AccountError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, done.format(name=person.shown_name))
            return redirect(_with_next(request.path, request))
    context = {"person": person, "form": form, "next": _next_url(request)}
    return render(request, template, context | state(person))


@never_cache
@permission_required(Permission.USERS_MANAGE)
@require_http_methods(["GET", "POST"])
def authenticator_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, with a reason, removing someone's authenticator app and recovery codes."""
    return _confirmed_account_action(
        request,
        pk,
        service=services.authenticator_reset,
        done=MSG_AUTHENTICATOR_RESET,
        template="accounts/authenticator_reset.html",
        state=lambda person: {
            "has_app": confirmed_device(person) is not None,
            "left": recovery_codes_left(person),
        },
    )


@never_cache
@permission_required(Permission.USERS_MANAGE)
@require_http_methods(["GET", "POST"])
def unlock(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, with a reason, lifting the lockout of someone's account."""
    return _confirmed_account_action(
        request,
        pk,
        service=services.account_unlock,
        done=MSG_UNLOCKED,
        template="accounts/unlock.html",
        state=lambda person: {"locked": is_locked_out(person)},
    )
