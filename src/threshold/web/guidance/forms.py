"""Forms for guidance: the threshold document editor, one pathway question, the DSL's record
of what they did, the information-line call (checked for identifying details, as supervision
does) and the call search."""

from __future__ import annotations

from typing import ClassVar

from django import forms
from django.db.models import QuerySet
from govuk_frontend_django.components.radios import GovUKRadios

from threshold.web.core.templatetags.threshold_govuk import govuk_radios
from threshold.web.guidance.content import (
    LEVEL_NAMES,
    ContentError,
    indicators_text,
    parse_indicators,
    service_for,
)
from threshold.web.guidance.models import ConcernCategory, InformationLineCall, PathwayOutcome
from threshold.web.guidance.pathway import LABELS, Question, Route
from threshold.web.organisations.models import School
from threshold.web.supervision.forms import CheckedModelForm, DateInput

ROUTES = [(route.value, label) for route, label in LABELS.items()]
MSG_CHOOSE = "Select an answer"
PAGE_HEADING = "govuk-fieldset__legend--l"
INDICATORS_HINT = "One a line: the domain, a colon, then the indicator (Development: …)."


class DocumentForm(forms.Form):
    """Every level's summary and indicators, and every route's entry in the directory."""

    def __init__(self, *args: object, content: dict | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        content = content or {}
        levels = {level["number"]: level for level in content.get("levels", [])}
        for number, name in LEVEL_NAMES.items():
            level = levels.get(number, {"summary": "", "indicators": []})
            self.fields[f"level{number}_summary"] = forms.CharField(
                label=f"{name}: summary", initial=level["summary"], widget=forms.Textarea
            )
            self.fields[f"level{number}_indicators"] = forms.CharField(
                label=f"{name}: indicators",
                help_text=INDICATORS_HINT,
                initial=indicators_text(level["indicators"]),
                widget=forms.Textarea,
            )
        for route in Route:
            service = service_for(content, route)
            label = LABELS[route]
            self.fields[f"{route}_name"] = forms.CharField(
                label=f"{label}: name", initial=service["name"], max_length=120
            )
            self.fields[f"{route}_contact"] = forms.CharField(
                label=f"{label}: how to reach", initial=service["contact"], max_length=300
            )
            self.fields[f"{route}_when"] = forms.CharField(
                label=f"{label}: when to use", initial=service["when"], widget=forms.Textarea
            )

    def clean(self) -> dict:
        data = super().clean()
        for number in LEVEL_NAMES:
            name = f"level{number}_indicators"
            if name in data:
                try:
                    parse_indicators(data[name], where=self.fields[name].label)
                except ContentError as error:
                    self.add_error(name, str(error))
        return data

    def content(self) -> dict[str, list[dict[str, object]]]:
        """The document as data (see `content`)."""
        data = self.cleaned_data
        return {
            "levels": [
                {
                    "number": number,
                    "name": name,
                    "summary": data[f"level{number}_summary"],
                    "indicators": parse_indicators(data[f"level{number}_indicators"], where=name),
                }
                for number, name in LEVEL_NAMES.items()
            ],
            "services": [
                {
                    "route": route.value,
                    "name": data[f"{route}_name"],
                    "contact": data[f"{route}_contact"],
                    "when": data[f"{route}_when"],
                }
                for route in Route
            ],
        }


class QuestionForm(forms.Form):
    """One question of the pathway, as radios."""

    def __init__(self, *args: object, question: Question, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["answer"] = forms.ChoiceField(
            label=question.text,
            help_text=question.hint,
            choices=question.answers,
            widget=forms.RadioSelect,
            error_messages={"required": MSG_CHOOSE},
        )

    def as_question_page(self) -> GovUKRadios:
        """The radios with the question as the page's heading (a GOV.UK question page)."""
        radios = govuk_radios(self["answer"])
        radios.fieldset["legend"].update(isPageHeading=True, classes=PAGE_HEADING)
        return radios


class SchoolChoiceForm(forms.Form):
    school = forms.ModelChoiceField(label="School", queryset=School.objects.none())

    def __init__(self, *args: object, schools: QuerySet[School], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools


class OutcomeForm(SchoolChoiceForm):
    route_taken = forms.ChoiceField(
        label="What did you do?", choices=ROUTES, widget=forms.RadioSelect
    )
    contacted_front_door = forms.TypedChoiceField(
        label=PathwayOutcome._meta.get_field("contacted_front_door").verbose_name,
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )


class CallForm(CheckedModelForm):
    school = forms.ModelChoiceField(label="School", queryset=School.objects.none())
    called_at = forms.DateTimeField(
        label=InformationLineCall._meta.get_field("called_at").verbose_name,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    minutes = forms.IntegerField(
        label="Minutes",
        min_value=1,
        max_value=240,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-3"}),
    )

    class Meta:
        model = InformationLineCall
        fields = (
            "school",
            "caller_role",
            "called_at",
            "category",
            "advice_route",
            "minutes",
            "advice",
            "follow_up",
        )
        widgets: ClassVar[dict[str, type[forms.Widget]]] = {
            "caller_role": forms.RadioSelect,
            "advice_route": forms.RadioSelect,
        }

    def __init__(self, *args: object, schools: QuerySet[School], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools


class CallSearchForm(forms.Form):
    school = forms.ModelChoiceField(label="School", queryset=School.objects.none(), required=False)
    date_from = forms.DateField(label="From", required=False, widget=DateInput())
    date_to = forms.DateField(label="To", required=False, widget=DateInput())
    category = forms.ChoiceField(
        label="Concern", choices=[("", "Any"), *ConcernCategory.choices], required=False
    )
    route = forms.ChoiceField(label="Route advised", choices=[("", "Any"), *ROUTES], required=False)

    def __init__(self, *args: object, schools: QuerySet[School], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools
