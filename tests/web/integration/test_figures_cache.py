"""The dashboards' figures are computed once for the same data and again as soon as the
data changes (a contact imported, a school's pupil numbers): the cache's key is made from
the inputs themselves, so it never answers with figures from other data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache

from threshold.web.insights import selectors
from threshold.web.insights.models import Contact
from threshold.web.organisations.models import LocalAuthority, School

YEAR = "2024/25"


def contact(school: School, day: str, outcome: str) -> Contact:
    return Contact.objects.create(
        contact_id=f"990-{Contact.objects.count() + 1}",
        person_id="p",
        authority=school.authority,
        contact_date=dt.date.fromisoformat(day),
        source_code="2A",
        source_school=school,
        child_school=school,
        outcome=outcome,
    )


@pytest.fixture
def measured(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the figures were computed (build_measures runs twice each time)."""
    calls: list[int] = []
    real = selectors.build_measures

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(selectors, "build_measures", counted)
    cache.clear()
    return calls


def figures_of(school: School) -> tuple[int, int, float]:
    row = selectors.authority_figures(school.authority, YEAR).schools.set_index("urn")
    row = row.loc[school.urn]
    return int(row["contacts"]), int(row["nfa_contacts"]), float(row["contacts_per_100"])


def test_the_same_data_is_measured_once(
    places: dict[str, LocalAuthority | School], measured: list[int]
) -> None:
    school = places["home_school"]
    school.pupils_on_roll = 1000
    school.save()
    contact(school, "2024-09-10", "nfa")
    assert figures_of(school) == (1, 1, 0.1)
    assert figures_of(school) == (1, 1, 0.1)
    assert len(measured) == 2  # one computation: contacts, then non-urgent contacts


def test_new_data_gives_new_figures_at_once(
    places: dict[str, LocalAuthority | School], measured: list[int]
) -> None:
    school = places["home_school"]
    school.pupils_on_roll = 1000
    school.save()
    contact(school, "2024-09-10", "nfa")
    assert figures_of(school) == (1, 1, 0.1)

    contact(school, "2024-10-01", "referral")
    assert figures_of(school) == (2, 1, 0.2)

    school.pupils_on_roll = 500
    school.save()
    assert figures_of(school) == (2, 1, 0.4)

    Contact.objects.filter(outcome="referral").update(outcome="nfa")
    assert figures_of(school) == (2, 2, 0.4)
    assert len(measured) == 8
