"""Finding and exporting in the programme's lists (issue 15): the schedule (schools and
sessions), take-up, the supervision sessions, community-of-practice meetings and programmes:
search, filters kept in the person's scope, GOV.UK pagination, errors at the field for wrong
filter values, and audited CSV and XLSX downloads whose formula cells are neutralised.

The data is harsh (`factories.schedules`): 70 sessions over six schools in two LAs, names with
accents, an apostrophe and a formula."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable

import pandas as pd
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from factories.schedules import (
    ACCENTED_SCHOOL,
    APOSTROPHE_SCHOOL,
    FORMULA_SCHOOL,
    NORDIC_SCHOOL,
    HarshSchedule,
    harsh_schedule,
)
from threshold.model import restore_formulas
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.audit.models import AuditEvent
from threshold.web.programme.downloads import SESSION_COLUMNS, TAKE_UP_COLUMNS
from threshold.web.programme.filters import (
    MSG_AUTHORITY,
    MSG_DATES_REVERSED,
    MSG_SSW,
    MSG_STATUS,
)
from threshold.web.programme.models import CommunityMeeting, Programme
from threshold.web.programme.selectors import folded

SCHEDULE = reverse("programme:school_list")
SCHEDULE_DOWNLOAD = reverse("programme:schedule_download")
TAKE_UP = reverse("programme:take_up")
TAKE_UP_DOWNLOAD = reverse("programme:take_up_download")
SESSIONS = reverse("supervision:session_list")
SESSIONS_DOWNLOAD = reverse("supervision:session_download")
MAIN_SSW_SESSIONS = 65
"""The main SSW's five schools, 13 sessions each (the sixth school is another SSW's)."""


@pytest.fixture
def schedule(places: dict[str, object], make_user: Callable[..., User]) -> HarshSchedule:
    return harsh_schedule(places, make_user(RoleName.SSW))


@pytest.fixture
def ssw(client: Client, schedule: HarshSchedule, sign_in: Callable[..., Client]) -> Client:
    return sign_in(client, schedule.ssw)


@pytest.fixture
def lead(
    client: Client,
    schedule: HarshSchedule,
    make_user: Callable[..., User],
    sign_in: Callable[..., Client],
) -> Client:
    return sign_in(client, make_user(RoleName.LA_LEAD))


def dates(name: str, day: dt.date) -> dict[str, str]:
    """A GOV.UK date input's three values."""
    return {
        f"{name}-day": str(day.day),
        f"{name}-month": str(day.month),
        f"{name}-year": str(day.year),
    }


def page_of(client: Client, url: str, **query: object) -> str:
    response = client.get(url, query)
    assert response.status_code == 200
    return response.content.decode()


def caption_count(html: str) -> int:
    """The count in the table's caption ("65 sessions")."""
    found = re.search(r'govuk-table__caption--m">(\d+) ', html)
    assert found, "no count in the caption"
    return int(found.group(1))


def rows(html: str) -> int:
    """Rows in the table's body."""
    body = html.split('<tbody class="govuk-table__body">', 1)[1].split("</tbody>", 1)[0]
    return body.count('<tr class="govuk-table__row">')


def csv_of(response: object) -> pd.DataFrame:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return pd.read_csv(
        io.BytesIO(response.content), encoding="utf-8-sig", dtype=str, keep_default_na=False
    )


def downloads_audited(user: User) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(actor=user.username, detail__has_key="download").order_by(
            "sequence"
        )
    )


# The schedule's sessions.


def test_the_schedule_lists_an_ssws_sessions_a_page_at_a_time(
    ssw: Client, schedule: HarshSchedule
) -> None:
    first = page_of(ssw, SCHEDULE, view="sessions")
    assert caption_count(first) == MAIN_SSW_SESSIONS
    assert rows(first) == 25
    assert APOSTROPHE_SCHOOL.replace("'", "&#x27;") not in first  # another SSW's school
    assert 'class="govuk-pagination' in first
    assert "?view=sessions&amp;page=2" in first
    last = page_of(ssw, SCHEDULE, view="sessions", page=3)
    assert rows(last) == MAIN_SSW_SESSIONS - 50
    # A page that is not one shows the nearest page, never an error.
    assert rows(page_of(ssw, SCHEDULE, view="sessions", page="last-but-one")) == 25
    assert rows(page_of(ssw, SCHEDULE, view="sessions", page=99)) == MAIN_SSW_SESSIONS - 50


def test_the_schedule_filters_by_status_dates_school_and_la(
    ssw: Client, schedule: HarshSchedule
) -> None:
    mine = [s for s in schedule.sessions if s.ssw_id == schedule.ssw.pk]
    held = [s for s in mine if s.status == "held"]
    written = [s for s in held if hasattr(s, "record")]
    assert 0 < len(written) < len(held)
    for status, expected in (
        ("held", len(held)),
        ("record_written", len(written)),
        ("record_missing", len(held) - len(written)),
        ("cancelled", sum(s.status == "cancelled" for s in mine)),
        ("planned", sum(s.status == "" for s in mine)),
    ):
        html = page_of(ssw, SCHEDULE, view="sessions", status=status)
        assert caption_count(html) == expected, status
    today = timezone.localdate()
    start, end = today - dt.timedelta(weeks=6), today + dt.timedelta(weeks=6)
    within = [s for s in mine if start <= timezone.localdate(s.scheduled_for) <= end]
    html = page_of(
        ssw, SCHEDULE, view="sessions", **dates("date_from", start), **dates("date_to", end)
    )
    assert caption_count(html) == len(within)
    # The filters are kept in the pagination's links and the download links.
    html = page_of(ssw, SCHEDULE, view="sessions", status="held")
    assert "status=held&amp;page=2" in html
    assert f"{SCHEDULE_DOWNLOAD}?view=sessions&amp;status=held&amp;format=xlsx" in html
    # Search: a URN, or part of a name (accents and all); LA: the SSW covers two.
    assert caption_count(page_of(ssw, SCHEDULE, view="sessions", search="990003")) == 13
    assert caption_count(page_of(ssw, SCHEDULE, view="sessions", search="thérèse")) == 13
    # … whatever the case and accents, as people type names.
    for typed in ("ÉCOLE SAINTE", "ecole  sainte-therese", "oresund"):
        assert caption_count(page_of(ssw, SCHEDULE, view="sessions", search=typed)) == 13, typed
    assert ACCENTED_SCHOOL in page_of(ssw, SCHEDULE, view="sessions", search="Sainte")
    assert caption_count(page_of(ssw, SCHEDULE, view="sessions", authority="991")) == 26
    assert caption_count(page_of(ssw, SCHEDULE, view="sessions", school="991002")) == 13


def test_an_empty_result_offers_to_clear_the_filters(ssw: Client, schedule: HarshSchedule) -> None:
    html = page_of(ssw, SCHEDULE, view="sessions", search="no such school")
    assert caption_count(html) == 0
    clear = f'<a class="govuk-link" href="{SCHEDULE}?view=sessions">clear the filters</a>'
    assert f"No sessions match: {clear}" in html
    assert "Download these sessions" not in html


def test_wrong_filter_values_are_errors_at_their_fields_and_never_widen_the_list(
    ssw: Client, schedule: HarshSchedule
) -> None:
    # The SSW sees only their own sessions: there is no SSW to choose, and another SSW's id
    # or an LA they do not cover is refused, not obeyed.
    html = page_of(ssw, SCHEDULE, view="sessions", authority="999", status="sometime")
    assert "There is a problem" in html
    assert MSG_AUTHORITY in html
    assert MSG_STATUS in html
    assert html.count('class="govuk-error-message"') == 2
    assert caption_count(html) == MAIN_SSW_SESSIONS
    html = page_of(ssw, SCHEDULE, view="sessions", ssw=schedule.other_ssw.pk)
    assert MSG_SSW not in html
    assert caption_count(html) == MAIN_SSW_SESSIONS
    today = timezone.localdate()
    html = page_of(
        ssw,
        SCHEDULE,
        view="sessions",
        **{"date_from-day": "31", "date_from-month": "2", "date_from-year": "2026"},
    )
    assert "The ‘from’ date must be a real date" in html
    html = page_of(
        ssw,
        SCHEDULE,
        view="sessions",
        **dates("date_from", today),
        **dates("date_to", today - dt.timedelta(days=1)),
    )
    assert MSG_DATES_REVERSED in html
    assert "<title>Error: " in html
    # A download with a wrong filter goes back to the list, where the error shows.
    response = ssw.get(
        SCHEDULE_DOWNLOAD, {"view": "sessions", "status": "sometime", "format": "csv"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(f"{SCHEDULE}?")
    assert "format" not in response["Location"]
    assert MSG_STATUS in ssw.get(response["Location"]).content.decode()
    assert downloads_audited(schedule.ssw) == []


def test_the_la_lead_chooses_an_ssw_and_sees_only_their_las_sessions(
    lead: Client, schedule: HarshSchedule
) -> None:
    html = page_of(lead, SCHEDULE, view="sessions")
    assert caption_count(html) == 13 * 3 + 4  # the home LA's four schools
    assert NORDIC_SCHOOL not in html
    assert "Zoë Ångström" in html  # a choice of SSW
    assert 'name="authority"' not in html  # one LA
    html = page_of(lead, SCHEDULE, view="sessions", ssw=schedule.other_ssw.pk)
    assert caption_count(html) == 4
    assert APOSTROPHE_SCHOOL.replace("'", "&#x27;") in html
    # A school of the other LA is not a choice.
    html = page_of(lead, SCHEDULE, view="sessions", school="991002")
    assert "Select a school from the list" in html


def test_the_schedule_downloads_as_csv_and_xlsx_with_the_filters_audited(
    ssw: Client, schedule: HarshSchedule
) -> None:
    frame = csv_of(ssw.get(SCHEDULE_DOWNLOAD, {"view": "sessions", "format": "csv"}))
    assert list(frame.columns) == list(SESSION_COLUMNS)
    assert len(frame) == MAIN_SSW_SESSIONS
    names = set(frame["School"])
    assert FORMULA_SCHOOL not in names  # neutralised …
    assert not any(name[0] in "=+-@" for name in names)
    assert FORMULA_SCHOOL in set(restore_formulas(frame)["School"])  # … and restorable
    assert {ACCENTED_SCHOOL, NORDIC_SCHOOL} <= names
    assert set(frame["Local authority"]) == {"Northmoor", "Eastvale"}
    assert set(frame["Status"]) == {"Planned", "Held", "Cancelled"}
    assert set(frame["Record written"]) == {"Yes", "No", ""}
    assert set(frame.loc[frame["Status"] != "Held", "Record written"]) == {""}
    assert set(frame["Place"]) == {"Online", "Face to face, in school"}
    assert re.fullmatch(r"\d\d:\d\d", frame["Time"].iloc[0])
    # Nothing of a record's content.
    assert not frame.isin(["Fine", "A case", "Reflected", "Discussed"]).any().any()

    response = ssw.get(
        SCHEDULE_DOWNLOAD, {"status": "record_missing", "authority": "990", "format": "xlsx"}
    )
    assert response.status_code == 200
    assert 'filename="supervision-schedule-' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]] == list(SESSION_COLUMNS)
    body = list(sheet.iter_rows(min_row=2, values_only=True))
    expected = sum(
        1
        for s in schedule.sessions
        if s.ssw_id == schedule.ssw.pk
        and s.status == "held"
        and not hasattr(s, "record")
        and s.enrolment.school.authority.la_code == "990"
    )
    assert len(body) == expected > 0
    assert {row[9] for row in body} == {"No"}
    formula_cells = [c for c in sheet["A"][1:] if "HYPERLINK" in c.value]
    assert formula_cells
    assert all(c.data_type == "s" and c.value.startswith("'=") for c in formula_cells)

    first, second = downloads_audited(schedule.ssw)
    assert (first.action, first.object_type) == ("read", "programme.supervisionsession")
    assert first.detail["download"] == "schedule"
    assert (first.detail["format"], first.detail["rows"]) == ("csv", MAIN_SSW_SESSIONS)
    assert first.detail["authorities"] == ["990", "991"]
    assert first.authority_code == ""
    assert (second.detail["format"], second.detail["rows"]) == ("xlsx", expected)
    assert second.detail["filters"] == {"authority": "990", "status": "record_missing"}
    assert second.authority_code == "990"
    assert ssw.get(SCHEDULE_DOWNLOAD, {"format": "pdf"}).status_code == 404


def test_a_dsl_downloads_only_their_schools_sessions(
    client: Client,
    schedule: HarshSchedule,
    make_user: Callable[..., User],
    sign_in: Callable[..., Client],
) -> None:
    sign_in(client, make_user(RoleName.DSL_LEAD))
    frame = csv_of(client.get(SCHEDULE_DOWNLOAD, {"format": "csv"}))
    assert set(frame["URN"]) == {"990001"}
    assert len(frame) == 13
    frame = csv_of(client.get(SESSIONS_DOWNLOAD, {"format": "csv"}))
    assert set(frame["URN"]) == {"990001"}
    assert len(frame) == 13
    html = page_of(client, SCHEDULE, view="sessions")
    assert 'name="school"' not in html
    assert 'name="ssw"' not in html


# The schedule's schools.


def test_the_schedules_schools_are_searched_and_filtered(
    lead: Client, schedule: HarshSchedule
) -> None:
    html = page_of(lead, SCHEDULE)
    assert caption_count(html) == 4
    assert 'aria-current="page">Schools</a>' in html
    html = page_of(lead, SCHEDULE, search="thérèse")
    assert caption_count(html) == 1
    assert ACCENTED_SCHOOL in html
    html = page_of(lead, SCHEDULE, ssw=schedule.other_ssw.pk)
    assert caption_count(html) == 1
    html = page_of(lead, SCHEDULE, search="st mary’s")  # a typographic apostrophe
    assert caption_count(html) == 1
    html = page_of(lead, SCHEDULE, search="=HYPERLINK")
    assert caption_count(html) == 1
    html = page_of(lead, SCHEDULE, search="Nobody's school")
    assert (
        f'No schools match: <a class="govuk-link" href="{SCHEDULE}">clear the filters</a>' in html
    )


# Take-up.


def test_take_up_is_filtered_and_downloads_each_school_with_its_counts_and_flags(
    ssw: Client, schedule: HarshSchedule
) -> None:
    html = page_of(ssw, TAKE_UP)
    assert f"{TAKE_UP_DOWNLOAD}?format=csv" in html
    html = page_of(ssw, TAKE_UP, authority="991")
    assert "2 schools match" in html
    assert "Eastvale" in html
    frame = csv_of(ssw.get(TAKE_UP_DOWNLOAD, {"format": "csv"}))
    assert list(frame.columns) == list(TAKE_UP_COLUMNS)
    assert len(frame) == 5
    restored = restore_formulas(frame).set_index("URN")
    formula = restored.loc["990002"]
    assert formula["School"] == FORMULA_SCHOOL
    assert frame.set_index("URN").loc["990002", "School"].startswith("'=")
    held = sum(
        1 for s in schedule.sessions if s.enrolment.school.urn == 990002 and s.status == "held"
    )
    assert int(formula["Sessions held"]) == held
    assert formula["Planned for the year"] == "8"
    assert formula["No session yet"] == "No"
    assert set(frame["Overdue"]) <= {"Yes", "No"}
    frame = csv_of(ssw.get(TAKE_UP_DOWNLOAD, {"format": "csv", "search": "ørsund"}))
    assert len(frame) == 0
    frame = csv_of(ssw.get(TAKE_UP_DOWNLOAD, {"format": "csv", "search": "Øresund"}))
    assert list(frame["School"]) == [NORDIC_SCHOOL]
    (event, *_), last = downloads_audited(schedule.ssw), downloads_audited(schedule.ssw)[-1]
    assert (event.object_type, event.detail["download"], event.detail["rows"]) == (
        "programme.enrolment",
        "take-up",
        5,
    )
    assert last.detail["filters"] == {"search": "Øresund"}
    response = ssw.get(TAKE_UP_DOWNLOAD, {"format": "csv", "authority": "999"})
    assert response.status_code == 302
    assert response["Location"].startswith(TAKE_UP)


def test_the_la_lead_takes_up_their_la_only(lead: Client, schedule: HarshSchedule) -> None:
    sheet = load_workbook(io.BytesIO(lead.get(TAKE_UP_DOWNLOAD, {"format": "xlsx"}).content)).active
    urns = sorted(row[1] for row in sheet.iter_rows(min_row=2, values_only=True))
    assert urns == [990001, 990002, 990003, 990004]
    html = page_of(lead, TAKE_UP, ssw=schedule.other_ssw.pk)
    assert "1 school matches" in html


# The supervision sessions.


def test_the_supervision_sessions_are_filtered_paged_and_downloaded(
    ssw: Client, schedule: HarshSchedule
) -> None:
    # An SSW reads the supervision records of every school in the LAs where they work (the
    # other SSW's school too), so here they may choose an SSW.
    everything = len(schedule.sessions)
    html = page_of(ssw, SESSIONS)
    assert caption_count(html) == everything
    assert rows(html) == 25
    assert "?page=2" in html
    assert caption_count(page_of(ssw, SESSIONS, ssw=schedule.other_ssw.pk)) == 4
    html = page_of(ssw, SESSIONS, status="record_missing", search="Northmoor")
    missing = [
        s
        for s in schedule.sessions
        if s.enrolment.school.urn == 990001 and s.status == "held" and not hasattr(s, "record")
    ]
    assert caption_count(html) == len(missing) > 0
    assert "Write the record" in html
    html = page_of(ssw, SESSIONS, status="nonsense")
    assert MSG_STATUS in html
    assert caption_count(html) == everything
    frame = csv_of(ssw.get(SESSIONS_DOWNLOAD, {"format": "csv", "status": "record_written"}))
    assert set(frame["Record written"]) == {"Yes"}
    assert list(frame.columns) == list(SESSION_COLUMNS)
    (event,) = downloads_audited(schedule.ssw)
    assert (event.detail["download"], event.detail["rows"]) == ("supervision sessions", len(frame))
    html = page_of(ssw, SESSIONS, search="nothing like it")
    assert (
        f'No sessions match: <a class="govuk-link" href="{SESSIONS}">clear the filters</a>' in html
    )


# Meetings and programmes.


def test_meetings_are_paged_and_filtered_by_date(
    ssw: Client, schedule: HarshSchedule, places: dict[str, object]
) -> None:
    today = timezone.localdate()
    for weeks in range(30):
        meeting = CommunityMeeting.objects.create(
            authority=places["home_la"],
            held_on=today - dt.timedelta(weeks=weeks),
            topics=f"Topic {weeks}",
        )
        meeting.attendees.add(schedule.ssw)
    html = page_of(ssw, reverse("programme:meeting_list"))
    assert caption_count(html) == 30
    assert rows(html) == 25
    html = page_of(
        ssw,
        reverse("programme:meeting_list"),
        **dates("date_from", today - dt.timedelta(weeks=3)),
    )
    assert caption_count(html) == 4
    html = page_of(ssw, reverse("programme:meeting_list"), authority="991")
    assert caption_count(html) == 0
    assert "No meetings match" in html
    html = page_of(ssw, reverse("programme:meeting_list"), authority="992")
    assert MSG_AUTHORITY in html


def test_programmes_are_filtered_by_school_year(lead: Client, places: dict[str, object]) -> None:
    for year in range(2020, 2026):
        Programme.objects.create(
            authority=places["home_la"],
            school_year=f"{year}/{(year + 1) % 100:02d}",
            starts_on=dt.date(year, 9, 1),
            ends_on=dt.date(year + 1, 7, 20),
        )
    html = page_of(lead, reverse("programme:programme_list"))
    assert caption_count(html) == 7
    html = page_of(lead, reverse("programme:programme_list"), school_year="2021/22")
    assert caption_count(html) == 1
    assert "2021/22" in html
    html = page_of(lead, reverse("programme:programme_list"), school_year="1999/00")
    assert "Select a school year from the list" in html


def test_a_schools_schedule_downloads_its_sessions(lead: Client, schedule: HarshSchedule) -> None:
    html = page_of(lead, reverse("programme:school_schedule", kwargs={"urn": 990003}))
    link = f"{SCHEDULE_DOWNLOAD}?school=990003&amp;format=csv"
    assert link in html
    frame = csv_of(lead.get(link.replace("&amp;", "&")))
    assert set(frame["School"]) == {ACCENTED_SCHOOL}
    assert len(frame) == 13
    assert list(frame["Date"]) == sorted(frame["Date"])  # the schedule's order: by date


@pytest.mark.parametrize(
    ("name", "typed"),
    [
        ("École Sainte-Thérèse", "ecole sainte-therese"),
        ("Øresund Free School", "ORESUND"),
        ("St Mary's C of E Primary", "st mary’s"),
        ("Straße  Academy", "strasse academy"),
    ],
)
def test_a_search_ignores_case_accents_and_typographic_marks(name: str, typed: str) -> None:
    assert folded(typed) in folded(name)
    assert folded("Other School") != folded(name)
