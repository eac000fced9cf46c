"""GOV.UK Frontend components for Django forms, built with govuk-frontend-django's classes:
one filter per component, and `govuk_field`, which picks the component for a field's widget;
and the service's phase banner."""

from __future__ import annotations

import re
from collections.abc import Callable

from django import forms, template
from django.core.paginator import Page
from django.forms import BaseForm, BoundField
from django.http import QueryDict
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from govuk_frontend_django.components.checkboxes import GovUKCheckboxes
from govuk_frontend_django.components.date_input import GovUKDateInput
from govuk_frontend_django.components.error_summary import GovUKErrorSummary
from govuk_frontend_django.components.file_upload import GovUKFileUpload
from govuk_frontend_django.components.input import GovUKInput
from govuk_frontend_django.components.pagination import GovUKPagination
from govuk_frontend_django.components.phase_banner import GovUKPhaseBanner
from govuk_frontend_django.components.radios import GovUKRadios
from govuk_frontend_django.components.select import GovUKSelect
from govuk_frontend_django.components.tag import GovUKTag
from govuk_frontend_django.components.textarea import GovUKTextarea

from threshold.web.core.forms import (
    ERROR_CLASS,
    PART_LABELS,
    PART_WIDTHS,
    PARTS,
    GovUKDateWidget,
    date_values,
    error_parts,
)

register = template.Library()

ERROR_SUMMARY_TITLE = "There is a problem"
TEXTAREA_ROWS = "5"
SHORT_LABEL = 4
"""Radios whose labels are all shorter than this sit inline."""
PHASE = "Beta"
PHASE_TEXT = (
    'This is a new service. Help us improve it: <a class="govuk-link" href="{}">give your '
    "feedback</a>."
)


def _described(field: BoundField) -> dict[str, object]:
    """What every field component shares: the name, hint, error message, and the widget's
    `class` attribute as the component's classes."""
    described: dict[str, object] = {"name": field.html_name}
    if field.help_text:
        described["hint"] = {"text": str(field.help_text)}
    if field.errors:
        described["errorMessage"] = {"text": " ".join(field.errors)}
    if field.field.widget.attrs.get("class"):
        described["classes"] = field.field.widget.attrs["class"]
    return described


def _labelled(field: BoundField) -> dict[str, object]:
    """`_described`, with the id and a label."""
    label = {"text": str(field.label), "classes": "govuk-label--s"}
    return _described(field) | {"id": field.auto_id, "label": label}


def _grouped(field: BoundField) -> dict[str, object]:
    """`_described` for a group of items: their id prefix, and a fieldset whose legend is the
    label."""
    legend = {"text": str(field.label), "classes": "govuk-fieldset__legend--s"}
    return _described(field) | {"idPrefix": field.auto_id, "fieldset": {"legend": legend}}


def _items(field: BoundField, mark: str) -> list[dict[str, object]]:
    """An item per choice; `mark` ("selected" or "checked") is true for the current values
    (no value: the empty choice)."""
    value = field.value()
    values = value if isinstance(value, list | tuple) else ["" if value is None else value]
    chosen = {str(v) for v in values}
    return [
        {"value": str(choice), "text": str(label), mark: str(choice) in chosen}
        for choice, label in field.field.choices
    ]


@register.filter
def govuk_input(field: BoundField) -> GovUKInput | GovUKDateInput:
    """A text, number, email, password or date input for `field`; widget attributes give
    autocomplete, inputmode and width classes. A `GovUKDateField` gets the date input."""
    widget = field.field.widget
    if isinstance(widget, GovUKDateWidget):
        return govuk_date_input(field)
    value = field.value()
    input_type = getattr(widget, "input_type", "text")
    return GovUKInput(
        **_labelled(field),
        type=input_type,
        value=None if input_type == "password" or value is None else str(value),
        autocomplete=widget.attrs.get("autocomplete"),
        inputmode=widget.attrs.get("inputmode"),
    )


@register.filter
def govuk_select(field: BoundField) -> GovUKSelect:
    """A select for a choice field, the current value selected."""
    return GovUKSelect(**_labelled(field), items=_items(field, "selected"))


@register.filter
def govuk_textarea(field: BoundField) -> GovUKTextarea:
    """A textarea for `field`."""
    value = field.value()
    return GovUKTextarea(
        **_labelled(field), value=None if value is None else str(value), rows=TEXTAREA_ROWS
    )


@register.filter
def govuk_checkboxes(field: BoundField) -> GovUKCheckboxes:
    """Checkboxes for a multiple-choice field, in a fieldset whose legend is the label; or one
    checkbox, labelled, for a boolean field."""
    if isinstance(field.field, forms.BooleanField):
        item = {"value": "on", "text": str(field.label), "checked": bool(field.value())}
        return GovUKCheckboxes(**_described(field), idPrefix=field.auto_id, items=[item])
    return GovUKCheckboxes(**_grouped(field), items=_items(field, "checked"))


@register.filter
def govuk_radios(field: BoundField) -> GovUKRadios:
    """Radios for a choice field (an empty choice left out), the current value checked; inline
    when every label is short (a score)."""
    items = [item for item in _items(field, "checked") if item["value"] != ""]
    radios = _grouped(field)
    if all(len(str(item["text"])) < SHORT_LABEL for item in items):
        radios.setdefault("classes", "govuk-radios--inline")
    return GovUKRadios(**radios, items=items)


@register.filter
def govuk_file_upload(field: BoundField) -> GovUKFileUpload:
    """A file upload for `field`."""
    return GovUKFileUpload(**_labelled(field))


@register.filter
def govuk_date_input(field: BoundField) -> GovUKDateInput:
    """The GOV.UK date input for a `GovUKDateField`: a fieldset whose legend is the label, the
    hint, the error message, and three inputs (`<name>-day`, `-month`, `-year`) showing what
    was typed, only the wrong parts highlighted."""
    wrong = error_parts(field) if field.errors else set()
    items = [
        {
            "name": part,
            "label": PART_LABELS[part],
            "value": value,
            "classes": f"{PART_WIDTHS[part]} {ERROR_CLASS}" if part in wrong else PART_WIDTHS[part],
            "inputmode": "numeric",
        }
        for part, value in zip(PARTS, date_values(field), strict=True)
    ]
    described = _grouped(field)
    del described["idPrefix"], described["name"]
    return GovUKDateInput(**described, id=field.auto_id, namePrefix=field.html_name, items=items)


COMPONENTS: list[tuple[type[forms.Widget] | tuple[type[forms.Widget], ...], Callable]] = [
    (GovUKDateWidget, govuk_date_input),
    (forms.Textarea, govuk_textarea),
    ((forms.CheckboxSelectMultiple, forms.CheckboxInput, forms.SelectMultiple), govuk_checkboxes),
    (forms.RadioSelect, govuk_radios),
    (forms.Select, govuk_select),
    (forms.FileInput, govuk_file_upload),
]
"""Which component renders which widgets, first match wins; any other widget is an input."""


@register.filter
def govuk_field(field: BoundField) -> object:
    """The GOV.UK component that suits the field's widget (see `COMPONENTS`)."""
    widget = field.field.widget
    component = next((c for kinds, c in COMPONENTS if isinstance(widget, kinds)), govuk_input)
    return component(field)


def _error_target(field: BoundField) -> str:
    """The id an error summary's link goes to: the field's, or for a date input the first
    wrong part's."""
    if isinstance(field.field.widget, GovUKDateWidget):
        wrong = error_parts(field) if field.errors else set(PARTS)
        return f"{field.auto_id}-{next(p for p in PARTS if p in wrong)}"
    return field.auto_id


@register.filter
def govuk_error_summary(form: BaseForm) -> GovUKErrorSummary | str:
    """The error summary for a form with errors (each linked to its field), else nothing."""
    if not form.errors:
        return ""
    # Errors about the whole form (a wrong password, say) link to its first field.
    first = next(iter(form.fields))
    errors = [
        {
            "text": str(error),
            "href": f"#{_error_target(form[name if name in form.fields else first])}",
        }
        for name, messages in form.errors.items()
        for error in messages
    ]
    return GovUKErrorSummary(titleText=ERROR_SUMMARY_TITLE, errorList=errors)


@register.simple_tag
def govuk_pagination(page: Page, query: QueryDict) -> GovUKPagination | str:
    """Pagination for `page` whose links keep the other query parameters (the filters)."""
    if page.paginator.num_pages < 2:
        return ""

    def href(number: int) -> str:
        params = query.copy()
        params["page"] = str(number)
        return f"?{params.urlencode()}"

    items = [
        {"ellipsis": True}
        if number == page.paginator.ELLIPSIS
        else {"number": str(number), "href": href(number), "current": number == page.number}
        for number in page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    ]
    return GovUKPagination(
        items=items,
        previous={"href": href(page.previous_page_number())} if page.has_previous() else None,
        next={"href": href(page.next_page_number())} if page.has_next() else None,
    )


PHONE = re.compile(r"(?<![\w+])\+?\d[\d ()\-]{7,}\d(?!\w)")
"""A phone number as people write it: digits with spaces, brackets or dashes, perhaps a
leading +; `tel_link` keeps those of 10 to 13 digits (not 999 or a year)."""
PHONE_DIGITS = range(10, 14)
TEL_LINK = '<a class="govuk-link{}" href="tel:{}">{}</a>'


@register.filter(needs_autoescape=True)
def tel_link(text: object, variant: str = "", autoescape: bool = True) -> str:
    """`text` with each phone number in it a `tel:` link (the number shown as written, the
    link dialling its digits), everything else escaped; `variant` "inverse" for a link on a
    dark background (a panel)."""
    value = "" if text is None else str(text)
    escape = conditional_escape if autoescape else str
    classes = " govuk-link--inverse" if variant == "inverse" else ""
    parts, end = [], 0
    for match in PHONE.finditer(value):
        written = match.group(0)
        # "+44 (0)20 ...": the (0) is dialled only from within the country
        digits = re.sub(r"\D", "", written.replace("(0)", "") if written[0] == "+" else written)
        if len(digits) not in PHONE_DIGITS:
            continue
        dial = ("+" if written.startswith("+") else "") + digits
        parts.append(escape(value[end : match.start()]))
        parts.append(format_html(TEL_LINK, classes, dial, written))
        end = match.end()
    parts.append(escape(value[end:]))
    return mark_safe("".join(str(part) for part in parts))  # each part is escaped


@register.simple_tag
def govuk_phase_banner() -> GovUKPhaseBanner:
    """The service's phase banner, its feedback link to the help page."""
    return GovUKPhaseBanner(
        tag=GovUKTag(text=PHASE), html=format_html(PHASE_TEXT, reverse("core:help") + "#feedback")
    )
