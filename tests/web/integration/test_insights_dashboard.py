"""Front-door figures against hand-computed numbers, comparison groups, and what each role
sees: a DSL sees their school against similar schools, never another school's name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from threshold.web.accounts.roles import RoleName
from threshold.web.audit.models import AuditEvent
from threshold.web.insights import selectors
from threshold.web.insights.models import Contact, Referral
from threshold.web.organisations.models import LocalAuthority, School

YEAR = "2024/25"


def contact(school: School | None, day: str, outcome: str, *, source: str = "2A") -> Contact:
    authority = (school or School.objects.first()).authority
    return Contact.objects.create(
        contact_id=f"990-{Contact.objects.count() + 1}",
        person_id="p",
        authority=authority,
        contact_date=dt.date.fromisoformat(day),
        source_code=source,
        source_school=school,
        child_school=school,
        outcome=outcome,
    )


def similar(authority: LocalAuthority, count: int, *, pupils: int, fsm: float) -> list[School]:
    """`count` secondary schools; the i-th (from 0) made i contacts ending in NFA in 2024/25."""
    schools = []
    for i in range(count):
        school = School.objects.create(
            urn=990100 + School.objects.count(),
            name=f"Similar School {School.objects.count()}",
            authority=authority,
            phase="secondary",
            pupils_on_roll=pupils,
            pct_fsm=fsm,
        )
        for _ in range(i):
            contact(school, "2024-11-01", "nfa")
        schools.append(school)
    return schools


@pytest.fixture
def school(places: dict[str, LocalAuthority | School]) -> School:
    """The home school (1,000 pupils, 25% FSM) with a year of hand-made contacts."""
    home = places["home_school"]
    home.pupils_on_roll, home.pct_fsm = 1000, 25.0
    home.save()
    contact(home, "2024-09-10", "nfa")
    contact(home, "2024-09-20", "information_advice")
    contact(home, "2024-10-05", "referral")
    contact(home, "2024-10-06", "nfa")
    contact(home, "2025-08-10", "nfa")  # August: outside the school year's window
    contact(home, "2024-09-01", "early_help", source="6")  # not made by the school
    Referral.objects.create(
        referral_id="990-R1",
        person_id="p",
        authority=home.authority,
        referral_date=dt.date(2024, 10, 7),
        source_code="2A",
        source_school=home,
    )
    return home


def test_school_year_figures(school: School) -> None:
    figures = selectors.authority_figures(school.authority, YEAR)
    row = figures.schools.set_index("urn").loc[school.urn]
    assert (row["contacts"], row["nfa_contacts"], row["non_urgent_contacts"]) == (4, 2, 3)
    assert row["referrals"] == 1
    assert row["nfa_rate"] == pytest.approx(0.5)
    assert row["contacts_per_100"] == pytest.approx(0.4)
    assert row["nfa_contacts_per_100"] == pytest.approx(0.2)


def test_figures_by_month(school: School) -> None:
    figures = selectors.authority_figures(school.authority, YEAR)
    months = selectors.school_months(figures, school).set_index("start")
    assert len(months) == 11  # September to July
    september, october = months.loc[dt.date(2024, 9, 1)], months.loc[dt.date(2024, 10, 1)]
    assert list(september[list(selectors.MEASURES)]) == [2, 1, 2, 0]
    assert list(october[list(selectors.MEASURES)]) == [2, 1, 1, 1]
    totals = selectors.authority_months(figures).set_index("start")
    assert totals.loc[dt.date(2024, 9, 1), "contacts"] == 2
    cut = selectors.authority_figures(school.authority, YEAR, until=dt.date(2024, 10, 15))
    assert len(selectors.school_months(cut, school)) == 2


def test_school_years_with_data(school: School, places: dict[str, LocalAuthority]) -> None:
    """From the first contact's school year to the last's (August is in the year it ends)."""
    assert selectors.school_years_with_data(school.authority, dt.date(2026, 1, 1)) == ["2024/25"]
    contact(school, "2026-02-01", "nfa")
    assert selectors.school_years_with_data(school.authority, dt.date(2026, 3, 1)) == [
        "2025/26",
        "2024/25",
    ]
    assert selectors.school_years_with_data(places["other_la"], dt.date(2026, 3, 1)) == ["2025/26"]


def test_bands() -> None:
    assert [selectors.fsm_band(v) for v in (0, 9.9, 10, 20, 34.9, 35, 80)] == [
        "under 10%",
        "under 10%",
        "10–20%",
        "20–35%",
        "20–35%",
        "35% or more",
        "35% or more",
    ]
    assert selectors.size_band("primary", 250) == "200–399"
    assert selectors.size_band("secondary", 250) == "under 800"
    assert selectors.size_band("secondary", 1200) == "1,200 or more"
    assert selectors.fsm_band(None) is None


def test_comparison_with_similar_schools(school: School) -> None:
    similar(school.authority, 6, pupils=1000, fsm=22.0)  # 0…5 NFA: 0, 0.1, … 0.5 per 100
    similar(school.authority, 3, pupils=1500, fsm=5.0)  # not similar: left out
    figures = selectors.authority_figures(school.authority, YEAR)
    comparisons, group = selectors.school_comparison(figures, school)
    assert group == (
        "Secondary schools in Northmoor with 20–35% of pupils eligible for free school meals "
        "and 800–1,199 pupils"
    )
    nfa = next(c for c in comparisons if c.measure == "nfa_contacts")
    assert (nfa.value, nfa.median, nfa.lower, nfa.upper) == pytest.approx((0.2, 0.25, 0.125, 0.375))
    assert nfa.sentence.startswith("Your school made about as many contacts that ended in no")
    contacts = next(c for c in comparisons if c.measure == "contacts")
    assert contacts.sentence == (
        "Most similar schools made fewer contacts to the front door than yours: 0.25 per 100 "
        "pupils, against your 0.40."
    )


def test_the_group_widens_then_gives_up(school: School) -> None:
    similar(school.authority, 3, pupils=1000, fsm=22.0)
    similar(school.authority, 2, pupils=500, fsm=30.0)
    figures = selectors.authority_figures(school.authority, YEAR)
    _, group = selectors.school_comparison(figures, school)
    assert group.endswith("with 20–35% of pupils eligible for free school meals")
    School.objects.filter(pupils_on_roll=500).update(pct_fsm=50.0)
    figures = selectors.authority_figures(school.authority, YEAR)
    assert selectors.school_comparison(figures, school)[1] == "Secondary schools in Northmoor"
    School.objects.filter(pupils_on_roll=500).update(phase="primary")
    figures = selectors.authority_figures(school.authority, YEAR)
    comparisons, text = selectors.school_comparison(figures, school)
    assert comparisons == []
    assert text == selectors.MSG_TOO_FEW.format(authority="Northmoor", minimum=5)
    School.objects.filter(pk=school.pk).update(pupils_on_roll=None)
    figures = selectors.authority_figures(school.authority, YEAR)
    assert selectors.school_comparison(figures, school) == ([], selectors.MSG_NO_PUPILS)


@pytest.fixture
def as_role(
    make_user: Callable[..., object], sign_in: Callable[..., Client]
) -> Callable[..., Client]:
    return lambda role: sign_in(Client(), make_user(role))


def test_a_dsl_sees_their_school_against_unnamed_similar_schools(
    school: School, as_role: Callable[..., Client]
) -> None:
    others = similar(school.authority, 6, pupils=1000, fsm=22.0)
    dsl = as_role(RoleName.DSL_LEAD)
    page = dsl.get(reverse("insights:school", kwargs={"urn": school.urn}), {"year": YEAR})
    text = page.content.decode()
    assert page.status_code == 200
    assert "Compared with similar schools" in text
    assert "about as many contacts that ended in no further action" in text
    assert not any(other.name in text or str(other.urn) in text for other in others)
    event = AuditEvent.objects.get(action="read", object_type="organisations.school")
    assert (event.school_urn, event.detail["school_year"]) == (school.urn, YEAR)
    other = dsl.get(reverse("insights:school", kwargs={"urn": others[0].urn}))
    assert other.status_code == 403


def test_the_la_dashboard_lists_and_sorts_schools(
    school: School, as_role: Callable[..., Client]
) -> None:
    others = similar(school.authority, 2, pupils=1000, fsm=22.0)
    lead = as_role(RoleName.LA_LEAD)
    url = reverse("insights:authority", kwargs={"la_code": "990"})
    page = lead.get(url, {"year": YEAR, "sort": "nfa_contacts", "order": "desc"})
    text = page.content.decode()
    assert page.status_code == 200
    order = [text.index(name) for name in (school.name, others[1].name, others[0].name)]
    assert order == sorted(order)
    assert 'aria-sort="descending"' in text
    assert "Latest contact: 10 August 2025" in text
    assert "<svg" in text
    assert "All schools by month" in text
    assert lead.get(reverse("insights:school", kwargs={"urn": others[0].urn})).status_code == 200
