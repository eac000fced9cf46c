"""Sign-in and security-code forms, labelled in plain English."""

from __future__ import annotations

from typing import ClassVar

from django import forms
from django.contrib.auth.forms import AuthenticationForm

MSG_WRONG_CREDENTIALS = "Enter a correct username and password"
MSG_INACTIVE = "This account is not active: ask your local authority's programme lead"
MSG_TOKEN_FORMAT = "Enter the 6-digit code from your authenticator app"
MSG_TOKEN_WRONG = "The code is not correct or has expired: enter the current code from your app"


class SignInForm(AuthenticationForm):
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


class TokenForm(forms.Form):
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
