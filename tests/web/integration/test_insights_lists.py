"""Finding and exporting on the guidance, front-door and audit lists: search, filters and GOV.UK
pagination on the information line's calls, the DSL's pathway records and an LA's imports;
CSV and XLSX downloads of those lists, of the LA and school dashboards' tables and of the
audit log, each in the page's scope and filters, formula cells neutralised, and audited."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from html import unescape
from pathlib import Path

import pandas as pd
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from openpyxl import load_workbook

from threshold.model import restore_formulas
from threshold.web.accounts.roles import RoleName
from threshold.web.audit import views as audit_views
from threshold.web.audit.models import AuditEvent
from threshold.web.audit.services import audit_read
from threshold.web.guidance.filters import MSG_DATES_REVERSED, MSG_SEARCH_TOO_LONG
from threshold.web.guidance.models import InformationLineCall, PathwayOutcome
from threshold.web.guidance.pathway import Route
from threshold.web.insights.filters import MSG_DATES_REVERSED as MSG_IMPORT_DATES
from threshold.web.insights.models import Contact, FrontDoorImport, ImportJob
from threshold.web.insights.services import frontdoor_import
from threshold.web.organisations.models import LocalAuthority, School

pytestmark = pytest.mark.django_db

HOSTILE = "=cmd|' /C calc'!A0"
"""A school name that a spreadsheet would run as a command if it were not neutralised."""
ACCENTED = "École Saint-Jérôme & Ørsted’s <b>Academy</b>"
TODAY = dt.date(2026, 11, 20)


def csv_of(response: object) -> pd.DataFrame:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    return pd.read_csv(io.BytesIO(response.content), encoding="utf-8-sig", dtype=str)


def sheet_of(response: object) -> list[list[object]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def downloads(what: str) -> list[AuditEvent]:
    return [
        event
        for event in AuditEvent.objects.filter(action="read").order_by("sequence")
        if event.detail.get("download") == what
    ]


@pytest.fixture
def schools(places: dict[str, LocalAuthority | School]) -> dict[str, School]:
    """The home LA's schools with a hostile and an accented name besides Northmoor Academy."""
    home = places["home_la"]
    return {
        "plain": places["home_school"],
        "hostile": School.objects.create(
            urn=990002, name=HOSTILE, authority=home, phase="primary", pupils_on_roll=300
        ),
        "accented": School.objects.create(
            urn=990003, name=ACCENTED, authority=home, phase="secondary", pupils_on_roll=900
        ),
        "other": places["other_school"],
    }


def add_call(school: School, by: object, when: dt.datetime, **fields: object) -> None:
    InformationLineCall.objects.create(
        school=school,
        caller_role="dsl_lead",
        called_at=when,
        category=fields.get("category", "neglect"),
        advice_route=fields.get("route", "early_help"),
        advice=fields.get("advice", "Talked through the early help assessment."),
        follow_up="",
        minutes=fields.get("minutes", 10),
        recorded_by=by,
    )


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


# The information line's calls -----------------------------------------------------------------


@pytest.fixture
def calls(schools: dict[str, School], make_user: Callable[..., object]) -> object:
    """60 calls in the home LA (over 60 days, most at the hostile school), 1 in the other LA."""
    ssw = make_user(RoleName.SSW)
    for n in range(57):
        add_call(schools["hostile"], ssw, at(TODAY - dt.timedelta(days=n)), minutes=n % 50 + 1)
    add_call(
        schools["accented"],
        ssw,
        at(dt.date(2026, 10, 1)),
        category="threshold",
        route="fis",
        advice="Suggested the parenting course at the Maison Verte centre.",
    )
    add_call(schools["plain"], ssw, at(dt.date(2026, 9, 15)), category="exploitation")
    add_call(schools["plain"], ssw, at(dt.date(2026, 9, 14)), category="exploitation")
    add_call(schools["other"], ssw, at(dt.date(2026, 10, 1)), advice="Maison Verte elsewhere")
    return ssw


def test_calls_page_through_with_their_filters(
    calls: object, schools: dict[str, School], client: Client, sign_in: Callable
) -> None:
    sign_in(client, calls)
    url = reverse("guidance:call_list")
    first = client.get(url)
    assert first.context["page"].paginator.count == 60  # not the other LA's call
    assert len(first.context["calls"]) == 25
    html = first.content.decode()
    assert "60 calls, page 1 of 3" in html
    assert 'class="govuk-pagination' in html
    assert {call.school for call in first.context["calls"]} == {schools["hostile"]}
    last = client.get(url, {"page": "3"})
    assert len(last.context["calls"]) == 10
    assert last.context["calls"][0].school == schools["accented"]  # newest first, ties by entry
    assert f'<td class="govuk-table__cell">{escape(ACCENTED)}</td>' in last.content.decode()
    # Filters keep to every page: the plain school's two calls, then its exploitation ones.
    plain = client.get(url, {"school": schools["plain"].pk, "category": "exploitation"})
    assert [c.school for c in plain.context["calls"]] == [schools["plain"]] * 2
    assert "page=2" not in plain.content.decode()
    filtered = client.get(url, {"search": "hostile", "page": "2"})
    assert filtered.context["page"].paginator.count == 0
    words = client.get(url, {"search": "maison verte"})
    assert [c.school for c in words.context["calls"]] == [schools["accented"]]
    by_urn = client.get(url, {"search": "990003"})
    assert [c.school for c in by_urn.context["calls"]] == [schools["accented"]]
    dated = client.get(url, {"date_from": "2026-09-14", "date_to": "2026-09-15"})
    assert dated.context["page"].paginator.count == 2
    routed = client.get(url, {"route": "fis"})
    assert routed.context["page"].paginator.count == 1
    # Page 2 of a filtered list keeps the filters in its links.
    many = client.get(url, {"category": "neglect"})
    assert "category=neglect&amp;page=2" in many.content.decode()
    # Each search is an audited read naming the words searched for.
    assert AuditEvent.objects.filter(
        action="read", object_type="guidance.informationlinecall", detail__search__search="990003"
    ).exists()


def test_call_filters_that_make_no_sense_are_errors(
    calls: object, client: Client, sign_in: Callable
) -> None:
    sign_in(client, calls)
    url = reverse("guidance:call_list")
    reversed_dates = client.get(url, {"date_from": "2026-10-02", "date_to": "2026-10-01"})
    html = reversed_dates.content.decode()
    assert MSG_DATES_REVERSED in unescape(html)
    assert "<title>Error: " in html
    assert "Download these calls" not in html
    assert "Correct the problem above to see the calls." in html  # not every call, unfiltered
    assert reversed_dates.context["page"].paginator.count == 0
    assert MSG_SEARCH_TOO_LONG in client.get(url, {"search": "x" * 101}).content.decode()
    download = client.get(
        reverse("guidance:call_download"),
        {"date_from": "2026-10-02", "date_to": "2026-10-01", "format": "xlsx"},
    )
    assert download.status_code == 302
    assert download.url == f"{url}?date_from=2026-10-02&date_to=2026-10-01"
    assert not downloads("calls")
    assert client.get(reverse("guidance:call_download"), {"format": "pdf"}).status_code == 404


def test_calls_download_every_page_of_the_search_neutralised_and_audited(
    calls: object, schools: dict[str, School], client: Client, sign_in: Callable
) -> None:
    sign_in(client, calls)
    page = client.get(reverse("guidance:call_list"), {"category": "neglect"}).content.decode()
    assert "Download these calls as" in page
    assert 'href="/guidance/calls/download/?category=neglect&amp;format=csv"' in page
    response = client.get(
        reverse("guidance:call_download"), {"category": "neglect", "format": "csv"}
    )
    assert response["Content-Disposition"].startswith('attachment; filename="information-line-')
    frame = csv_of(response)
    assert list(frame.columns) == [
        "When",
        "School",
        "School URN",
        "Concern",
        "Route advised",
        "Minutes",
    ]
    assert len(frame) == 57  # every page, not 25
    assert not frame["School"].str.startswith("=").any()
    assert set(restore_formulas(frame)["School"]) == {HOSTILE}
    assert frame["Concern"].iloc[0] == "Neglect"
    (event,) = downloads("calls")
    assert event.detail["rows"] == 57
    assert event.detail["format"] == "csv"
    assert event.detail["search"]["category"] == "neglect"
    assert event.actor == "ssw"

    rows = sheet_of(
        client.get(reverse("guidance:call_download"), {"search": "Maison", "format": "xlsx"})
    )
    assert rows[0] == ["When", "School", "School URN", "Concern", "Route advised", "Minutes"]
    assert rows[1][1:] == [
        ACCENTED,
        990003,
        "Which level or route applies",
        "Family Information Service",
        10,
    ]
    assert rows[1][0] == dt.datetime(2026, 10, 1, 10, 0)
    assert len(rows) == 2  # the other LA's call with the same words is not in it
    assert downloads("calls")[-1].detail["rows"] == 1


# The DSL's pathway records ------------------------------------------------------------------


def test_a_dsl_finds_and_downloads_only_their_own_records(
    schools: dict[str, School], make_user: Callable[..., object], client: Client, sign_in: Callable
) -> None:
    dsl = make_user(RoleName.DSL_LEAD)
    deputy = make_user(RoleName.DSL_DEPUTY)
    for n in range(30):
        outcome = PathwayOutcome.objects.create(
            school=schools["plain"],
            recorded_by=dsl,
            answers={},
            recommended_route=Route.EARLY_HELP,
            route_taken=Route.FIS if n % 3 == 0 else Route.EARLY_HELP,
            contacted_front_door=n % 5 == 0,
        )
        when = at(TODAY - dt.timedelta(days=n))
        PathwayOutcome.objects.filter(pk=outcome.pk).update(recorded_at=when)
    PathwayOutcome.objects.create(
        school=schools["plain"],
        recorded_by=deputy,
        answers={},
        recommended_route=Route.POLICE,
        route_taken=Route.POLICE,
        contacted_front_door=True,
    )
    sign_in(client, dsl)
    url = reverse("guidance:outcome_list")
    listed = client.get(url)
    assert listed.context["page"].paginator.count == 30
    assert len(listed.context["outcomes"]) == 25
    assert "30 records, page 1 of 2" in listed.content.decode()
    assert client.get(url, {"route_taken": "fis"}).context["page"].paginator.count == 10
    assert client.get(url, {"contacted": "yes"}).context["page"].paginator.count == 6
    assert client.get(url, {"contacted": "no"}).context["page"].paginator.count == 24
    assert client.get(url, {"search": "northmoor"}).context["page"].paginator.count == 30
    assert client.get(url, {"search": "eastvale"}).context["page"].paginator.count == 0
    week = {
        "date_from-day": "14",
        "date_from-month": "11",
        "date_from-year": "2026",
        "date_to-day": "20",
        "date_to-month": "11",
        "date_to-year": "2026",
    }
    assert client.get(url, week).context["page"].paginator.count == 7
    wrong = client.get(url, {**week, "date_to-day": "31"}).content.decode()
    assert "The 'to' date must be a real date" in unescape(wrong)
    backwards = client.get(url, {**week, "date_to-day": "1"}).content.decode()
    assert MSG_DATES_REVERSED in unescape(backwards)

    frame = csv_of(
        client.get(reverse("guidance:outcome_download"), {"route_taken": "fis", "format": "csv"})
    )
    assert list(frame.columns) == [
        "Date",
        "School",
        "School URN",
        "Recommended",
        "What you did",
        "Front door contacted",
    ]
    assert len(frame) == 10
    assert set(frame["What you did"]) == {"Family Information Service"}
    assert frame["Date"].iloc[0] == TODAY.isoformat()
    (event,) = downloads("pathway outcomes")
    assert (event.detail["rows"], event.detail["search"]["route_taken"]) == (10, "fis")


# The front-door dashboards' tables ----------------------------------------------------------


def contact(school: School, day: str, outcome: str) -> None:
    Contact.objects.create(
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
def front_door(schools: dict[str, School]) -> dict[str, School]:
    """Contacts in 2024/25: 3 from the hostile school (2 NFA), 1 from the accented one, and 40
    more schools of the home LA with none."""
    contact(schools["hostile"], "2024-09-10", "nfa")
    contact(schools["hostile"], "2024-09-11", "nfa")
    contact(schools["hostile"], "2024-10-01", "referral")
    contact(schools["accented"], "2024-10-02", "information_advice")
    for n in range(40):
        School.objects.create(
            urn=990100 + n,
            name=f"Ysgol {n:02d}",
            authority=schools["plain"].authority,
            phase="secondary",
            pupils_on_roll=900 + n,
            pct_fsm=20.0 + n / 10,
        )
    return schools


def test_la_dashboard_tables_download_as_sorted_and_neutralised(
    front_door: dict[str, School],
    make_user: Callable[..., object],
    client: Client,
    sign_in: Callable,
) -> None:
    analyst = make_user(RoleName.LA_ANALYST)
    sign_in(client, analyst)
    page = client.get(reverse("insights:authority", kwargs={"la_code": "990"}), {"year": "2024/25"})
    html = page.content.decode()
    assert "Download the table of schools as" in html
    assert "Download the table by month as" in html
    assert reverse("insights:import_list", kwargs={"la_code": "990"}) in html
    url = reverse("insights:authority_schools_download", kwargs={"la_code": "990"})
    response = client.get(
        url, {"year": "2024/25", "sort": "contacts", "order": "desc", "format": "xlsx"}
    )
    assert response["Content-Disposition"].startswith(
        'attachment; filename="front-door-schools-990-2024-25-'
    )
    rows = sheet_of(response)
    assert rows[0] == [
        "School",
        "URN",
        "Pupils",
        "% FSM",
        "Contacts",
        "Ending in NFA",
        "NFA rate (%)",
        "Non-urgent",
        "Referrals",
        "NFA per 100 pupils",
    ]
    assert len(rows) == 1 + 43  # every school of the home LA, none of the other's
    assert rows[1] == ["'" + HOSTILE, 990002, 300, None, 3, 2, 66.7, 2, 0, 0.67]
    assert rows[2][:2] == [ACCENTED, 990003]
    (event,) = downloads("front-door schools table")
    assert (event.authority_code, event.detail["rows"], event.detail["format"]) == (
        "990",
        43,
        "xlsx",
    )
    assert event.detail["school_year"] == "2024/25"

    months = csv_of(
        client.get(
            reverse("insights:authority_months_download", kwargs={"la_code": "990"}),
            {"year": "2024/25"},
        )
    )
    assert list(months.columns) == ["Month", "Contacts", "Ending in NFA", "Non-urgent", "Referrals"]
    assert months.iloc[0].tolist() == ["Sep 2024", "2", "2", "2", "0"]
    assert months.iloc[1].tolist() == ["Oct 2024", "2", "0", "1", "0"]
    assert len(months) == 2  # no month after the latest contact, as on the page
    assert downloads("front-door months table")[0].detail["rows"] == 2

    other = reverse("insights:authority_schools_download", kwargs={"la_code": "991"})
    assert client.get(other).status_code == 403
    assert client.get(url, {"format": "ods"}).status_code == 404


def test_school_dashboard_tables_download_for_its_dsl_only(
    front_door: dict[str, School],
    make_user: Callable[..., object],
    client: Client,
    sign_in: Callable,
) -> None:
    home = front_door["plain"]
    home.pupils_on_roll, home.pct_fsm = 1000, 25.0
    home.save()
    contact(home, "2024-11-05", "nfa")
    dsl = make_user(RoleName.DSL_LEAD)
    sign_in(client, dsl)
    page = client.get(reverse("insights:school", kwargs={"urn": home.urn}), {"year": "2024/25"})
    assert "Download the comparison as" in page.content.decode()
    comparison = csv_of(
        client.get(
            reverse("insights:school_comparison_download", kwargs={"urn": home.urn}),
            {"year": "2024/25"},
        )
    )
    assert list(comparison.columns)[:3] == [
        "Measure (per 100 pupils on roll)",
        "Your school",
        "Similar schools: middle (median)",
    ]
    assert comparison["Measure (per 100 pupils on roll)"].tolist()[0] == "Contacts"
    assert comparison["Your school"].tolist()[0] == "0.1"
    text = comparison.to_csv()
    assert "Ysgol" not in text  # no other school is named
    assert "calc" not in text
    months = csv_of(
        client.get(
            reverse("insights:school_months_download", kwargs={"urn": home.urn}),
            {"year": "2024/25", "format": "csv"},
        )
    )
    assert months.iloc[2].tolist() == ["Nov 2024", "1", "1", "1", "0"]
    event = downloads("front-door months table")[0]
    assert (event.school_urn, event.detail["rows"]) == (home.urn, 3)
    assert downloads("front-door comparison table")[0].school_urn == home.urn
    for name in ("insights:school_months_download", "insights:school_comparison_download"):
        elsewhere = reverse(name, kwargs={"urn": front_door["hostile"].urn})
        assert client.get(elsewhere).status_code == 403
        assert client.get(reverse(name, kwargs={"urn": 123456})).status_code == 404


# An LA's imports ----------------------------------------------------------------------------

SSD = (
    "cont_contact_id,cont_person_id,cont_contact_date,cont_contact_source_code,"
    "cont_contact_outcome_json,cont_source_school_urn\n"
    'C1,P100,2024-09-10,2A,"{""OUTCOME_NFA_FLAG"": ""Y""}",990001\n'
    'C2,P101,2024-10-02,2A,"{""OUTCOME_NFA_FLAG"": ""N""}",990001\n'
)


def test_an_las_imports_are_listed_filtered_paged_and_downloaded(
    places: dict[str, LocalAuthority | School],
    make_user: Callable[..., object],
    client: Client,
    sign_in: Callable,
    tmp_path: Path,
) -> None:
    home = places["home_la"]
    clean = tmp_path / "clean.csv"
    clean.write_text(SSD, encoding="utf-8")
    frontdoor_import(authority=home, path=clean, format="ssd", by="la_analyst")
    bad = tmp_path / "=HYPERLINK(bad).csv"
    bad.write_text(SSD + "C3,P102,not a date,2A,{},990001\n", encoding="utf-8")
    frontdoor_import(authority=home, path=bad, format="ssd", by="la_analyst")
    analyst = make_user(RoleName.LA_ANALYST)
    lead = make_user(RoleName.LA_LEAD)
    for n in range(26):
        older = FrontDoorImport.objects.create(
            authority=home,
            file_name=f"contacts-{n:02d}.csv",
            file_sha256="0" * 64,
            format="ssd",
            imported_by="la_analyst",
            records=10,
            loaded=10,
            quarantined=0,
        )
        FrontDoorImport.objects.filter(pk=older.pk).update(
            imported_at=at(dt.date(2026, 1, 1) + dt.timedelta(days=n))
        )
    ImportJob.objects.create(
        authority=home, requested_by=analyst, file_name="running.csv", format="ssd", site_url="/"
    )
    ImportJob.objects.create(
        authority=home,
        requested_by=analyst,
        file_name="broken.xml",
        format="cin-xml",
        site_url="/",
        error="The file is not XML",
    )
    FrontDoorImport.objects.create(
        authority=places["other_la"],
        file_name="eastvale.csv",
        file_sha256="1" * 64,
        format="ssd",
        imported_by="someone",
        records=1,
        loaded=1,
        quarantined=0,
    )
    url = reverse("insights:import_list", kwargs={"la_code": "990"})

    sign_in(client, lead)
    listed = client.get(url)
    assert listed.context["page"].paginator.count == 30
    html = listed.content.decode()
    assert "30 imports, page 1 of 2" in html
    assert "eastvale.csv" not in html
    assert "/insights/imports/" not in html  # a lead sees the list, not the imports' pages
    statuses = {
        status: client.get(url, {"status": status}).context["page"].paginator.count
        for status in ("running", "failed", "finished", "quarantined")
    }
    assert statuses == {"running": 1, "failed": 1, "finished": 27, "quarantined": 1}
    january = {"date_from": "2026-01-01", "date_to": "2026-01-10"}
    assert client.get(url, january).context["page"].paginator.count == 10
    backwards = client.get(url, {"date_from": "2026-01-10", "date_to": "2026-01-01"})
    assert MSG_IMPORT_DATES in unescape(backwards.content.decode())
    assert client.get(url, {"status": "lost"}).context["form"].errors["status"]

    sign_in(client, analyst)
    html = client.get(url, {"status": "failed"}).content.decode()
    assert (
        reverse("insights:import_progress", kwargs={"pk": ImportJob.objects.get(error__gt="").pk})
        in html
    )
    frame = csv_of(
        client.get(
            reverse("insights:import_list_download", kwargs={"la_code": "990"}),
            {"status": "quarantined"},
        )
    )
    assert list(frame.columns) == [
        "When",
        "File",
        "Format",
        "By",
        "Status",
        "Records",
        "Quarantined",
    ]
    assert frame.iloc[0].tolist()[1:] == [
        "'=HYPERLINK(bad).csv",
        "ssd",
        "la_analyst",
        "Finished, some records quarantined",
        "3",
        "1",
    ]
    everything = csv_of(
        client.get(reverse("insights:import_list_download", kwargs={"la_code": "990"}))
    )
    assert len(everything) == 30
    event = downloads("front-door imports")[-1]
    assert (event.authority_code, event.detail["rows"]) == ("990", 30)
    elsewhere = reverse("insights:import_list", kwargs={"la_code": "991"})
    assert client.get(elsewhere).status_code == 403


# The audit log ------------------------------------------------------------------------------


def test_the_audit_log_downloads_in_the_readers_scope_and_the_download_is_audited(
    places: dict[str, LocalAuthority | School],
    make_user: Callable[..., object],
    client: Client,
    sign_in: Callable,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for n in range(70):
        audit_read(
            by=HOSTILE if n % 2 else "ssw",
            object_type="programme.session",
            object_id=str(n),
            authority_code="990",
            school_urn=990001,
        )
    audit_read(by="eastvale.ssw", object_type="programme.session", authority_code="991")
    lead = make_user(RoleName.LA_LEAD)
    sign_in(client, lead)
    page = client.get(reverse("audit:event_list"), {"actor": "calc"}).content.decode()
    assert "Download these events as" in page
    url = reverse("audit:event_download")
    frame = csv_of(client.get(url, {"actor": "calc", "format": "csv"}))
    assert list(frame.columns) == ["#", "When", "Who", "What happened", "Record", "Where"]
    assert len(frame) == 35  # every page of the filtered log
    assert set(frame["Who"]) == {"'" + HOSTILE}
    assert frame["Record"].iloc[0] == "programme.session 69"
    assert frame["Where"].iloc[0] == "990 / 990001"
    everything = sheet_of(client.get(url, {"format": "xlsx"}))
    whos = {row[2] for row in everything[1:]}
    assert "eastvale.ssw" not in whos  # another LA's events are not the lead's to read
    (first, second) = downloads("audit log")
    assert (first.detail["rows"], first.detail["filters"], first.authority_code) == (
        35,
        {"actor": "calc"},
        "990",
    )
    assert second.detail["format"] == "xlsx"

    bad = client.get(url, {"date_from": "2026-10-02", "date_to": "2026-10-01"})
    assert bad.status_code == 302
    assert bad.url.startswith(reverse("audit:event_list") + "?date_from=2026-10-02")
    monkeypatch.setattr(audit_views, "DOWNLOAD_MAX", 10)
    refused = client.get(url, follow=True)
    assert "a download holds at most 10" in refused.content.decode()
    assert len(downloads("audit log")) == 2  # nothing was downloaded
    monkeypatch.undo()

    sign_in(client, make_user(RoleName.SSW))
    assert client.get(url).status_code == 403
    admin = make_user(RoleName.SYSTEM_ADMIN)
    sign_in(client, admin)
    whole = csv_of(client.get(url, {"object_type": "programme.session"}))
    assert "eastvale.ssw" in set(whole["Who"])
