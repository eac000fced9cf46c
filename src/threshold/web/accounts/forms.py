"""Sign-in, security-code, password and reason forms, labelled in plain English."""

from __future__ import annotations

import re
from typing import ClassVar

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm

from threshold.web.core.forms import GovUKForm, GovUKFormMixin

MSG_WRONG_CREDENTIALS = "Enter a correct username and password"
MSG_INACTIVE = "This account is not active: ask your local authority's programme lead"
MSG_TOKEN_FORMAT = "Enter the 6-digit code from your authenticator app"
MSG_TOKEN_WRONG = "The code is not correct or has expired: enter the current code from your app"
MSG_CODE_FORMAT = (
    "Enter the 6-digit code from your authenticator app, or a recovery code of 8 letters and "
    "numbers"
)
MSG_CODE_WRONG = (
    "The code is not correct: enter the current code from your app, or a recovery code you "
    "have not used"
)
MSG_REASON_REQUIRED = "Enter the reason"
MSG_EMAIL_REQUIRED = "Enter your e-mail address"
MSG_EMAIL_FORMAT = "Enter an e-mail address in the correct format, like name@example.com"
MSG_CURRENT_PASSWORD_REQUIRED = "Enter your current password"
MSG_CURRENT_PASSWORD_WRONG = "Your current password is not correct: enter it again"
MSG_PASSWORDS_DIFFER = "The two new passwords are not the same: enter them again"
PASSWORD_RULES = (
    "At least 12 characters. Not a common password, not only numbers, and not like your "
    "username, name or e-mail address. A few unrelated words make a good one."
)
NEW_PASSWORD_FIELDS = {
    "new_password1": ("New password", PASSWORD_RULES, "Enter a new password"),
    "new_password2": ("Confirm the new password", "", "Enter the new password again"),
}
"""Label, hint and message when empty, of each new-password field."""
APP_CODE = re.compile(r"^\d{6}$")
RECOVERY_CODE = re.compile(r"^[a-z2-7]{8}$")


class SignInForm(GovUKFormMixin, AuthenticationForm):
    """Username and password; lockout after repeated failures is django-axes' job."""

    error_messages: ClassVar[dict[str, str]] = {
        "invalid_login": MSG_WRONG_CREDENTIALS,
        "inactive": MSG_INACTIVE,
    }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Username"
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "class": "govuk-!-width-one-half"}
        )
        self.fields["password"].widget.attrs.update(
            {"autocomplete": "current-password", "class": "govuk-!-width-one-half"}
        )


class TokenForm(GovUKForm):
    """A 6-digit code from an authenticator app."""

    token = forms.RegexField(
        label="Security code",
        regex=r"^\d{6}$",
        help_text="The 6-digit code your authenticator app shows now",
        error_messages={"required": MSG_TOKEN_FORMAT, "invalid": MSG_TOKEN_FORMAT},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "class": "govuk-input--width-5",
            }
        ),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].strip()


class SecondFactorForm(GovUKForm):
    """The code from an authenticator app, or a recovery code (spaces, hyphens and capitals
    ignored)."""

    token = forms.CharField(
        label="Security code",
        help_text=(
            "The 6-digit code your authenticator app shows now, or one of your recovery codes"
        ),
        error_messages={"required": MSG_CODE_FORMAT},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "spellcheck": "false",
                "class": "govuk-input--width-10",
            }
        ),
    )

    def clean_token(self) -> str:
        token = re.sub(r"[\s-]", "", self.cleaned_data["token"]).lower()
        if not (APP_CODE.match(token) or RECOVERY_CODE.match(token)):
            raise forms.ValidationError(MSG_CODE_FORMAT)
        return token

    @property
    def is_recovery_code(self) -> bool:
        """Whether the code given is a recovery code (after `is_valid`)."""
        return RECOVERY_CODE.match(self.cleaned_data["token"]) is not None


class ReasonForm(GovUKForm):
    """Why an administrator or LA lead changes someone's account (kept in the audit log)."""

    reason = forms.CharField(
        label="Reason",
        help_text="Kept in the audit log: for example, how you know it is really them asking",
        max_length=500,
        error_messages={"required": MSG_REASON_REQUIRED},
        widget=forms.Textarea,
    )


def _govuk_passwords(form: forms.Form) -> None:
    """Password inputs half the width, labelled and hinted in plain English (the rules as a
    sentence, not Django's list), with the messages of the house."""
    for name, (label, hint, required) in NEW_PASSWORD_FIELDS.items():
        field = form.fields[name]
        field.label, field.help_text = label, hint
        field.error_messages["required"] = required
    for field in form.fields.values():
        field.widget.attrs.setdefault("class", "govuk-!-width-one-half")
    form.error_messages = {**form.error_messages, "password_mismatch": MSG_PASSWORDS_DIFFER}


class PasswordChangeForm(GovUKFormMixin, auth_forms.PasswordChangeForm):
    """Current password, then the new one twice (Django's validators)."""

    error_messages: ClassVar[dict[str, str]] = {
        **auth_forms.PasswordChangeForm.error_messages,
        "password_incorrect": MSG_CURRENT_PASSWORD_WRONG,
    }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        _govuk_passwords(self)
        current = self.fields["old_password"]
        current.label = "Current password"
        current.error_messages["required"] = MSG_CURRENT_PASSWORD_REQUIRED


class SetPasswordForm(GovUKFormMixin, auth_forms.SetPasswordForm):
    """The new password twice (Django's validators), after a reset link."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        _govuk_passwords(self)


class PasswordResetForm(GovUKFormMixin, auth_forms.PasswordResetForm):
    """The e-mail address to send a reset link to."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        email = self.fields["email"]
        email.label = "E-mail address"
        email.error_messages = {"required": MSG_EMAIL_REQUIRED, "invalid": MSG_EMAIL_FORMAT}
        email.widget.attrs.update({"class": "govuk-!-width-two-thirds", "spellcheck": "false"})
