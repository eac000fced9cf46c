"""Programmes without a trial: the LA lead enrols schools directly, chosen from the LA's open
schools or listed in a CSV of URNs (from a downloadable template whose formula cells are
neutralised). A school chosen for a trial, or in a trial's allocation, is never enrolled or
changed this way; the export still meets the data contract."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from threshold.model import check_directory, read_table
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.audit.models import AuditEvent
from threshold.web.organisations.models import LocalAuthority, School, SchoolStatus
from threshold.web.programme import services
from threshold.web.programme.models import Enrolment, Programme
from threshold.web.programme.selectors import DIRECT_BLOCK
from threshold.web.programme.services import DirectEnrolmentRefused
from threshold.web.trials.models import Trial, TrialSchool

ACTOR = "test"
FORMULA = '=HYPERLINK("http://x","y")'


@pytest.fixture
def programme(places: dict[str, object]) -> Programme:
    """Northmoor's programme; besides the home school, Northmoor has St Bede's (with its
    figures), a closed school, and a school whose name starts like a formula."""
    home = places["home_la"]
    School.objects.create(
        urn=990002,
        name="St Bede's",
        authority=home,
        phase="primary",
        pupils_on_roll=212,
        pct_fsm=31.5,
    )
    School.objects.create(
        urn=990003,
        name="Old Mill School",
        authority=home,
        phase="primary",
        status=SchoolStatus.CLOSED,
        closed_on=dt.date(2023, 8, 31),
    )
    School.objects.create(urn=990004, name=FORMULA, authority=home, phase="secondary")
    return Programme.objects.create(
        authority=home,
        school_year="2024/25",
        starts_on=dt.date(2024, 9, 2),
        ends_on=dt.date(2025, 7, 18),
    )


@pytest.fixture
def lead(make_user: Callable[..., User], sign_in: Callable[..., Client], client: Client) -> Client:
    return sign_in(client, make_user(RoleName.LA_LEAD))


def url(name: str, programme: Programme) -> str:
    return reverse(f"programme:{name}", kwargs={"pk": programme.pk})


def upload(text: str, name: str = "enrolments.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def enrolled(programme: Programme) -> dict[int, tuple[str, str, object, object]]:
    return {
        e.school.urn: (e.arm, e.block, e.random_number, e.allocation_order)
        for e in programme.enrolments.select_related("school")
    }


def allocate(programme: Programme, school: School) -> Enrolment:
    """`school` as a trial's randomisation enrols it: in a block, with its draw."""
    return Enrolment.objects.create(
        programme=programme,
        school=school,
        arm="control",
        block="990-high",
        random_number=0.4,
        allocation_order=2,
    )


def test_the_choice_lists_the_las_open_schools_not_yet_enrolled_with_their_figures(
    programme: Programme, lead: Client, places: dict[str, object]
) -> None:
    allocate(programme, places["home_school"])
    page = lead.get(url("enrolments_choose", programme)).content.decode()
    assert 'value="990002"' in page
    assert "212" in page
    assert "31.5" in page
    assert "Primary" in page
    assert 'value="990004"' in page
    for absent in ("990001", "990003", "991001"):  # enrolled, closed, another LA's
        assert f'value="{absent}"' not in page


def test_chosen_schools_are_enrolled_as_treatment_without_a_draw_and_audited(
    programme: Programme, lead: Client
) -> None:
    response = lead.post(url("enrolments_choose", programme), {"schools": ["990002", "990004"]})
    assert response.status_code == 302
    assert enrolled(programme) == {
        990002: ("treatment", DIRECT_BLOCK, None, None),
        990004: ("treatment", DIRECT_BLOCK, None, None),
    }
    event = AuditEvent.objects.get(object_type="programme.programme", action="create")
    assert event.detail["enrolled_directly"] == [990002, 990004]
    assert event.authority_code == programme.authority.la_code
    page = lead.get(response["Location"]).content.decode()
    assert "Schools enrolled: 2 new, 0 already enrolled" in page
    assert "(enrolled directly)" in page


def test_choosing_nothing_or_a_school_not_offered_is_refused(
    programme: Programme, lead: Client
) -> None:
    nothing = lead.post(url("enrolments_choose", programme), {})
    assert "Choose at least one school to enrol" in nothing.content.decode()
    elsewhere = lead.post(url("enrolments_choose", programme), {"schools": ["991001"]})
    assert "991001 is not one of them" in elsewhere.content.decode()
    assert not programme.enrolments.exists()


def test_a_school_chosen_for_a_trial_is_shown_but_cannot_be_chosen(
    programme: Programme, lead: Client, make_user: Callable[..., User]
) -> None:
    trial = Trial.objects.create(name="Northmoor trial", created_by=make_user(RoleName.EVALUATOR))
    trial.programmes.add(programme)
    TrialSchool.objects.create(trial=trial, school=School.objects.get(urn=990002))
    page = lead.get(url("enrolments_choose", programme)).content.decode()
    assert "Chosen for the trial “Northmoor trial”" in page
    assert 'value="990002"' not in page
    with pytest.raises(DirectEnrolmentRefused) as refused:
        services.enrolments_add(
            programme=programme, schools=list(School.objects.filter(urn=990002)), by=ACTOR
        )
    assert "is chosen for the trial “Northmoor trial”" in str(refused.value)
    assert not programme.enrolments.exists()


def test_a_trial_allocation_is_never_changed_and_refusal_is_all_or_nothing(
    programme: Programme, places: dict[str, object]
) -> None:
    allocated = allocate(programme, places["home_school"])
    schools = list(School.objects.filter(urn__in=[990001, 990002, 990003, 991001]))
    with pytest.raises(DirectEnrolmentRefused) as refused:
        services.enrolments_add(programme=programme, schools=schools, by=ACTOR)
    problems = refused.value.problems
    assert len(problems) == 3
    assert any("in the trial's allocation (control, block 990-high)" in p for p in problems)
    assert any("Old Mill School (990003) is closed" in p for p in problems)
    assert any("is in Eastvale, not Northmoor" in p for p in problems)
    assert enrolled(programme) == {990001: ("control", "990-high", 0.4, 2)}
    allocated.refresh_from_db()
    assert allocated.arm == "control"


def test_a_file_of_urns_enrols_all_or_nothing_and_again_changes_nothing(
    programme: Programme, lead: Client
) -> None:
    text = "urn,school_name\n990002,st  bede's\n990001,\n"
    response = lead.post(url("enrolments_upload", programme), {"file": upload(text)})
    assert response.status_code == 302
    assert set(enrolled(programme)) == {990001, 990002}
    events = AuditEvent.objects.filter(object_type="programme.programme", action="import")
    assert events.count() == 1
    assert events.get().detail["source"] == "enrolments.csv"
    again = lead.post(url("enrolments_upload", programme), {"file": upload(text)}, follow=True)
    assert "Schools enrolled: 0 new, 2 already enrolled" in again.content.decode()
    assert events.count() == 1
    assert set(enrolled(programme)) == {990001, 990002}


def test_every_bad_row_is_named_with_its_field_and_nothing_is_enrolled(
    programme: Programme, lead: Client
) -> None:
    text = (
        "urn,school_name\n"
        "990002,St Bede's\n"
        "999999,Nowhere\n"
        "990003,Old Mill School\n"
        "991001,Eastvale College\n"
        "990001,St Bede's\n"
        "abc,\n"
        "990002,\n"
    )
    page = lead.post(url("enrolments_upload", programme), {"file": upload(text)})
    body = page.content.decode().replace("&#x27;", "'").replace("&quot;", '"')
    assert "Nothing was enrolled: the file has 6 problem(s)" in body
    for expected in (
        "enrolments.csv row 2 [urn]: school 999999 is not in Threshold",
        "enrolments.csv row 3 [urn]: Old Mill School (990003) is closed",
        "enrolments.csv row 4 [urn]: Eastvale College (991001) is in Eastvale, not Northmoor",
        "enrolments.csv row 5 [school_name]: school 990001 is 'Northmoor Academy' in the "
        'register, not "St Bede\'s"',
        "enrolments.csv row 6 [urn]: 'abc' is not a URN",
        "enrolments.csv row 7 [urn]: school 990002 is already on row 1",
    ):
        assert expected in body
    assert not programme.enrolments.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"school,arm\n990002,treatment\n", "[header]: the first line must be urn,school_name"),
        (b"urn,school_name\n", "the file has no schools"),
        ("urn,school_name\n990002,Café\n".encode("latin-1"), "is not a CSV saved as UTF-8"),
    ],
)
def test_a_file_of_the_wrong_shape_is_refused_with_the_fix(
    programme: Programme, lead: Client, content: bytes, message: str
) -> None:
    file = SimpleUploadedFile("schools.csv", content, content_type="text/csv")
    page = lead.post(url("enrolments_upload", programme), {"file": file}).content.decode()
    assert f"schools.csv{'' if message.startswith('[') else ': '}" in page
    assert message in page
    assert not programme.enrolments.exists()


def test_the_template_lists_the_schools_with_formula_cells_neutralised_and_reads_back(
    programme: Programme, lead: Client, make_user: Callable[..., User]
) -> None:
    trial = Trial.objects.create(name="A trial", created_by=make_user(RoleName.EVALUATOR))
    TrialSchool.objects.create(trial=trial, school=School.objects.get(urn=990002))
    response = lead.get(url("enrolments_template", programme))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["urn"], r["school_name"]) for r in rows] == [
        ("990004", "'" + FORMULA),
        ("990001", "Northmoor Academy"),
    ]
    back = lead.post(url("enrolments_upload", programme), {"file": upload(text)})
    assert back.status_code == 302
    assert set(enrolled(programme)) == {990001, 990004}


def test_another_las_lead_may_not_enrol_or_download(
    programme: Programme,
    places: dict[str, LocalAuthority],
    sign_in: Callable[..., Client],
    client: Client,
) -> None:
    from threshold.web.accounts.services import membership_grant, user_create

    other = user_create(username="eastvale_lead", password="x" * 16, by=ACTOR)
    membership_grant(user=other, role=RoleName.LA_LEAD, authority=places["other_la"], by=ACTOR)
    sign_in(client, other)
    for name in ("enrolments_choose", "enrolments_upload", "enrolments_template"):
        assert client.get(url(name, programme)).status_code == 403
    assert (
        client.post(url("enrolments_choose", programme), {"schools": ["990002"]}).status_code == 403
    )
    assert not programme.enrolments.exists()


def test_the_export_meets_the_contract_with_schools_enrolled_directly(
    programme: Programme, places: dict[str, object], tmp_path: Path
) -> None:
    allocate(programme, places["home_school"])
    services.enrolments_add(
        programme=programme, schools=list(School.objects.filter(urn=990002)), by=ACTOR
    )
    call_command("delivery_export", str(tmp_path))
    assert check_directory(tmp_path) == []
    allocations = read_table(tmp_path, "allocations")
    assert list(allocations["urn"]) == [990001]
    assert 990002 in set(read_table(tmp_path, "schools")["urn"])
