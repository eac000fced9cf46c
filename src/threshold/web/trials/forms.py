"""Forms of the trial set-up pages: plain-English labels; the services and the core check the
rules (the protocol's form is in `protocol_form`)."""

from __future__ import annotations

from typing import Any

from django import forms

from threshold.web.core.forms import GovUKDateField, GovUKForm
from threshold.web.organisations.models import School
from threshold.web.programme.models import Programme
from threshold.web.supervision.forms import CheckedForm

MSG_NUMBER = "Enter a number, for example {example}"
MSG_WHOLE = "Enter a whole number"
MSG_NAME = "Enter the trial's name"
MSG_CHOOSE_PROGRAMME = "Choose the programme of at least one local authority"
MSG_DRAW = "Enter the public draw's numbers, in the order they were drawn"
NARROW = {"class": "govuk-input--width-5", "inputmode": "decimal"}


class TrialCreateForm(GovUKForm):
    name = forms.CharField(
        label="Name of the trial",
        max_length=200,
        error_messages={"required": MSG_NAME},
        help_text="For example: Supervision for DSLs, Northmoor and Eastvale, 2025/26",
    )
    programmes = forms.MultipleChoiceField(
        label="Programmes it evaluates",
        widget=forms.CheckboxSelectMultiple,
        help_text="One per local authority, usually all of the same school year",
        error_messages={"required": MSG_CHOOSE_PROGRAMME},
    )

    def __init__(self, *args: Any, programmes: list[Programme], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offered = {str(p.pk): p for p in programmes}
        self.fields["programmes"].choices = [
            (key, f"{p.authority.shown_name} {p.school_year}") for key, p in self.offered.items()
        ]

    def clean_programmes(self) -> list[Programme]:
        return [self.offered[key] for key in self.cleaned_data["programmes"]]


class SchoolsForm(GovUKForm):
    """The schools chosen (URNs), from those offered."""

    schools = forms.MultipleChoiceField(required=False)

    def __init__(self, *args: Any, schools: list[School], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offered = {str(s.urn): s for s in schools}
        self.fields["schools"].choices = [(key, s.name) for key, s in self.offered.items()]

    def clean_schools(self) -> list[School]:
        return [self.offered[key] for key in self.cleaned_data["schools"]]


def _number(label: str, example: str, help_text: str = "", **kwargs: Any) -> forms.FloatField:
    return forms.FloatField(
        label=label,
        help_text=help_text,
        error_messages={"invalid": MSG_NUMBER.format(example=example)},
        widget=forms.TextInput(attrs=NARROW),
        **kwargs,
    )


class PowerForm(GovUKForm):
    """A design for `threshold.trial.Design` (each field is named as its argument); Design's
    own checks give the range errors."""

    units = forms.IntegerField(
        label="Schools randomised",
        error_messages={"invalid": MSG_WHOLE},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5", "inputmode": "numeric"}),
    )
    blocks = forms.IntegerField(
        label="Blocks",
        help_text="The evaluation's design blocks by LA and high or low % FSM: 2 per LA",
        error_messages={"invalid": MSG_WHOLE},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5", "inputmode": "numeric"}),
    )
    r2 = _number(
        "Share of the outcome's variation explained by the baseline and covariates (R²)",
        "0.5",
        "From 0 up to (not including) 1; a school's past contacts often explain about half",
    )
    attrition = _number(
        "Share of schools expected to be lost to the analysis",
        "0.1",
        "From 0 up to (not including) 1",
    )
    alpha = _number("Significance level (alpha)", "0.05")
    power = _number("Power", "0.8", "The chance of detecting an effect of the size shown")


class RandomiseForm(GovUKForm):
    draw = forms.CharField(
        label="The public draw's numbers",
        max_length=300,
        error_messages={"required": MSG_DRAW},
        help_text=(
            "In the order drawn, separated by spaces or commas, for example 4 15 23 31 38 42 7"
        ),
    )


class WithdrawForm(CheckedForm):
    withdrawn_on = GovUKDateField(label="Date the school withdrew")
    withdrawal_reason = forms.CharField(
        label="Why the school withdrew",
        max_length=300,
        widget=forms.Textarea,
        help_text="Without naming anyone: for example, the DSL left and the school has no cover",
    )
