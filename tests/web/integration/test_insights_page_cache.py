"""The dashboards' pages are made once for the same data and kept (figures, tables, chart and
their HTML): an import that lands shows at once, the kept pages of one LA never show in
another's, and every view is still checked and audited."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from threshold.web.accounts.roles import RoleName
from threshold.web.accounts.services import membership_grant, user_create
from threshold.web.audit.models import AuditEvent
from threshold.web.insights.services import frontdoor_import
from threshold.web.organisations.models import LocalAuthority, School

YEAR = "2024/25"
HEADER = (
    "cont_contact_id,cont_person_id,cont_contact_date,cont_contact_source_code,"
    "cont_contact_outcome_json,cont_source_school_urn\n"
)
ROW = '{id},P{id},{day},2A,"{{""OUTCOME_NFA_FLAG"": ""{nfa}""}}",{urn}\n'


@pytest.fixture(autouse=True)
def store_root(settings: object, tmp_path: Path) -> Path:
    settings.FRONTDOOR_STORE_ROOT = tmp_path / "store"
    return tmp_path / "store"


def imported(authority: LocalAuthority, tmp_path: Path, rows: list[tuple[str, str, str]]) -> None:
    """Import an SSD export of contacts (id, day, NFA flag) made by the LA's school."""
    urn = School.objects.filter(authority=authority).order_by("urn").first().urn
    text = HEADER + "".join(ROW.format(id=i, day=day, nfa=nfa, urn=urn) for i, day, nfa in rows)
    path = tmp_path / f"contacts-{authority.la_code}-{len(rows)}.csv"
    path.write_text(text, encoding="utf-8")
    frontdoor_import(authority=authority, path=path, format="ssd", by="test")


def totals(text: str) -> str:
    """The LA dashboard's sentence of totals, up to the referrals."""
    start = text.index("Schools made ")
    return text[start : text.index(" referrals.", start)]


def figures(text: str, first: str, last: str) -> str:
    """A page's figures, from `first` to `last` (the rest has a nonce and token of its own)."""
    return text[text.index(first) : text.rindex(last)]


@pytest.fixture
def lead_of(sign_in: Callable[..., Client]) -> Callable[[LocalAuthority], Client]:
    """A signed-in LA programme lead of an LA."""

    def make(authority: LocalAuthority) -> Client:
        user = user_create(username=f"lead-{authority.la_code}", password=None, by="test")
        membership_grant(user=user, role=RoleName.LA_LEAD, authority=authority, by="test")
        return sign_in(Client(), user)

    return make


def test_an_import_that_lands_shows_at_once(
    places: dict[str, LocalAuthority | School],
    tmp_path: Path,
    lead_of: Callable[[LocalAuthority], Client],
) -> None:
    home = places["home_la"]
    lead = lead_of(home)
    url = reverse("insights:authority", kwargs={"la_code": home.la_code})
    imported(home, tmp_path, [("C1", "2024-09-10", "Y"), ("C2", "2024-10-02", "N")])
    first = lead.get(url, {"year": YEAR}).content.decode()
    assert totals(first) == (
        "Schools made 2 contacts; 1 ended in no further action (NFA), 1 were non-urgent (ended "
        "in NFA or in information and advice) and schools made 0"
    )
    again = lead.get(url, {"year": YEAR}).content.decode()
    assert figures(again, "Schools made", "Download") == figures(first, "Schools made", "Download")

    imported(
        home,
        tmp_path,
        [("C1", "2024-09-10", "Y"), ("C2", "2024-10-02", "Y"), ("C3", "2024-11-05", "Y")],
    )
    after = lead.get(url, {"year": YEAR}).content.decode()
    assert totals(after).startswith("Schools made 3 contacts; 3 ended in no further action")
    assert "Latest contact: 5 November 2024" in after


def test_the_kept_pages_of_one_la_never_show_in_another(
    places: dict[str, LocalAuthority | School],
    tmp_path: Path,
    lead_of: Callable[[LocalAuthority], Client],
) -> None:
    home, other = places["home_la"], places["other_la"]
    for authority in (home, other):  # the same export, so both LAs' figures look alike
        authority.schools.update(pupils_on_roll=1000, pct_fsm=20.0)
        imported(authority, tmp_path, [("C1", "2024-09-10", "Y"), ("C2", "2024-10-02", "N")])
    home_lead, other_lead = lead_of(home), lead_of(other)
    home_page = home_lead.get(reverse("insights:authority", kwargs={"la_code": home.la_code}))
    assert places["home_school"].name in home_page.content.decode()

    other_url = reverse("insights:authority", kwargs={"la_code": other.la_code})
    other_page = other_lead.get(other_url).content.decode()
    assert places["other_school"].name in other_page
    assert places["home_school"].name not in other_page
    assert str(places["home_school"].urn) not in other_page
    assert home_lead.get(other_url).status_code == 403
    home_school = reverse("insights:school", kwargs={"urn": places["home_school"].urn})
    other_school = reverse("insights:school", kwargs={"urn": places["other_school"].urn})
    assert home_lead.get(home_school).status_code == 200
    assert other_lead.get(home_school).status_code == 403
    school_page = other_lead.get(other_school).content.decode()
    assert places["other_school"].name in school_page
    assert places["home_school"].name not in school_page


def test_every_view_of_a_kept_school_dashboard_is_audited(
    places: dict[str, LocalAuthority | School],
    tmp_path: Path,
    make_user: Callable[..., object],
    sign_in: Callable[..., Client],
) -> None:
    imported(places["home_la"], tmp_path, [("C1", "2024-09-10", "Y")])
    dsl = sign_in(Client(), make_user(RoleName.DSL_LEAD))
    url = reverse("insights:school", kwargs={"urn": places["home_school"].urn})
    pages = [dsl.get(url, {"year": YEAR}).content.decode() for _ in range(3)]
    shown = {figures(page, "Your school's contacts", "Download") for page in pages}
    assert len(shown) == 1
    assert "Contacts to the front door" in next(iter(shown))
    events = AuditEvent.objects.filter(action="read", object_type="organisations.school")
    assert [e.school_urn for e in events] == [places["home_school"].urn] * 3


def test_each_order_of_the_schools_table_is_kept_apart(
    places: dict[str, LocalAuthority | School],
    tmp_path: Path,
    lead_of: Callable[[LocalAuthority], Client],
) -> None:
    home = places["home_la"]
    School.objects.create(urn=990002, name="Abbey School", authority=home, phase="secondary")
    imported(home, tmp_path, [("C1", "2024-09-10", "Y")])
    lead = lead_of(home)
    url = reverse("insights:authority", kwargs={"la_code": home.la_code})
    names = (places["home_school"].name, "Abbey School")
    for order, expected in (("asc", names[::-1]), ("desc", names), ("asc", names[::-1])):
        text = lead.get(url, {"year": YEAR, "sort": "name", "order": order}).content.decode()
        table = text[text.index('id="schools"') :]
        assert sorted(names, key=table.index) == list(expected)
