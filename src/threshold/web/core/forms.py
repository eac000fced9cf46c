"""GOV.UK form patterns shared by every form of the service.

- `GovUKDateField`: the GOV.UK date input (day, month and year as three inputs named
  `<name>-day`, `-month`, `-year`) as one form field, with the "Dates" pattern's error texts;
  the template filter `govuk_field` renders it with the date-input component, only the wrong
  parts highlighted.
- `GovUKFormMixin` (and `GovUKForm`, `GovUKModelForm`): gives every field whose error message is
  still Django's default a specific one, built from the field's label ("Enter the school's URN",
  "Select the local authority"), and replaces Django's "---------" empty choice with a label.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from django import forms
from django.utils import timezone

PARTS = ("day", "month", "year")
"""The parts of a date input, in the order shown."""
PART_LABELS = {"day": "Day", "month": "Month", "year": "Year"}
PART_WIDTHS = {
    "day": "govuk-input--width-2",
    "month": "govuk-input--width-2",
    "year": "govuk-input--width-4",
}
DATE_HINT = "For example, 27 3 2026"
ERROR_CLASS = "govuk-input--error"

MSG_DATE_REQUIRED = "Enter {the_subject}"
MSG_DATE_INCOMPLETE = "{subject} must include a {missing}"
MSG_DATE_REAL = "{subject} must be a real date"
MSG_DATE_YEAR = "{subject} must include a year with 4 numbers, for example 2026"
MSG_DATE_PAST = "{subject} must be in the past"
MSG_DATE_TODAY_OR_PAST = "{subject} must be today or in the past"
MSG_DATE_FUTURE = "{subject} must be in the future"
MSG_DATE_TODAY_OR_FUTURE = "{subject} must be today or in the future"

Rule = Literal["past", "today_or_past", "future", "today_or_future"]
RULE_MESSAGES: dict[str, str] = {
    "past": MSG_DATE_PAST,
    "today_or_past": MSG_DATE_TODAY_OR_PAST,
    "future": MSG_DATE_FUTURE,
    "today_or_future": MSG_DATE_TODAY_OR_FUTURE,
}


def _sentence(text: str) -> str:
    """`text` with its first letter in capitals."""
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    """`text` with its first letter in lower case, unless the first word is an acronym or a
    name ("LA", "URN", "DSL")."""
    first = text.split(" ", 1)[0]
    if len(first) > 1 and first[:2].isupper():
        return text
    return text[:1].lower() + text[1:]


def _and(words: Sequence[str]) -> str:
    """The parts named in a sentence: "day", "day and month", "day, month and year"."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


class GovUKDateWidget(forms.MultiWidget):
    """Three text inputs, named `<name>-day`, `<name>-month` and `<name>-year`. A date given
    as one ISO value under `<name>` (a link such as `?date_from=2026-03-27`) is read too, when
    none of the three parts is there."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        numeric = {"inputmode": "numeric"}
        super().__init__([forms.TextInput(numeric) for _ in PARTS], attrs)
        self.widgets_names = [f"-{part}" for part in PARTS]

    def decompress(self, value: object) -> list[str | None]:
        if isinstance(value, dt.date):
            return [str(value.day), str(value.month), str(value.year)]
        if isinstance(value, str) and value:
            try:
                return GovUKDateWidget.decompress(self, dt.date.fromisoformat(value))
            except ValueError:
                return [None, None, None]
        return [None, None, None]

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str | None]:
        if not any(f"{name}{suffix}" in data for suffix in self.widgets_names) and data.get(name):
            return self.decompress(data.get(name))
        return super().value_from_datadict(data, files, name)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data and super().value_omitted_from_data(data, files, name)

    def id_for_label(self, id_: str) -> str:
        """The day's input: where a label or an error summary's link goes."""
        return f"{id_}-day" if id_ else id_


class GovUKDateField(forms.MultiValueField):
    """A date entered as day, month and year (the GOV.UK date input), cleaned to a
    `datetime.date`; errors follow the GOV.UK "Dates" pattern:

    - nothing entered (required): "Enter the date the session was held" (`the_subject`);
    - a part missing: "Date the session was held must include a month";
    - not a date (letters, 31 2, month 13): "Date the session was held must be a real date";
    - a year not of 4 numbers: "... must include a year with 4 numbers, for example 2026";
    - `rule` broken ("past", "today_or_past", "future", "today_or_future"): "... must be in the
      past" and so on.

    `label` is the legend (a question or a name); `subject` names the date in the messages
    (default: the label); `the_subject` is what to enter (default: "the " + the subject).
    Each error carries `params["parts"]`: the parts to highlight."""

    widget = GovUKDateWidget

    def __init__(
        self,
        *,
        label: str,
        subject: str = "",
        the_subject: str = "",
        rule: Rule | None = None,
        required: bool = True,
        help_text: str = DATE_HINT,
        **kwargs: Any,
    ) -> None:
        parts = tuple(forms.CharField(required=False) for _ in PARTS)
        super().__init__(
            parts,
            label=label,
            required=required,
            require_all_fields=False,
            help_text=help_text,
            **kwargs,
        )
        self.subject = _sentence(subject or label)
        self.the_subject = the_subject or f"the {_lower_first(self.subject)}"
        self.rule = rule
        self.error_messages["required"] = MSG_DATE_REQUIRED.format(the_subject=self.the_subject)

    def _error(
        self, message: str, code: str, parts: Sequence[str], **extra: str
    ) -> forms.ValidationError:
        text = message.format(subject=self.subject, the_subject=self.the_subject, **extra)
        return forms.ValidationError(text, code=code, params={"parts": tuple(parts)})

    def clean(self, value: object) -> dt.date | None:
        if isinstance(value, dt.date):
            day = value
        else:
            day = self._parse(value)
            if day is None:
                return None
        self._check_rule(day)
        self.run_validators(day)
        return day

    def _parse(self, value: object) -> dt.date | None:
        values = list(value) if isinstance(value, list | tuple) else [None, None, None]
        typed = {
            part: str(values[i] if i < len(values) and values[i] is not None else "").strip()
            for i, part in enumerate(PARTS)
        }
        missing = [part for part in PARTS if not typed[part]]
        if len(missing) == len(PARTS):
            if self.required:
                raise self._error(self.error_messages["required"], "required", PARTS)
            return None
        if missing:
            raise self._error(MSG_DATE_INCOMPLETE, "incomplete", missing, missing=_and(missing))
        wrong = [part for part in PARTS if not typed[part].isdigit()]
        numbers = {part: int(typed[part]) for part in PARTS if part not in wrong}
        if "day" in numbers and not 1 <= numbers["day"] <= 31:
            wrong.append("day")
        if "month" in numbers and not 1 <= numbers["month"] <= 12:
            wrong.append("month")
        if wrong:
            raise self._error(MSG_DATE_REAL, "invalid", [p for p in PARTS if p in wrong])
        if len(typed["year"]) != 4:
            raise self._error(MSG_DATE_YEAR, "invalid_year", ["year"])
        try:
            return dt.date(numbers["year"], numbers["month"], numbers["day"])
        except ValueError:
            raise self._error(MSG_DATE_REAL, "invalid", PARTS) from None

    def _check_rule(self, day: dt.date) -> None:
        if self.rule is None:
            return
        today = timezone.localdate()
        broken = {
            "past": day >= today,
            "today_or_past": day > today,
            "future": day <= today,
            "today_or_future": day < today,
        }[self.rule]
        if broken:
            raise self._error(RULE_MESSAGES[self.rule], self.rule, PARTS)

    def compress(self, data_list: list[object]) -> dt.date | None:
        """Unused (`clean` parses the parts), but MultiValueField requires it."""
        return self._parse(data_list)

    def has_changed(self, initial: object, data: object) -> bool:
        try:
            return self.clean(data) != (initial or None)
        except forms.ValidationError:
            return True


def error_parts(field: forms.BoundField) -> set[str]:
    """The parts of a date field to highlight: those its errors name, or every part for an
    error that names none (the service's, or the form's)."""
    wrong: set[str] = set()
    for error in field.errors.as_data():
        params = error.params if isinstance(getattr(error, "params", None), dict) else {}
        wrong.update(params.get("parts") or PARTS)
    return wrong


def date_values(field: forms.BoundField) -> list[str]:
    """What the date field shows in its three inputs: as typed, or its initial date."""
    value = field.value()
    widget = field.field.widget
    values = value if isinstance(value, list | tuple) else widget.decompress(value)
    return ["" if v is None else str(v) for v in values]


# Error messages: every field says what is wrong with it, in its own words.

NO_ARTICLE = {
    "who",
    "what",
    "how",
    "why",
    "when",
    "where",
    "which",
    "whether",
    "the",
    "a",
    "an",
    "your",
    "their",
    "its",
    "any",
}
"""First words of a label that take no "the" in a message ("Select who asked for it")."""
EMPTY_CHOICE = "---------"
"""Django's label of the empty choice, which no one should see."""
MSG_REQUIRED_ENTER = "Enter {the}"
MSG_ANSWER_TO = "an answer to “{label}”"
MSG_REQUIRED_SELECT = "Select {the}"
MSG_REQUIRED_TICK = "Select “{label}” to continue"
MSG_REQUIRED_FILE = "Select {the}"
MSG_CHOICE = "Select {the} from the list"
MSG_WHOLE_NUMBER = "{label} must be a whole number"
MSG_NUMBER = "{label} must be a number"
MSG_MIN_VALUE = "{label} must be %(limit_value)s or more"
MSG_MAX_VALUE = "{label} must be %(limit_value)s or less"
MSG_MAX_LENGTH = "{label} must be %(limit_value)d characters or fewer"
MSG_MIN_LENGTH = "{label} must be %(limit_value)d characters or more"
MSG_MAX_DIGITS = "{label} must have at most %(max)s digits"
MSG_MAX_DECIMALS = "{label} must have at most %(max)s decimal places"
MSG_EMAIL = "Enter an e-mail address in the correct format, like name@example.com"
MSG_URL = "Enter a web address in the correct format, like https://www.example.org"
MSG_DATE = "{label} must be a real date"
MSG_TIME = "{label} must be a real time, like 13:30"
MSG_FILE_EMPTY = "The selected file is empty"
MSG_FILE_INVALID = "The selected file could not be read: choose it again"
MSG_FILE_NAME = "The selected file's name must be %(max)d characters or fewer"
MSG_FORMAT = "{label} is not in the right format"


def the(label: str) -> str:
    """How a message names the field: "the local authority", "who asked for it", "stage 1:
    the situation"."""
    text = _lower_first(str(label).strip().rstrip("?:"))
    first = text.split(" ", 1)[0].lower()
    return text if first in NO_ARTICLE or ":" in text else f"the {text}"


def _messages(field: forms.Field, label: str) -> dict[str, str]:
    """The messages `field` should give, by error code, in plain words about `label`."""
    named, article = _sentence(label.strip().rstrip("?:")), the(label)
    if label.strip().endswith("?"):  # a question: its answer is chosen or entered
        article = MSG_ANSWER_TO.format(label=label.strip())
    choosing = isinstance(field, forms.ChoiceField | forms.ModelChoiceField | forms.FileField)
    if isinstance(field, forms.BooleanField):
        required = MSG_REQUIRED_TICK.format(label=label)
    elif choosing:
        required = MSG_REQUIRED_SELECT.format(the=article)
    else:
        required = MSG_REQUIRED_ENTER.format(the=article)
    messages = {
        "required": required,
        "invalid_choice": MSG_CHOICE.format(the=article),
        "invalid_list": MSG_CHOICE.format(the=article),
        "invalid_pk_value": MSG_CHOICE.format(the=article),
        "min_value": MSG_MIN_VALUE.format(label=named),
        "max_value": MSG_MAX_VALUE.format(label=named),
        "max_length": MSG_MAX_LENGTH.format(label=named),
        "min_length": MSG_MIN_LENGTH.format(label=named),
        "max_digits": MSG_MAX_DIGITS.format(label=named),
        "max_decimal_places": MSG_MAX_DECIMALS.format(label=named),
        "max_whole_digits": MSG_MAX_DIGITS.format(label=named),
        "empty": MSG_FILE_EMPTY,
        "missing": MSG_REQUIRED_FILE.format(the=article),
        "contradiction": MSG_FILE_INVALID,
        "invalid": MSG_FORMAT.format(label=named),
    }
    if isinstance(field, forms.IntegerField):
        messages["invalid"] = MSG_WHOLE_NUMBER.format(label=named)
    elif isinstance(field, forms.FloatField | forms.DecimalField):
        messages["invalid"] = MSG_NUMBER.format(label=named)
    elif isinstance(field, forms.EmailField):
        messages["invalid"] = MSG_EMAIL
    elif isinstance(field, forms.URLField):
        messages["invalid"] = MSG_URL
    elif isinstance(field, forms.DateField | forms.DateTimeField):
        messages["invalid"] = MSG_DATE.format(label=named)
    elif isinstance(field, forms.TimeField):
        messages["invalid"] = MSG_TIME.format(label=named)
    elif isinstance(field, forms.FileField):
        messages["invalid"] = MSG_FILE_INVALID
        messages["max_length"] = MSG_FILE_NAME
    return messages


def _django_defaults(field: forms.Field) -> dict[str, str]:
    """The messages Django gives `field` by default, by error code (its classes' and its
    validators')."""
    defaults: dict[str, str] = {}
    for kind in reversed(type(field).__mro__):
        defaults.update(getattr(kind, "default_error_messages", {}))
    return defaults


def _is_default(field: forms.Field, code: str, defaults: dict[str, str]) -> bool:
    """Whether the error `code` of `field` would show Django's own message: the field's
    default, or the message of one of Django's validators on it (a validator of the service,
    with its own words, is left alone)."""
    if code in defaults:
        return field.error_messages.get(code) == defaults[code]
    if code in field.error_messages:
        return False
    return any(
        getattr(v, "code", None) == code
        and type(v).__module__.startswith("django.")
        and getattr(v, "message", None) == getattr(type(v), "message", None)
        for v in field.validators
    )


def plain_messages(form: forms.BaseForm) -> None:
    """Give each of `form`'s fields a specific message, built from its label, for every error
    whose message is still Django's default (one a field sets itself is kept); and label an
    empty choice still shown as Django's "---------"."""
    for name, field in form.fields.items():
        label = str(field.label or name.replace("_", " "))
        defaults = _django_defaults(field)
        for code, message in _messages(field, label).items():
            if _is_default(field, code, defaults):
                field.error_messages[code] = message
        empty = MSG_REQUIRED_SELECT.format(the=the(label)) if field.required else "Any"
        if getattr(field, "empty_label", None) == EMPTY_CHOICE:
            field.empty_label = empty
        if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
            choices = list(field.choices)
            if any(value in ("", None) and text == EMPTY_CHOICE for value, text in choices):
                field.choices = [
                    (value, empty if text == EMPTY_CHOICE else text) for value, text in choices
                ]


class GovUKFormMixin:
    """Gives a form's fields plain, specific error messages (`plain_messages`): when it is
    made, and again before it is checked (for fields a form adds or changes in its own
    `__init__`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plain_messages(self)  # type: ignore[arg-type]

    def full_clean(self) -> None:
        plain_messages(self)  # type: ignore[arg-type]
        super().full_clean()  # type: ignore[misc]


class GovUKForm(GovUKFormMixin, forms.Form):
    """A form of the service: `forms.Form` with plain, specific error messages."""


class GovUKModelForm(GovUKFormMixin, forms.ModelForm):
    """A model form of the service: `forms.ModelForm` with plain, specific error messages."""
