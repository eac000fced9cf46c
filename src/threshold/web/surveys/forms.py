"""The questionnaire (built from `threshold.surveys.questions_for`) and the wave form."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet

from threshold.model import Arm, SurveyRole, SurveyWave
from threshold.surveys import questions_for
from threshold.web.core.forms import GovUKDateField, GovUKForm
from threshold.web.organisations.models import School
from threshold.web.programme.models import Programme

MSG_REQUIRED = "Select an answer to “{question}”"
MSG_WARR_REQUIRED = "Select how much of the time your job has made you feel {feeling}"


class QuestionnaireForm(GovUKForm):
    """Radios for each question asked at `wave` of a school in `arm`, in order."""

    def __init__(self, *args: object, wave: SurveyWave | str, arm: Arm, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for question in questions_for(wave, arm):
            warr = question.name.startswith("warr_")
            message = (
                MSG_WARR_REQUIRED.format(feeling=question.text.lower())
                if warr
                else MSG_REQUIRED.format(question=question.text)
            )
            self.fields[question.name] = forms.ChoiceField(
                label=question.text,
                choices=question.answers.choices(),
                widget=forms.RadioSelect,
                error_messages={"required": message, "invalid_choice": message},
            )

    def warr_fields(self) -> list[forms.BoundField]:
        return [field for field in self if field.name.startswith("warr_")]

    def other_fields(self) -> list[forms.BoundField]:
        return [field for field in self if not field.name.startswith("warr_")]


class WaveForm(GovUKForm):
    programme = forms.ModelChoiceField(queryset=Programme.objects.none(), label="Programme")
    wave = forms.ChoiceField(label="Survey", choices=SurveyWave.choices(), widget=forms.RadioSelect)
    opens_on = GovUKDateField(label="Opens on", subject="Date the survey opens")
    closes_on = GovUKDateField(label="Closes on", subject="Date the survey closes")

    def __init__(self, *args: object, programmes: QuerySet[Programme], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes


MSG_PERSON_SCHOOL = "Select the person's school"
MSG_PERSON_ROLE = "Select the person's role in the school"
MSG_PERSON_EMAIL = "Enter the person's e-mail address"
MSG_PERSON_EMAIL_INVALID = "Enter an e-mail address in the correct format, like name@example.org"


class PersonForm(GovUKForm):
    """One person to invite by e-mail: their school (of those enrolled), role and address."""

    school = forms.ChoiceField(label="School", error_messages={"required": MSG_PERSON_SCHOOL})
    role = forms.ChoiceField(
        label="Role",
        choices=SurveyRole.choices(),
        widget=forms.RadioSelect,
        error_messages={"required": MSG_PERSON_ROLE},
    )
    email = forms.EmailField(
        label="E-mail address",
        help_text=(
            "Their link is e-mailed to this address now. The address is kept only to send "
            "them reminders and to give them the same link at the next survey; no page shows it."
        ),
        error_messages={"required": MSG_PERSON_EMAIL, "invalid": MSG_PERSON_EMAIL_INVALID},
    )

    def __init__(self, *args: object, schools: list[School], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.offered = {str(s.urn): s for s in schools}
        self.fields["school"].choices = [("", "Choose a school")] + [
            (key, f"{s.name} ({s.urn})") for key, s in self.offered.items()
        ]
        self.fields["school"].error_messages["invalid_choice"] = MSG_PERSON_SCHOOL

    def clean_school(self) -> School:
        return self.offered[self.cleaned_data["school"]]

    def clean_role(self) -> SurveyRole:
        return SurveyRole(self.cleaned_data["role"])
