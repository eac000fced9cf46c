"""GOV.UK Frontend components for Django forms, built with govuk-frontend-django's classes."""

from __future__ import annotations

from django import template
from django.core.paginator import Page
from django.forms import BaseForm, BoundField
from django.http import QueryDict
from govuk_frontend_django.components.error_summary import GovUKErrorSummary
from govuk_frontend_django.components.input import GovUKInput
from govuk_frontend_django.components.pagination import GovUKPagination
from govuk_frontend_django.components.select import GovUKSelect

register = template.Library()

ERROR_SUMMARY_TITLE = "There is a problem"


def _common(field: BoundField) -> dict[str, object]:
    widget = field.field.widget
    common: dict[str, object] = {
        "id": field.auto_id,
        "name": field.html_name,
        "label": {"text": field.label, "classes": "govuk-label--s"},
    }
    if field.help_text:
        common["hint"] = {"text": str(field.help_text)}
    if field.errors:
        common["errorMessage"] = {"text": " ".join(field.errors)}
    if widget.attrs.get("class"):
        common["classes"] = widget.attrs["class"]
    return common


@register.filter
def govuk_input(field: BoundField) -> GovUKInput:
    """A text, password or date input for `field`; widget attributes give autocomplete,
    inputmode and width classes."""
    widget = field.field.widget
    value = field.value()
    return GovUKInput(
        **_common(field),
        type=getattr(widget, "input_type", "text"),
        value=None if widget.input_type == "password" or value is None else str(value),
        autocomplete=widget.attrs.get("autocomplete"),
        inputmode=widget.attrs.get("inputmode"),
    )


@register.filter
def govuk_select(field: BoundField) -> GovUKSelect:
    """A select for a choice field, the current value selected."""
    value = "" if field.value() is None else str(field.value())
    items = [
        {"value": str(choice), "text": str(label), "selected": str(choice) == value}
        for choice, label in field.field.choices
    ]
    return GovUKSelect(**_common(field), items=items)


@register.filter
def govuk_error_summary(form: BaseForm) -> GovUKErrorSummary | str:
    """The error summary for a form with errors (each linked to its field), else nothing."""
    if not form.errors:
        return ""
    # Errors about the whole form (a wrong password, say) link to its first field.
    first = next(iter(form.fields))
    errors = [
        {"text": str(error), "href": f"#{form[name if name in form.fields else first].auto_id}"}
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
