"""Forms for supervision content. Forms with free text carry `confirm`: the findings of the
identifying-details check that the writer ticked as not identifying."""

from __future__ import annotations

from dataclasses import replace

from django import forms
from django.db.models import QuerySet

from threshold.model import AdHocChannel, AdHocTopic
from threshold.web.core.forms import GovUKDateField, GovUKForm
from threshold.web.programme.models import Enrolment
from threshold.web.supervision.models import (
    DslReflection,
    DslWorksheet,
    FirstSessionSheet,
    Initiator,
    SupervisionRecord,
    Term,
    Theme,
)
from threshold.web.supervision.services import MSG_OPEN_CASE, FieldFinding

CONFIRM_LABEL = "Confirm what is not identifying"
CONFIRM_HINT = (
    "Tick each detail only if it does not identify a child, family or member of staff "
    "(for example the name of a service). Otherwise remove it from the text."
)
CONFIRM_ITEM = "{field}: “{text}” is not identifying"
FOUND_WHERE = "{field}, characters {first} to {last}: {kind}, “{text}”"
SCORE_CHOICES_5 = [(str(n), str(n)) for n in range(1, 6)]
SCORE_CHOICES_4 = [("", "Not scored"), *((str(n), str(n)) for n in range(1, 5))]
SMALL_CHECKBOXES = {"class": "govuk-checkboxes--small"}
MSG_CHANNEL = "Select how the support was given"


class ConfirmationsField(forms.MultipleChoiceField):
    """The ticked findings. Any value is accepted here; the service compares them with what it
    finds in the text now, so a stale or forged confirmation confirms nothing."""

    widget = forms.CheckboxSelectMultiple(attrs=SMALL_CHECKBOXES)

    def valid_value(self, value: str) -> bool:
        return True


class CheckedForm(GovUKForm):
    """A form whose free text (every `CharField`) is checked for identifying details by the
    service that saves it; `show_findings` shows what the check found."""

    confirm = ConfirmationsField(label=CONFIRM_LABEL, help_text=CONFIRM_HINT, required=False)

    found: tuple[str, ...] = ()
    """What the identifying-details check found and where, for the warning."""

    def show_findings(self, findings: list[FieldFinding]) -> None:
        """Mark each field holding an unconfirmed finding, list what was found and where, and
        offer each to be confirmed, each named by this form's label of its field."""
        findings = [replace(f, label=str(self.fields[f.field].label)) for f in findings]
        for finding in findings:
            self.add_error(finding.field, finding.message)
        self.found = tuple(
            FOUND_WHERE.format(
                field=f.label,
                first=f.finding.start + 1,
                last=f.finding.end,
                kind=f.finding.kind.value,
                text=f.finding.text,
            )
            for f in findings
        )
        self.fields["confirm"].choices = [
            (f.key, CONFIRM_ITEM.format(field=f.label, text=f.finding.text)) for f in findings
        ]

    def texts(self) -> dict[str, str]:
        """The free-text fields' cleaned values."""
        return {
            name: self.cleaned_data[name]
            for name, field in self.fields.items()
            if isinstance(field, forms.CharField)
        }


class CheckedModelForm(CheckedForm, forms.ModelForm):
    """A model form whose free text is checked, as `CheckedForm`."""


class FirstSessionSheetForm(CheckedModelForm):
    class Meta:
        model = FirstSessionSheet
        fields = ("team_roles", "hopes", "ground_rules", "practicalities")


class SupervisionRecordForm(CheckedModelForm):
    themes = forms.MultipleChoiceField(
        label="Themes",
        choices=Theme.choices,
        widget=forms.CheckboxSelectMultiple(attrs=SMALL_CHECKBOXES),
        required=False,
        help_text="Select all that the discussion touched on.",
    )
    no_open_case_confirmed = forms.BooleanField(
        label="No case open to children's social care was discussed",
        widget=forms.CheckboxInput(attrs=SMALL_CHECKBOXES),
        error_messages={"required": MSG_OPEN_CASE},
        help_text=(
            "Cases where a child already has a social worker are not brought to supervision."
        ),
    )

    class Meta:
        model = SupervisionRecord
        fields = (
            "wellbeing",
            "presentation",
            "group_reflection",
            "shared_discussion",
            "themes",
            "resources",
            "actions",
            "no_open_case_confirmed",
        )


class WorksheetForm(CheckedModelForm):
    class Meta:
        model = DslWorksheet
        fields = ("situation", "wanted")


class ReflectionForm(CheckedModelForm):
    confidence = forms.TypedChoiceField(
        label=DslReflection._meta.get_field("confidence").verbose_name,
        help_text=DslReflection._meta.get_field("confidence").help_text,
        choices=SCORE_CHOICES_5,
        coerce=int,
        widget=forms.RadioSelect,
    )
    usefulness = forms.TypedChoiceField(
        label=DslReflection._meta.get_field("usefulness").verbose_name,
        help_text=DslReflection._meta.get_field("usefulness").help_text,
        choices=SCORE_CHOICES_5,
        coerce=int,
        widget=forms.RadioSelect,
    )

    class Meta:
        model = DslReflection
        fields = ("takeaway", "confidence", "usefulness")


class EnrolmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Enrolment) -> str:
        return f"{obj.school.name} ({obj.programme.school_year})"


class AdHocSupportForm(GovUKForm):
    enrolment = EnrolmentChoiceField(label="School", queryset=Enrolment.objects.none())
    support_date = GovUKDateField(label="Date of the support", rule="today_or_past")
    channel = forms.ChoiceField(
        label="How",
        choices=AdHocChannel.choices(),
        widget=forms.RadioSelect,
        error_messages={"required": MSG_CHANNEL},
    )
    initiated_by = forms.ChoiceField(
        label="Who asked for it", choices=Initiator.choices, widget=forms.RadioSelect
    )
    topic = forms.ChoiceField(
        label="What it was about",
        choices=AdHocTopic.choices(),
        widget=forms.RadioSelect,
        help_text="A category only: never details of a case.",
    )
    duration_minutes = forms.IntegerField(
        label="Minutes spent",
        min_value=0,
        max_value=480,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-3"}),
    )

    def __init__(self, *args: object, enrolments: QuerySet[Enrolment], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["enrolment"].queryset = enrolments


class DeliveryRatingForm(GovUKForm):
    enrolment = EnrolmentChoiceField(label="School", queryset=Enrolment.objects.none())
    term = forms.ChoiceField(label="Term", choices=Term.choices)
    need = forms.TypedChoiceField(
        label="Need for supervision",
        help_text="1 low to 4 high; scored at the start.",
        choices=SCORE_CHOICES_4,
        coerce=int,
        empty_value=None,
        required=False,
    )
    engagement = forms.TypedChoiceField(
        label="Engagement with supervision",
        help_text="1 low to 4 high; scored at the end.",
        choices=SCORE_CHOICES_4,
        coerce=int,
        empty_value=None,
        required=False,
    )

    def __init__(self, *args: object, enrolments: QuerySet[Enrolment], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["enrolment"].queryset = enrolments
