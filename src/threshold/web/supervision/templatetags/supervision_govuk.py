"""GOV.UK Frontend textareas, checkboxes and radios for Django form fields, and `govuk_field`,
which picks the component for a field's widget (inputs and selects from `threshold_govuk`)."""

from __future__ import annotations

from django import forms, template
from django.forms import BoundField
from govuk_frontend_django.components.checkboxes import GovUKCheckboxes
from govuk_frontend_django.components.radios import GovUKRadios
from govuk_frontend_django.components.textarea import GovUKTextarea

from threshold.web.core.templatetags.threshold_govuk import govuk_input, govuk_select

register = template.Library()


def _hint_and_error(field: BoundField) -> dict[str, object]:
    extra: dict[str, object] = {}
    if field.help_text:
        extra["hint"] = {"text": str(field.help_text)}
    if field.errors:
        extra["errorMessage"] = {"text": " ".join(field.errors)}
    return extra


def _legend(field: BoundField) -> dict[str, object]:
    return {"legend": {"text": str(field.label), "classes": "govuk-fieldset__legend--s"}}


def _values(field: BoundField) -> list[str]:
    value = field.value()
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


@register.filter
def govuk_textarea(field: BoundField) -> GovUKTextarea:
    """A textarea for `field`, five rows, with its hint and error."""
    return GovUKTextarea(
        id=field.auto_id,
        name=field.html_name,
        label={"text": str(field.label), "classes": "govuk-label--s"},
        value=field.value() or "",
        rows="5",
        **_hint_and_error(field),
    )


@register.filter
def govuk_checkboxes(field: BoundField) -> GovUKCheckboxes:
    """Checkboxes for a multiple-choice field, or a single checkbox for a boolean field."""
    if isinstance(field.field, forms.BooleanField):
        items = [{"value": "on", "text": str(field.label), "checked": bool(field.value())}]
        fieldset = None
    else:
        chosen = _values(field)
        items = [
            {"value": str(value), "text": str(label), "checked": str(value) in chosen}
            for value, label in field.field.choices
        ]
        fieldset = _legend(field)["legend"]
    return GovUKCheckboxes(
        idPrefix=field.auto_id,
        name=field.html_name,
        items=items,
        fieldset={"legend": fieldset} if fieldset else None,
        classes="govuk-checkboxes--small",
        **_hint_and_error(field),
    )


@register.filter
def govuk_radios(field: BoundField) -> GovUKRadios:
    """Radios for a choice field, the current value checked; inline when the labels are short."""
    chosen = _values(field)
    choices = [(v, label) for v, label in field.field.choices if v != ""]
    return GovUKRadios(
        idPrefix=field.auto_id,
        name=field.html_name,
        fieldset=_legend(field),
        items=[
            {"value": str(value), "text": str(label), "checked": str(value) in chosen}
            for value, label in choices
        ],
        classes="govuk-radios--inline" if all(len(str(lb)) < 4 for _, lb in choices) else None,
        **_hint_and_error(field),
    )


@register.filter
def govuk_field(field: BoundField) -> object:
    """The GOV.UK component that fits the field's widget."""
    widget = field.field.widget
    if isinstance(widget, forms.Textarea):
        return govuk_textarea(field)
    if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
        return govuk_checkboxes(field)
    if isinstance(widget, forms.RadioSelect):
        return govuk_radios(field)
    if isinstance(widget, forms.Select):
        return govuk_select(field)
    return govuk_input(field)
