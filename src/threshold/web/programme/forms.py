"""Forms of the programme pages: plain-English labels; the services check the rules. Forms with
free text are `CheckedForm`s: their text is checked for identifying details when saved."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from threshold.model import ChangedBy, SessionFormat, SessionMode
from threshold.web.accounts.models import User
from threshold.web.core.forms import GovUKDateField, GovUKForm
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.programme.models import BlockedDate, Enrolment, Programme
from threshold.web.supervision.forms import CheckedForm

MSG_CSA_FOCUS = "Select yes if the programme focuses on child sexual abuse"
MSG_AGREEMENT = "Select where the {agreement} stands"
MSG_MODE = "Select where the session is held"
MSG_WHY_MOVED = "Say why the session is moved"
MSG_WHY_CANCELLED = "Say why the session is cancelled"
WEEKEND = 5
"""Saturday's `weekday()`."""
NUMBER_ATTRS = {"inputmode": "numeric", "class": "govuk-input--width-4"}
NO_ONE = ("", "No one yet")


class TimeInput(forms.TimeInput):
    input_type = "time"


def _number(label: str, *, minimum: int, maximum: int, help_text: str = "") -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=minimum,
        max_value=maximum,
        help_text=help_text,
        widget=forms.TextInput(attrs=NUMBER_ATTRS),
    )


def _date(label: str, **kwargs: object) -> GovUKDateField:
    return GovUKDateField(label=label, **kwargs)


def _time(label: str = "Start time") -> forms.TimeField:
    return forms.TimeField(
        label=label,
        help_text="For example 13:30",
        widget=TimeInput(),
    )


class ProgrammeForm(GovUKForm):
    """A programme's settings; the LA comes from the page (creating) or the programme."""

    authority = forms.ChoiceField(label="Local authority")
    school_year = forms.CharField(
        label="School year",
        max_length=7,
        help_text="For example 2024/25",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5"}),
    )
    starts_on = _date("First day of sessions")
    ends_on = _date("Last day of sessions")
    model = forms.ChoiceField(label="Model", choices=Programme.Model.choices)
    csa_focus = forms.TypedChoiceField(
        label="Focus on child sexual abuse",
        choices=(("no", "No"), ("yes", "Yes")),
        coerce=lambda value: value == "yes",
        error_messages={"required": MSG_CSA_FOCUS},
    )
    interval_min_weeks = _number(
        "Shortest interval between sessions, in weeks", minimum=1, maximum=12
    )
    interval_max_weeks = _number(
        "Longest interval between sessions, in weeks", minimum=1, maximum=12
    )
    max_minutes = _number("Longest session, in minutes", minimum=30, maximum=240)
    planned_sessions = _number(
        "Sessions each school should have", minimum=1, maximum=20, help_text="In the school year"
    )

    def __init__(
        self, *args: object, authorities: list[LocalAuthority] | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        if authorities is None:
            del self.fields["authority"]
        else:
            self.fields["authority"].choices = [(la.la_code, la.name) for la in authorities]

    @staticmethod
    def initial_from(programme: Programme) -> dict[str, object]:
        """The form's initial values for an existing programme."""
        initial = {name: getattr(programme, name) for name in ProgrammeForm.base_fields}
        initial["csa_focus"] = "yes" if programme.csa_focus else "no"
        return initial


class AllocationUploadForm(GovUKForm):
    file = forms.FileField(
        label="Allocation file",
        help_text=(
            "The trial's allocations.csv, with columns urn, block, arm, random_number, order "
            "and withdrawn_on"
        ),
    )


class EnrolmentForm(GovUKForm):
    ssw = forms.ChoiceField(label="Supervising social worker", required=False)
    mou_status = forms.ChoiceField(
        label="Memorandum of understanding",
        choices=Enrolment.Agreement.choices,
        error_messages={"required": MSG_AGREEMENT.format(agreement="memorandum of understanding")},
    )
    supervision_agreement_status = forms.ChoiceField(
        label="Supervision agreement",
        choices=Enrolment.Agreement.choices,
        error_messages={"required": MSG_AGREEMENT.format(agreement="supervision agreement")},
    )

    def __init__(self, *args: object, candidates: list[User], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = {str(user.pk): user for user in candidates}
        self.fields["ssw"].choices = [NO_ONE] + [
            (key, user.get_full_name() or user.get_username())
            for key, user in self.candidates.items()
        ]

    def clean_ssw(self) -> User | None:
        return self.candidates.get(self.cleaned_data["ssw"])


class CalendarForm(CheckedForm):
    date = _date("Date", subject="Date of the day")
    kind = forms.ChoiceField(label="What kind of day", choices=BlockedDate.Kind.choices)
    note = forms.CharField(
        label="Note", required=False, max_length=200, help_text="For example: mock exams"
    )


def _when(cleaned: dict[str, object]) -> dt.datetime | None:
    day, time = cleaned.get("date"), cleaned.get("time")
    if day is None or time is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, time))


def _posted_day(form: forms.Form) -> dt.date | None:
    """The date posted in the form's `date` field, if it is one."""
    field = form.fields.get("date")
    if not form.is_bound or field is None:
        return None
    posted = field.widget.value_from_datadict(form.data, form.files, form.add_prefix("date"))
    try:
        return field.clean(posted)
    except forms.ValidationError:
        return None


class DatedForm(CheckedForm):
    """A form choosing a session's date. Once the date posted has passed, it asks why the
    session is entered late; once it is a weekend, it asks the writer to confirm it (the
    service refuses either without)."""

    late_reason = forms.CharField(
        label="Why it is entered late",
        help_text="The date has passed. Without naming anyone, for example: "
        "planned by phone, not entered at the time",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    weekend_confirmed = forms.BooleanField(label="Yes, the session is on a weekend", required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        day = _posted_day(self)
        if day is None or day >= timezone.localdate():
            del self.fields["late_reason"]
        if day is None or day.weekday() < WEEKEND:
            del self.fields["weekend_confirmed"]

    def scheduled_for(self) -> dt.datetime | None:
        return _when(self.cleaned_data)

    def when_options(self) -> dict[str, object]:
        """The late reason and weekend confirmation, as the services take them."""
        return {
            "late_reason": self.cleaned_data.get("late_reason", ""),
            "weekend_confirmed": self.cleaned_data.get("weekend_confirmed", False),
        }


class PlanForm(DatedForm):
    date = _date("Date of the session")
    time = _time()
    format = forms.ChoiceField(label="Format", choices=SessionFormat.choices())
    mode = forms.ChoiceField(
        label="Where", choices=SessionMode.choices(), error_messages={"required": MSG_MODE}
    )
    planned_minutes = _number("Length, in minutes", minimum=15, maximum=240)

    field_order = ("date", "time", "weekend_confirmed", "late_reason")


class RescheduleForm(DatedForm):
    date = _date("New date of the session")
    time = _time()
    changed_by = forms.ChoiceField(label="Who asked to move it", choices=ChangedBy.choices())
    change_reason = forms.CharField(
        label="Why",
        max_length=300,
        widget=forms.Textarea,
        error_messages={"required": MSG_WHY_MOVED},
    )

    field_order = ("date", "time", "weekend_confirmed", "late_reason")


def _reason(label: str, hint: str, required: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=hint,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": required},
    )


class UndoHeldForm(CheckedForm):
    change_reason = _reason(
        "Why was it not held",
        "Without naming anyone, for example: recorded against the wrong school",
        "Say why the session was not held",
    )


class RemoveForm(CheckedForm):
    removal_reason = _reason(
        "Why is it removed",
        "Without naming anyone, for example: entered twice",
        "Say why the session is removed",
    )


class CancellerForm(CheckedForm):
    changed_by = forms.ChoiceField(label="Who cancelled it", choices=ChangedBy.choices())
    change_reason = _reason(
        "Why is this changed",
        "Without naming anyone, for example: the school cancelled it, not the SSW",
        "Say why the record of who cancelled it is changed",
    )


class CancelForm(CheckedForm):
    changed_by = forms.ChoiceField(label="Who cancelled it", choices=ChangedBy.choices())
    change_reason = forms.CharField(
        label="Why",
        max_length=300,
        widget=forms.Textarea,
        error_messages={"required": MSG_WHY_CANCELLED},
    )


class HeldForm(GovUKForm):
    attendees = _number(
        "How many of the school's safeguarding team attended", minimum=1, maximum=30
    )
    duration_minutes = _number("How long it lasted, in minutes", minimum=1, maximum=240)


class MeetingForm(CheckedForm):
    authority = forms.ChoiceField(label="Local authority")
    held_on = _date("Date of the meeting")
    attendees = forms.MultipleChoiceField(label="Who attended")
    topics = forms.CharField(
        label="Topics",
        help_text="What was discussed, without identifying any child, family or member of staff",
        widget=forms.Textarea,
    )

    def __init__(
        self,
        *args: object,
        authorities: list[LocalAuthority],
        attendees: list[User],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.authorities = {la.la_code: la for la in authorities}
        self.people = {str(user.pk): user for user in attendees}
        self.fields["authority"].choices = [
            (code, la.name) for code, la in self.authorities.items()
        ]
        self.fields["attendees"].choices = [
            (key, user.get_full_name() or user.get_username()) for key, user in self.people.items()
        ]

    def clean_authority(self) -> LocalAuthority:
        return self.authorities[self.cleaned_data["authority"]]

    def clean_attendees(self) -> list[User]:
        return [self.people[key] for key in self.cleaned_data["attendees"]]


MAX_DIRECT_FILE = 1_000_000
"""The largest file of schools accepted (bytes): far more than every school of an LA."""
MSG_DIRECT_FILE_REQUIRED = "Choose the CSV file of schools to upload"
MSG_DIRECT_FILE_LARGE = "The file is larger than 1 MB: list only URNs and school names"


class DirectUploadForm(GovUKForm):
    file = forms.FileField(
        label="File of schools",
        help_text="A CSV file with the columns urn and school_name, one school a line",
        error_messages={"required": MSG_DIRECT_FILE_REQUIRED},
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_DIRECT_FILE:
            raise forms.ValidationError(MSG_DIRECT_FILE_LARGE)
        return upload.read()


class DirectChoiceForm(GovUKForm):
    """The schools chosen (URNs), from those offered."""

    schools = forms.MultipleChoiceField(
        required=True, error_messages={"required": "Choose at least one school to enrol"}
    )

    def __init__(self, *args: object, schools: list[School], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.offered = {str(s.urn): s for s in schools}
        self.fields["schools"].choices = [(key, s.name) for key, s in self.offered.items()]
        self.fields["schools"].error_messages["invalid_choice"] = (
            "Choose schools from the list: %(value)s is not one of them"
        )

    def clean_schools(self) -> list[School]:
        return [self.offered[key] for key in self.cleaned_data["schools"]]
