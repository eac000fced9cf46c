"""GOV.UK patterns across the service's forms (issue 15): the date input (day, month, year) and
its error texts; no Django default message or "---------" choice reaches a person, in any form
of `threshold.web`; all of a form's errors in one summary, linked to their fields."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django import forms
from django.core import validators
from django.forms import BaseForm
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import threshold.web
from factories.forms import date_fields
from threshold.model import Arm, SurveyWave
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.core.forms import (
    DATE_HINT,
    MSG_DATE_INCOMPLETE,
    MSG_DATE_REAL,
    MSG_DATE_REQUIRED,
    MSG_DATE_TODAY_OR_PAST,
    MSG_DATE_YEAR,
    GovUKDateField,
    GovUKForm,
    the,
)
from threshold.web.core.templatetags.threshold_govuk import govuk_field
from threshold.web.guidance.pathway import QUESTIONS
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.programme.models import Enrolment, Programme
from threshold.web.programme.selectors import FilterChoices

# 1. The date input.


class HeldForm(GovUKForm):
    held = GovUKDateField(
        label="When was the session held?",
        subject="Date the session was held",
        rule="today_or_past",
    )
    until = GovUKDateField(label="Until", required=False)


def render(form: BaseForm, text: str) -> str:
    return Template("{% load threshold_govuk %}" + text).render(Context({"form": form}))


@pytest.mark.parametrize(
    ("posted", "message", "wrong"),
    [
        ({}, "Enter the date the session was held", {"day", "month", "year"}),
        (
            {"held-day": "27", "held-year": "2026"},
            "Date the session was held must include a month",
            {"month"},
        ),
        (
            {"held-year": "2026"},
            "Date the session was held must include a day and month",
            {"day", "month"},
        ),
        (
            {"held-day": "31", "held-month": "2", "held-year": "2026"},
            "Date the session was held must be a real date",
            {"day", "month", "year"},
        ),
        (
            {"held-day": "3", "held-month": "13", "held-year": "2026"},
            "Date the session was held must be a real date",
            {"month"},
        ),
        (
            {"held-day": "x", "held-month": "3", "held-year": "2026"},
            "Date the session was held must be a real date",
            {"day"},
        ),
        (
            {"held-day": "3", "held-month": "3", "held-year": "26"},
            MSG_DATE_YEAR.format(subject="Date the session was held"),
            {"year"},
        ),
        (
            {"held-day": "1", "held-month": "1", "held-year": "2999"},
            "Date the session was held must be today or in the past",
            {"day", "month", "year"},
        ),
    ],
)
def test_a_wrong_date_says_what_is_wrong_and_highlights_only_the_wrong_parts(
    posted: dict[str, str], message: str, wrong: set[str]
) -> None:
    form = HeldForm(posted)
    assert not form.is_valid()
    assert form.errors["held"] == [message]
    html = render(form, "{{ form|govuk_error_summary }}{{ form.held|govuk_field }}")
    assert html.count(message) == 2  # in the summary and at the field
    for part in ("day", "month", "year"):
        box = re.search(rf'<input[^>]*id="id_held-{part}"[^>]*>', html)
        assert box is not None
        assert ("govuk-input--error" in box.group(0)) is (part in wrong), part
        assert f'name="held-{part}"' in box.group(0)
    first = next(p for p in ("day", "month", "year") if p in wrong)
    assert f'href="#id_held-{first}"' in html  # the summary links to the first wrong part
    for typed in posted.values():
        assert f'value="{typed}"' in html  # what was typed is shown again


def test_the_date_input_is_a_fieldset_with_a_legend_hint_and_three_inputs() -> None:
    html = render(HeldForm(initial={"held": dt.date(2026, 3, 27)}), "{{ form.held|govuk_field }}")
    assert '<fieldset class="govuk-fieldset" role="group"' in html
    assert "When was the session held?" in html
    assert DATE_HINT in html
    assert "govuk-form-group--error" not in html
    for part, value in (("day", "27"), ("month", "3"), ("year", "2026")):
        box = re.search(rf'<input[^>]*name="held-{part}"[^>]*>', html)
        assert box is not None
        assert f'value="{value}"' in box.group(0)
        assert 'inputmode="numeric"' in box.group(0)
    assert "govuk-date-input__label" in html


def test_a_date_is_cleaned_from_its_three_parts_or_an_iso_link() -> None:
    form = HeldForm({**date_fields("held", "2024-11-05"), **date_fields("until", None)})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"held": dt.date(2024, 11, 5), "until": None}
    spaced = HeldForm({"held-day": " 05 ", "held-month": "011", "held-year": "2024"})
    assert spaced.is_valid()
    assert spaced.cleaned_data["held"] == dt.date(2024, 11, 5)
    linked = HeldForm({"held": "2024-11-05"})  # a link such as ?date_from=2024-11-05
    assert linked.is_valid()
    assert linked.cleaned_data["held"] == dt.date(2024, 11, 5)


def test_the_date_messages_follow_the_pattern() -> None:
    field = GovUKDateField(label="Date of the meeting")
    assert field.error_messages["required"] == MSG_DATE_REQUIRED.format(
        the_subject="the date of the meeting"
    )
    assert MSG_DATE_INCOMPLETE.format(subject="X", missing="year") == "X must include a year"
    assert MSG_DATE_REAL.format(subject="X") == "X must be a real date"
    assert MSG_DATE_TODAY_OR_PAST.format(subject="X") == "X must be today or in the past"
    assert the("Who asked for it") == "who asked for it"
    assert the("Local authority") == "the local authority"
    assert the("URN of the school") == "the URN of the school"


def test_the_service_has_no_date_input_of_the_browser() -> None:
    """Every date of the service's forms is a GOV.UK date input: no `type="date"` left."""
    for form_class in service_forms():
        for name, field in form_class.base_fields.items():
            assert not isinstance(field.widget, forms.DateInput), f"{form_class.__name__}.{name}"
            assert not isinstance(field, forms.DateField), f"{form_class.__name__}.{name}"


# 2. No Django default message, and no "---------", in any form of the service.


def service_forms() -> Iterator[type[BaseForm]]:
    """Every form class defined in `threshold.web`."""
    seen: set[type] = set()
    for module in pkgutil.walk_packages(threshold.web.__path__, "threshold.web."):
        if ".migrations" in module.name or module.name.endswith("settings.production"):
            continue
        loaded = importlib.import_module(module.name)
        for value in vars(loaded).values():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseForm)
                and value.__module__ == loaded.__name__
                and value not in seen
            ):
                seen.add(value)
                yield value


def django_defaults() -> list[str]:
    """The start of each of Django's own form messages (up to its first placeholder)."""
    texts: set[str] = set()
    for module in (forms.fields, forms.models):
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, forms.Field):
                texts.update(str(m) for m in value.default_error_messages.values())
    for value in vars(validators).values():
        if inspect.isclass(value) and isinstance(getattr(value, "message", None), str):
            texts.add(value.message)
    texts.update(
        {
            "Ensure this value has at most",
            "Ensure this value has at least",
            "Ensure that there are no more than",
            "This field is required.",
            "Enter a valid date.",
            "Select a valid choice.",
            "Enter a whole number.",
        }
    )
    return sorted({text.split("%(")[0].strip() for text in texts if len(text) > 8})


DEFAULTS = django_defaults()


def builders(places: dict, user: User) -> dict[str, Callable[[], object]]:
    """A value for each keyword argument the service's forms take, by name; `OVERRIDES` by
    form where one name means another type."""
    home, school = places["home_la"], places["home_school"]
    programme = Programme.objects.create(
        authority=home,
        school_year="2025/26",
        starts_on=dt.date(2025, 9, 1),
        ends_on=dt.date(2026, 7, 17),
        max_minutes=90,
    )
    Enrolment.objects.create(programme=programme, school=school, arm=Arm.TREATMENT)
    return {
        "authorities": lambda: [(home.la_code, home.name)],
        "schools": lambda: School.objects.all(),
        "question": lambda: QUESTIONS[0],
        "candidates": lambda: [user],
        "attendees": lambda: [user],
        "enrolments": lambda: Enrolment.objects.all(),
        "programmes": lambda: Programme.objects.all(),
        "wave": lambda: SurveyWave.BASELINE,
        "arm": lambda: Arm.TREATMENT,
        "choices": lambda: FilterChoices(
            authorities=[(home.la_code, home.name)],
            ssws=[(user.pk, "Sam")],
            schools=[(school.urn, school.name)],
        ),
        "actor": lambda: user,
        "roles": lambda: list(RoleName),
        "school_years": lambda: ["2025/26"],
        "names": list,
        "initial": dict,
    }


OVERRIDES: dict[tuple[str, str], Callable[[], object]] = {
    ("MeetingForm", "authorities"): lambda: list(LocalAuthority.objects.all()),
    ("BulkInviteForm", "authorities"): lambda: LocalAuthority.objects.all(),
    ("PlaceForm", "authorities"): lambda: LocalAuthority.objects.all(),
    ("InviteForm", "authorities"): lambda: LocalAuthority.objects.all(),
    ("RoleForm", "authorities"): lambda: LocalAuthority.objects.all(),
    ("DirectChoiceForm", "schools"): lambda: list(School.objects.all()),
    ("SchoolsForm", "schools"): lambda: list(School.objects.all()),
    ("PersonForm", "schools"): lambda: list(School.objects.all()),
    ("TrialCreateForm", "programmes"): lambda: list(Programme.objects.all()),
}


def kwargs_for(form_class: type[BaseForm], values: dict[str, Callable[[], object]]) -> dict:
    """The keyword arguments `form_class` (or a form it extends) requires, built; a new one
    must be added above."""
    built = {}
    for kind in form_class.__mro__:
        if not kind.__module__.startswith("threshold.web") or "__init__" not in vars(kind):
            continue
        for name, parameter in inspect.signature(kind.__init__).parameters.items():
            if parameter.kind is not parameter.KEYWORD_ONLY or name in built:
                continue
            if parameter.default is not parameter.empty:
                continue
            make = OVERRIDES.get((form_class.__name__, name)) or values.get(name)
            assert make is not None, f"say how to build {form_class.__name__}'s {name}="
            built[name] = make()
    return built


def bad_data(form: BaseForm) -> dict[str, object]:
    """A wrong value for every field of `form`."""
    data: dict[str, object] = {}
    for name, field in form.fields.items():
        key = form.add_prefix(name)
        if isinstance(field, GovUKDateField):
            data.update({f"{key}-day": "31", f"{key}-month": "x", f"{key}-year": "20"})
        elif isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
            data[key] = ["not-a-choice"]
        elif isinstance(field, forms.BooleanField):
            data[key] = ""
        else:
            data[key] = "x" * 100_001 if isinstance(field, forms.CharField) else "not-a-choice"
    return data


def messages_of(form: BaseForm) -> list[str]:
    form.is_valid()
    return [str(message) for messages in form.errors.values() for message in messages]


@pytest.mark.django_db
def test_no_form_of_the_service_shows_a_django_default_message_or_dashes(
    places: dict, make_user: Callable[..., User]
) -> None:
    values = builders(places, make_user(RoleName.LA_LEAD))
    checked, problems = [], []
    for form_class in service_forms():
        if issubclass(form_class, forms.ModelForm) and form_class._meta.model is None:
            continue  # a base of model forms, never shown itself
        kwargs = kwargs_for(form_class, values)
        for empty in (True, False):
            form = form_class({}, **kwargs)
            if not empty:
                form = form_class(bad_data(form), **kwargs)
            for message in messages_of(form):
                if any(message.startswith(default) for default in DEFAULTS):
                    problems.append(f"{form_class.__name__}: {message!r}")
            for field in form:
                if "---------" in str(govuk_field(field)):
                    problems.append(f"{form_class.__name__}.{field.name}: ---------")
        checked.append(form_class.__name__)
    assert not problems, "\n".join(sorted(set(problems)))
    assert len(checked) > 60  # every form of the service, not a few
    assert {"AdHocSupportForm", "ProtocolForm", "CallForm", "SignInForm"} <= set(checked)


def test_a_field_keeps_a_message_it_sets_itself() -> None:
    class Own(GovUKForm):
        urn = forms.IntegerField(label="URN", error_messages={"invalid": "Enter the URN"})
        name = forms.CharField(label="School name", max_length=3)
        size = forms.IntegerField(label="Pupils", min_value=1)
        kind = forms.ChoiceField(label="Phase", choices=[("", "Select"), ("p", "Primary")])

    form = Own({"urn": "x", "name": "abcd", "size": "0", "kind": "z"})
    assert form.errors == {
        "urn": ["Enter the URN"],
        "name": ["School name must be 3 characters or fewer"],
        "size": ["Pupils must be 1 or more"],
        "kind": ["Select the phase from the list"],
    }
    assert Own({}).errors["name"] == ["Enter the school name"]
    assert Own({}).errors["kind"] == ["Select the phase"]


# The date input in the service's pages.


@pytest.mark.django_db
def test_a_wrong_date_on_a_page_is_shown_at_the_field_and_in_the_summary(
    client: Client, places: dict, make_user: Callable[..., User], sign_in: Callable[..., Client]
) -> None:
    ssw = make_user(RoleName.SSW)
    sign_in(client, ssw)
    url = reverse("supervision:ad_hoc_support")
    page = client.post(url, {"support_date-day": "30", "support_date-month": "2"})
    text = page.content.decode()
    message = "Date of the support must include a year"
    assert text.count(message) == 2
    assert 'href="#id_support_date-year"' in text
    assert 'value="30"' in text
    assert 'value="2"' in text
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    later = client.post(url, date_fields("support_date", tomorrow)).content.decode()
    assert "Date of the support must be today or in the past" in later


# 3. The pathway: "Question N of M" and a Back link to the question before.


def back_link(html: str) -> str:
    """Where the page's GOV.UK Back link goes."""
    link = re.search(r'<a [^>]*class="govuk-back-link"[^>]*>', html)
    assert link is not None, "no Back link"
    href = re.search(r'href="([^"]*)"', link.group(0))
    assert href is not None
    return href.group(1)


@pytest.mark.django_db
def test_each_pathway_question_says_where_it_is_and_links_back(
    client: Client, places: dict, make_user: Callable[..., User], sign_in: Callable[..., Client]
) -> None:
    sign_in(client, make_user(RoleName.DSL_LEAD))
    start = reverse("guidance:pathway_start")
    client.get(start)
    url = {q.id: reverse("guidance:pathway_question", kwargs={"question": q.id}) for q in QUESTIONS}
    first = client.get(url["danger"])
    assert first.context["back"] == start
    assert "Question 1 of 4" in first.content.decode()
    assert back_link(first.content.decode()) == start
    client.post(url["danger"], {"answer": "no"})
    second = client.get(url["harm"]).content.decode()
    assert "Question 2 of 4" in second
    assert back_link(second) == url["danger"]
    client.post(url["harm"], {"answer": "no"})
    client.post(url["services"], {"answer": "no"})
    fourth = client.get(url["school"]).content.decode()
    assert "Question 4 of 4" in fourth
    assert back_link(fourth) == url["services"]
    # going back keeps the answer given
    again = client.get(url["harm"])
    assert again.context["form"]["answer"].value() == "no"
    # the result links back to the question that decided it
    client.post(url["school"], {"answer": "yes"})
    result = client.get(reverse("guidance:pathway_result"))
    assert result.context["back"] == url["school"]


# 4. Phone numbers are tel: links.


@pytest.mark.parametrize(
    ("written", "html"),
    [
        ("01632 960100", '<a class="govuk-link" href="tel:01632960100">01632 960100</a>'),
        (
            "Call +44 (0)1632 960 100, option 2",
            'Call <a class="govuk-link" href="tel:+441632960100">+44 (0)1632 960 100</a>, option 2',
        ),
        (
            "0300-123-4567 or 0300 123 4568",
            '<a class="govuk-link" href="tel:03001234567">0300-123-4567</a> or '
            '<a class="govuk-link" href="tel:03001234568">0300 123 4568</a>',
        ),
        ("999 in an emergency; 101 otherwise", "999 in an emergency; 101 otherwise"),
        (
            "<b>01632 960100</b>",
            '&lt;b&gt;<a class="govuk-link" href="tel:01632960100">01632 960100</a>&lt;/b&gt;',
        ),
        ("", ""),
    ],
)
def test_phone_numbers_become_tel_links_as_written(written: str, html: str) -> None:
    rendered = Template("{% load threshold_govuk %}{{ text|tel_link }}").render(
        Context({"text": written})
    )
    assert rendered == html


@pytest.mark.django_db
def test_the_help_page_links_the_las_phone_numbers(
    client: Client, places: dict, make_user: Callable[..., User], sign_in: Callable[..., Client]
) -> None:
    authority = places["home_la"]
    authority.help_phone = "01632 960 555"
    authority.frontdoor_phone = "01632 960100"
    authority.frontdoor_out_of_hours_phone = "01632 960199"
    authority.save()
    sign_in(client, make_user(RoleName.DSL_LEAD))
    page = client.get(reverse("core:help")).content.decode()
    assert '<a class="govuk-link" href="tel:01632960555">01632 960 555</a>' in page
    assert 'href="tel:01632960100">01632 960100</a>' in page
    assert 'href="tel:01632960199">01632 960199</a>' in page


# 5. Wide tables scroll inside their container.

WRAPPER = re.compile(
    r'<div class="threshold-table-scroll" tabindex="0" role="region" aria-label="[^"]+">\s*$'
)
NARROW = {"core/privacy.html", "core/cookies.html", "programme/allocations_upload.html"}
"""Templates whose tables have few, short columns (they fit a phone)."""


def service_tables() -> Iterator[tuple[str, int, str, str]]:
    """Each table of the service's templates: its template, its number of columns (-1: made
    in a loop), the text just before it, and the table."""
    root = Path(threshold.web.__file__).parent
    for path in sorted(root.glob("*/templates/**/*.html")):
        name = str(path).split("/templates/", 1)[1]
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<table\b.*?</table>", text, flags=re.S):
            head = re.search(r"<thead.*?</thead>", match.group(0), flags=re.S)
            header = head.group(0) if head else ""
            columns = -1 if "{% for" in header else len(re.findall(r"<th\b", header))
            yield name, columns, text[: match.start()], match.group(0)


def test_every_wide_table_scrolls_inside_a_named_focusable_region() -> None:
    unwrapped = [
        f"{name} ({columns} columns)"
        for name, columns, before, _ in service_tables()
        if name not in NARROW
        and (columns >= 4 or columns == -1)
        and not WRAPPER.search(before.rstrip(" \t"))
    ]
    assert unwrapped == []
    css = (Path(threshold.web.__file__).parent / "core/static/threshold/threshold.css").read_text(
        encoding="utf-8"
    )
    rule = re.search(r"\.threshold-table-scroll \{(.*?)\}", css, flags=re.S)
    assert rule is not None
    assert "overflow-x: auto" in rule.group(1)
