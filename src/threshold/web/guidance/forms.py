"""Forms for guidance: the threshold document editor, one pathway question, the DSL's record
of what they did, the information-line call (checked for identifying details, as supervision
does) and the call search."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from govuk_frontend_django.components.radios import GovUKRadios

from threshold.web.core.forms import GovUKDateField, GovUKForm
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
from threshold.web.supervision.forms import CheckedModelForm

ROUTES = [(route.value, label) for route, label in LABELS.items()]
MSG_CHOOSE = "Select an answer"
MSG_CALL_TIME = "Enter the time of the call, like 13:30"
MSG_CALL_MINUTES = "Enter how many minutes the call took"
MSG_SUMMARY = "Enter the summary of {level}"
MSG_INDICATORS = "Enter the indicators of {level}"
MSG_SERVICE_NAME = "Enter the name of the service for {route}"
MSG_SERVICE_CONTACT = "Enter how to reach the service for {route}"
MSG_SERVICE_WHEN = "Enter when to use the service for {route}"
MSG_ROUTE_TAKEN = "Select what you did"
MSG_CONTACTED = "Select yes if you then contacted the front door"
PAGE_HEADING = "govuk-fieldset__legend--l"
INDICATORS_HINT = "One a line: the domain, a colon, then the indicator (Development: …)."


class DocumentForm(GovUKForm):
    """Every level's summary and indicators, and every route's entry in the directory."""

    def __init__(self, *args: object, content: dict | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        content = content or {}
        levels = {level["number"]: level for level in content.get("levels", [])}
        for number, name in LEVEL_NAMES.items():
            level = levels.get(number, {"summary": "", "indicators": []})
            self.fields[f"level{number}_summary"] = forms.CharField(
                label=f"{name}: summary",
                initial=level["summary"],
                widget=forms.Textarea,
                error_messages={"required": MSG_SUMMARY.format(level=name)},
            )
            self.fields[f"level{number}_indicators"] = forms.CharField(
                label=f"{name}: indicators",
                error_messages={"required": MSG_INDICATORS.format(level=name)},
                help_text=INDICATORS_HINT,
                initial=indicators_text(level["indicators"]),
                widget=forms.Textarea,
            )
        for route in Route:
            service = service_for(content, route)
            label = LABELS[route]
            self.fields[f"{route}_name"] = forms.CharField(
                label=f"{label}: name",
                initial=service["name"],
                max_length=120,
                error_messages={"required": MSG_SERVICE_NAME.format(route=label)},
            )
            self.fields[f"{route}_contact"] = forms.CharField(
                label=f"{label}: how to reach",
                initial=service["contact"],
                max_length=300,
                error_messages={"required": MSG_SERVICE_CONTACT.format(route=label)},
            )
            self.fields[f"{route}_when"] = forms.CharField(
                label=f"{label}: when to use",
                initial=service["when"],
                widget=forms.Textarea,
                error_messages={"required": MSG_SERVICE_WHEN.format(route=label)},
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


class QuestionForm(GovUKForm):
    """One question of the pathway, as radios."""

    def __init__(self, *args: object, question: Question, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["answer"] = forms.ChoiceField(
            label=question.text,
            help_text=question.hint,
            choices=question.answers,
            widget=forms.RadioSelect,
            error_messages={"required": MSG_CHOOSE, "invalid_choice": MSG_CHOOSE},
        )

    def as_question_page(self) -> GovUKRadios:
        """The radios with the question as the page's heading (a GOV.UK question page)."""
        radios = govuk_radios(self["answer"])
        radios.fieldset["legend"].update(isPageHeading=True, classes=PAGE_HEADING)
        return radios


class SchoolChoiceForm(GovUKForm):
    school = forms.ModelChoiceField(label="School", queryset=School.objects.none())

    def __init__(self, *args: object, schools: QuerySet[School], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools


class OutcomeForm(SchoolChoiceForm):
    route_taken = forms.ChoiceField(
        label="What did you do?",
        choices=ROUTES,
        widget=forms.RadioSelect,
        error_messages={"required": MSG_ROUTE_TAKEN},
    )
    contacted_front_door = forms.TypedChoiceField(
        label=PathwayOutcome._meta.get_field("contacted_front_door").verbose_name,
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": MSG_CONTACTED},
    )


class CallForm(CheckedModelForm):
    """A call: its date (a GOV.UK date input) and time make `cleaned_data["called_at"]`."""

    school = forms.ModelChoiceField(label="School", queryset=School.objects.none())
    called_on = GovUKDateField(label="Date of the call", rule="today_or_past")
    called_time = forms.TimeField(
        label="Time of the call",
        help_text="For example, 13:30",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5"}),
        error_messages={"required": MSG_CALL_TIME, "invalid": MSG_CALL_TIME},
    )
    minutes = forms.IntegerField(
        label="Minutes",
        error_messages={"required": MSG_CALL_MINUTES},
        min_value=1,
        max_value=240,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-3"}),
    )

    class Meta:
        model = InformationLineCall
        fields = (
            "school",
            "caller_role",
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

    field_order = ("school", "caller_role", "called_on", "called_time")

    def __init__(self, *args: object, schools: QuerySet[School], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools

    def clean(self) -> dict[str, object]:
        cleaned = super().clean()
        day, time = cleaned.get("called_on"), cleaned.get("called_time")
        if day is not None and time is not None:
            cleaned["called_at"] = timezone.make_aware(dt.datetime.combine(day, time))
        return cleaned


class CallSearchForm(GovUKForm):
    school = forms.ModelChoiceField(label="School", queryset=School.objects.none(), required=False)
    date_from = GovUKDateField(label="From", subject="Date from", required=False)
    date_to = GovUKDateField(label="To", subject="Date to", required=False)
    category = forms.ChoiceField(
        label="Concern", choices=[("", "Any"), *ConcernCategory.choices], required=False
    )
    route = forms.ChoiceField(label="Route advised", choices=[("", "Any"), *ROUTES], required=False)

    def __init__(self, *args: object, schools: QuerySet[School], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools
