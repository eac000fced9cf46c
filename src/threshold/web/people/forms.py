"""Forms of the people pages: plain-English labels; the places a role may be given are checked
by the same selectors the services use, so the form shows each problem at its field."""

from __future__ import annotations

from django import forms
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.forms import SetPasswordForm
from django.db.models import QuerySet

from threshold.web.accounts.roles import RoleName
from threshold.web.core.forms import GovUKForm, GovUKFormMixin
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.people.selectors import (
    MSG_SCHOOL_UNKNOWN,
    PersonState,
    SignedIn,
    invitee_problems,
    place_problems,
)
from threshold.web.people.services import MSG_REASON

MSG_URN = "Enter the school's URN, a number like 100001"
MSG_ROLE_REQUIRED = "Select the role to give"
MSG_FIRST_NAME = "Enter their first name"
MSG_LAST_NAME = "Enter their last name"
MSG_EMAIL = "Enter their e-mail address, like name@example.org"
MSG_FILE = "Choose the CSV file of people to invite"
ANY = ("", "Any")
WHERE_HINT = (
    "For an LA programme lead, SSW or LA analyst: an SSW may cover several local authorities"
)
SCHOOL_HINT = "For a DSL or deputy DSL: the school's unique reference number (URN), from GIAS"
FIELD_OF = {"authorities": "authorities", "school": "school_urn", "email": "email", "role": "role"}
"""Which form field shows a problem the selectors report for each of their fields."""


class PeopleFilterForm(GovUKForm):
    """Narrow the list of people."""

    search = forms.CharField(label="Name or e-mail address", required=False, max_length=200)
    role = forms.ChoiceField(label="Role", required=False, choices=[ANY, *RoleName.choices()])
    school_urn = forms.IntegerField(
        label="School URN",
        required=False,
        min_value=1,
        error_messages={"invalid": MSG_URN, "min_value": MSG_URN},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-10"}),
    )
    state = forms.ChoiceField(label="State", required=False, choices=[ANY, *PersonState.choices()])
    signed_in = forms.ChoiceField(
        label="Last sign-in", required=False, choices=[ANY, *SignedIn.choices()]
    )


class PlaceForm(GovUKForm):
    """A role and where it is held: local authorities, or a school by URN."""

    role = forms.ChoiceField(
        label="Role", widget=forms.RadioSelect, error_messages={"required": MSG_ROLE_REQUIRED}
    )
    authorities = forms.ModelMultipleChoiceField(
        label="Local authority",
        queryset=LocalAuthority.objects.none(),
        required=False,
        help_text=WHERE_HINT,
        widget=forms.CheckboxSelectMultiple,
    )
    school_urn = forms.IntegerField(
        label="School URN",
        required=False,
        min_value=1,
        help_text=SCHOOL_HINT,
        error_messages={"invalid": MSG_URN, "min_value": MSG_URN},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-10"}),
    )

    def __init__(
        self,
        *args: object,
        actor: AbstractBaseUser,
        roles: list[RoleName],
        authorities: QuerySet[LocalAuthority],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["role"].choices = [(r.value, r.label) for r in roles]
        self.fields["authorities"].queryset = authorities
        if len(authorities) == 1:
            self.fields["authorities"].initial = list(authorities)

    def clean_school_urn(self) -> School | None:
        urn = self.cleaned_data["school_urn"]
        if urn is None:
            return None
        school = School.objects.select_related("authority").filter(urn=urn).first()
        if school is None:
            raise forms.ValidationError(MSG_SCHOOL_UNKNOWN.format(urn=urn))
        return school

    def problems(self, role: RoleName) -> list[tuple[str, str]]:
        """What the selectors find wrong with the role and places chosen."""
        return place_problems(
            self.actor,
            role=role,
            authorities=list(self.cleaned_data.get("authorities") or ()),
            school=self.cleaned_data.get("school_urn"),
        )

    def clean(self) -> dict[str, object]:
        cleaned = super().clean()
        if "role" in cleaned and "school_urn" in cleaned and "authorities" in cleaned:
            for field, message in self.problems(RoleName(cleaned["role"])):
                self.add_error(FIELD_OF[field], message)
        return cleaned


class InviteForm(PlaceForm):
    """Who to invite, as what, where."""

    first_name = forms.CharField(
        label="First name",
        max_length=150,
        error_messages={"required": MSG_FIRST_NAME},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    last_name = forms.CharField(
        label="Last name",
        max_length=150,
        error_messages={"required": MSG_LAST_NAME},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    email = forms.EmailField(
        label="E-mail address",
        error_messages={"required": MSG_EMAIL, "invalid": MSG_EMAIL},
        help_text="The invitation goes here; it will also be their username",
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    field_order = ("first_name", "last_name", "email", "role", "authorities", "school_urn")

    def problems(self, role: RoleName) -> list[tuple[str, str]]:
        if "email" not in self.cleaned_data:
            return super().problems(role)
        return invitee_problems(
            self.actor,
            email=self.cleaned_data["email"],
            role=role,
            authorities=list(self.cleaned_data.get("authorities") or ()),
            school=self.cleaned_data.get("school_urn"),
        )


class ReasonForm(GovUKForm):
    """Why: recorded in the audit log and sent to the person."""

    reason = forms.CharField(
        label="Reason",
        max_length=500,
        help_text="Recorded in the audit log and included in the e-mail to the person",
        error_messages={"required": MSG_REASON},
        widget=forms.Textarea,
    )


class RoleForm(PlaceForm, ReasonForm):
    """A role to give someone, where, and why."""

    field_order = ("role", "authorities", "school_urn", "reason")


class BulkInviteForm(GovUKForm):
    """A CSV of people to invite to one local authority and its schools."""

    authority = forms.ModelChoiceField(
        label="Local authority",
        queryset=LocalAuthority.objects.none(),
        empty_label=None,
        help_text="Everyone in the file joins this local authority or one of its schools",
    )
    file = forms.FileField(
        label="CSV file",
        help_text="Columns first_name, last_name, email, role, school_urn: use the template",
        error_messages={"required": MSG_FILE},
    )

    def __init__(
        self, *args: object, authorities: QuerySet[LocalAuthority], **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["authority"].queryset = authorities


class ChoosePasswordForm(GovUKFormMixin, SetPasswordForm):
    """A new password, twice, checked by the service's validators."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "Password"
        self.fields[
            "new_password1"
        ].help_text = "At least 12 characters; not a common password, nor like your name or e-mail"
        self.fields["new_password2"].label = "Password again"
        self.fields["new_password2"].help_text = ""
        for field in self.fields.values():
            field.widget.attrs.update({"class": "govuk-!-width-one-half"})
