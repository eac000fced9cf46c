"""GOV.UK components the programme's forms need beyond `threshold_govuk` (textarea,
checkboxes, file upload), and `govuk_field`, which picks the component for a field."""

from __future__ import annotations

from django import forms, template
from django.forms import BoundField
from govuk_frontend_django.components.checkboxes import GovUKCheckboxes
from govuk_frontend_django.components.file_upload import GovUKFileUpload
from govuk_frontend_django.components.textarea import GovUKTextarea

from threshold.web.core.templatetags.threshold_govuk import govuk_input, govuk_select

register = template.Library()


def _described(field: BoundField) -> dict[str, object]:
    described: dict[str, object] = {}
    if field.help_text:
        described["hint"] = {"text": str(field.help_text)}
    if field.errors:
        described["errorMessage"] = {"text": " ".join(field.errors)}
    return described


def _label(field: BoundField) -> dict[str, object]:
    return {"text": field.label, "classes": "govuk-label--s"}


@register.filter
def govuk_textarea(field: BoundField) -> GovUKTextarea:
    """A textarea for `field`."""
    value = field.value()
    return GovUKTextarea(
        id=field.auto_id,
        name=field.html_name,
        label=_label(field),
        value=None if value is None else str(value),
        rows="4",
        **_described(field),
    )


@register.filter
def govuk_checkboxes(field: BoundField) -> GovUKCheckboxes:
    """Checkboxes for a multiple-choice field, in a fieldset whose legend is the label."""
    chosen = {str(value) for value in field.value() or ()}
    items = [
        {"value": str(value), "text": str(label), "checked": str(value) in chosen}
        for value, label in field.field.choices
    ]
    return GovUKCheckboxes(
        idPrefix=field.auto_id,
        name=field.html_name,
        fieldset={"legend": {"text": field.label, "classes": "govuk-fieldset__legend--s"}},
        items=items,
        **_described(field),
    )


@register.filter
def govuk_file_upload(field: BoundField) -> GovUKFileUpload:
    """A file upload for `field`."""
    return GovUKFileUpload(
        id=field.auto_id, name=field.html_name, label=_label(field), **_described(field)
    )


@register.filter
def govuk_field(field: BoundField) -> object:
    """The GOV.UK component that suits `field`: checkboxes, select, textarea, file upload or
    input."""
    widget = field.field.widget
    if isinstance(field.field, forms.MultipleChoiceField):
        return govuk_checkboxes(field)
    if isinstance(widget, forms.Select):
        return govuk_select(field)
    if isinstance(widget, forms.Textarea):
        return govuk_textarea(field)
    if isinstance(widget, forms.FileInput):
        return govuk_file_upload(field)
    return govuk_input(field)
