"""Forms of the organisation pages: the GIAS upload, the choice of LAs, an LA's settings."""

from __future__ import annotations

from django import forms

from threshold.web.core.forms import GovUKForm

PHONE_ATTRS = {"autocomplete": "off", "inputmode": "tel", "class": "govuk-input--width-20"}
EMAIL_ATTRS = {"autocomplete": "off", "spellcheck": "false"}


class GiasUploadForm(GovUKForm):
    gias = forms.FileField(
        label="GIAS establishments extract",
        help_text=(
            "The CSV from Get Information About Schools (edubasealldata….csv, or an extract "
            "of it); it must have URN and EstablishmentName"
        ),
    )
    census = forms.FileField(
        label="School census (optional)",
        required=False,
        help_text=(
            "Needed when the extract has no LA (code) or PhaseOfEducation (name) column; gives "
            "pupils on roll and % FSM"
        ),
    )
    links = forms.FileField(
        label="GIAS links file (optional)",
        required=False,
        help_text="links_edubasealldata….csv: closed schools are followed to their successor",
    )


class AuthorityChoiceForm(GovUKForm):
    la = forms.MultipleChoiceField(
        label="Local authorities to load",
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: object, authorities: list[tuple[str, str]], **kwargs: object):
        super().__init__(*args, **kwargs)
        self.fields["la"].choices = authorities


def _text(label: str, max_length: int, help_text: str = "") -> forms.CharField:
    """An optional line of text."""
    return forms.CharField(label=label, required=False, max_length=max_length, help_text=help_text)


def _phone(label: str) -> forms.CharField:
    """An optional phone number."""
    return forms.CharField(
        label=label, required=False, max_length=40, widget=forms.TextInput(PHONE_ATTRS)
    )


def _email(label: str, help_text: str = "") -> forms.EmailField:
    """An optional e-mail address."""
    return forms.EmailField(
        label=label, required=False, help_text=help_text, widget=forms.EmailInput(EMAIL_ATTRS)
    )


class AuthoritySettingsForm(GovUKForm):
    display_name = _text(
        "Display name", 200, "How the service names the local authority; blank: its name in GIAS"
    )
    frontdoor_phone = _phone("Front door phone number")
    frontdoor_out_of_hours_phone = _phone("Out-of-hours phone number")
    frontdoor_hours = _text(
        "Front door opening hours",
        200,
        "For example: Monday to Thursday 8:30am to 5pm, Friday 8:30am to 4:30pm",
    )
    audit_contact_email = _email(
        "Audit contact e-mail address",
        "Who answers questions about the record of who did what in the service",
    )
    help_name = _text(
        "Help contact name",
        200,
        "A person or a team, shown to the local authority's users on the help page",
    )
    help_email = _email("Help contact e-mail address")
    help_phone = _phone("Help contact phone number")
