"""GOV.UK components render as govuk-frontend-django renders them, compiling each template once."""

from __future__ import annotations

import copy

import pytest
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from govuk_frontend_django.components.base import GovUKComponent
from govuk_frontend_django.components.button import GovUKButton
from govuk_frontend_django.components.input import GovUKInput
from govuk_frontend_django.components.skip_link import GovUKSkipLink

from threshold.web.core import components

EXAMPLES = [
    GovUKButton(text="Save and continue", attributes={"data-module": "govuk-button"}),
    GovUKSkipLink(text="Skip to main content", href="#main-content"),
    GovUKInput(
        id="urn",
        name="urn",
        label={"text": "URN", "classes": None},
        hint={"text": "Six digits"},
        errorMessage={"text": "Enter a six-digit URN"},
        value="99",
    ),
]


@pytest.mark.parametrize("component", EXAMPLES, ids=lambda c: type(c).__name__)
def test_the_same_html_as_the_library(component):
    assert GovUKComponent.render is components.render  # installed when Django started
    assert str(component) == components.LIBRARY_RENDER(copy.deepcopy(component))
    assert "None" not in str(component)


def test_each_template_is_compiled_once():
    components.compiled.cache_clear()
    components._rendered.cache_clear()
    for _ in range(3):
        str(GovUKButton(text="Save"))
        str(GovUKButton(text="Continue"))
    info = components.compiled.cache_info()
    assert (info.misses, info.hits) == (1, 1)  # then each button's HTML is kept


def test_the_html_of_plain_data_is_kept_and_escaped_as_before():
    components._rendered.cache_clear()
    text = "Fish & <chips>"
    for _ in range(3):
        assert str(GovUKButton(text=text)) == components.LIBRARY_RENDER(GovUKButton(text=text))
    bold = "<strong>Save</strong>"
    for text, escaped in ((mark_safe(bold), False), (bold, True), (mark_safe(bold), False)):
        html = str(GovUKButton(text=text))
        assert html == components.LIBRARY_RENDER(GovUKButton(text=text))
        assert (bold not in html) is escaped
    info = components._rendered.cache_info()
    assert (info.misses, info.hits) == (3, 3)


def test_data_that_is_not_plain_is_rendered_each_time():
    components._rendered.cache_clear()
    label = gettext_lazy("Continue")
    assert str(GovUKButton(text=label)) == components.LIBRARY_RENDER(GovUKButton(text=label))
    assert components._rendered.cache_info().currsize == 0
