"""GOV.UK Frontend components, rendered with one Jinja environment and one compiled template
per component.

govuk-frontend-django 0.22 builds a new Jinja environment and compiles the component's
template on every render: tens of milliseconds each, several per page (the load benchmark
measured 360 ms for the sign-in page, 6 ms with this). `install()` replaces its render method
with one that compiles each component's template once; the HTML is the same (tested).
Running a component's macros still takes milliseconds (a date input about ten), so the HTML
of a component made of plain data (text, numbers, lists and dicts of them) is kept for the
same template and data (RENDERED_KEPT of them, least recently used first out).
"""

from __future__ import annotations

import functools
from collections.abc import Hashable

from django.utils.safestring import SafeString, mark_safe
from govuk_frontend_django.components.base import GovUKComponent
from jinja2 import Environment, PackageLoader, PrefixLoader, Template, select_autoescape

LIBRARY_RENDER = GovUKComponent.render
"""govuk-frontend-django's own render, which `install` replaces (the tests compare with it)."""
_ENVIRONMENT = Environment(
    loader=PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
    autoescape=select_autoescape(),
)


RENDERED_KEPT = 1024
PLAIN = frozenset({str, SafeString, int, float, bool, type(None)})
"""The types of value a kept component's data may hold (a SafeString is not escaped, a str
is: the key names each value's type)."""


@functools.cache
def compiled(source: str) -> Template:
    """The component template `source`, compiled once."""
    return _ENVIRONMENT.from_string(source)


def _without_none(value: object) -> object:
    """`value` with every None-valued key removed from its dicts, at any depth (as the
    component macros expect: a missing key, not a null)."""
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(item) for item in value]
    return value


def _frozen(value: object) -> Hashable:
    """A hashable copy of plain data, naming each value's type; TypeError for other data."""
    if type(value) is dict:
        return (dict, tuple((key, _frozen(item)) for key, item in value.items()))
    if type(value) in (list, tuple):
        return (type(value), tuple(_frozen(item) for item in value))
    if type(value) not in PLAIN:
        raise TypeError(type(value))
    return (type(value), value)


def _thawed(frozen: Hashable) -> object:
    """The data `_frozen` made `frozen` from."""
    kind, value = frozen
    if kind is dict:
        return {key: _thawed(item) for key, item in value}
    if kind is list or kind is tuple:
        return kind(_thawed(item) for item in value)
    return value


@functools.lru_cache(maxsize=RENDERED_KEPT)
def _rendered(source: str, frozen: Hashable) -> SafeString:
    return mark_safe(compiled(source).render(data=_thawed(frozen)))


def render(
    component: GovUKComponent,
    template_name: str | None = None,
    context: object = None,
    renderer: object = None,
    component_data: dict[str, object] | None = None,
) -> SafeString:
    """Render `component` as govuk-frontend-django does, from the compiled template."""
    data = _without_none({**component.__dict__, **(component_data or {})})
    source = component.build_jinja_template()
    try:
        frozen = _frozen(data)
    except TypeError:  # not plain data: rendered each time
        return mark_safe(compiled(source).render(data=data))
    return _rendered(source, frozen)


def install() -> None:
    """Make every GOV.UK component render through `render`."""
    GovUKComponent.render = render
    GovUKComponent.__str__ = render
    GovUKComponent.__html__ = render
