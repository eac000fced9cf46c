"""Organisations: loading LAs and schools from a GIAS extract (preview, apply, audit, closures,
successors) in services and pages; closed schools refused at enrolment; each LA's settings."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from django.db import DatabaseError, connection
from django.test import Client
from django.utils import timezone

from threshold.model import read_table
from threshold.register import read_census, read_links, read_register, school_table
from threshold.register.schools import MSG_NO_PHASE
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.accounts.services import membership_grant, user_create
from threshold.web.audit.models import AuditAction, AuditEvent
from threshold.web.organisations import uploads
from threshold.web.organisations.demo import seed_demo_settings
from threshold.web.organisations.models import LocalAuthority, School, SchoolStatus
from threshold.web.organisations.selectors import (
    REASON_CLOSED,
    REASON_MISSING,
    authorities_readable,
    gias_plan,
    help_authority,
)
from threshold.web.organisations.services import organisations_gias_apply
from threshold.web.organisations.views import MSG_APPLIED, MSG_STALE_PREVIEW
from threshold.web.programme.services import (
    MSG_SCHOOL_CLOSED,
    ProgrammeError,
    enrolments_import,
    programme_create,
)

DATA = Path(__file__).resolve().parents[2] / "data"
GIAS_SAMPLE = DATA / "gias_open_schools_2025-07-11.csv"
CENSUS = DATA / "school_census_2020-01_la201-204.csv"
ACTOR = "test"
COLUMNS = (
    "URN,EstablishmentName,LA (code),LA (name),TypeOfEstablishment (name),"
    "PhaseOfEducation (name),EstablishmentStatus (name),CloseDate,NumberOfPupils\n"
)
EXTRACT = COLUMNS + (
    "990001,Northmoor Academy Trust,990,Northmoor,Academy converter,Secondary,Open,,900\n"
    "990002,Hollins Park Primary,990,Northmoor,Community school,Primary,Open,,210\n"
    "990003,St Bede's,990,Northmoor,Voluntary aided school,Primary,Closed,31-08-2025,\n"
    "990004,St Bede's Academy,990,Northmoor,Academy converter,Primary,Open,,190\n"
    "990006,Little Acorns Nursery,990,Northmoor,Local authority nursery school,Nursery,Open,,40\n"
    "991001,Eastvale College,991,Eastvale,Academy converter,Secondary,Open,,1000\n"
    "991002,Eastvale Primary,991,Eastvale,Community school,Primary,Open,,300\n"
)
LINKS = "URN,LinkURN,LinkType,LinkEstablishedDate\n990003,990004,Successor,01-09-2025\n"


@pytest.fixture
def extract(tmp_path: Path, places: dict[str, object]) -> dict[str, Path]:
    """The hand-made extract and links file; St Bede's (990003) and Moor Lane (990005) open in
    Threshold, the one closed in GIAS, the other no longer in the extract."""
    for urn, name in ((990003, "St Bede's"), (990005, "Moor Lane")):
        School.objects.create(urn=urn, name=name, authority=places["home_la"], phase="primary")
    (tmp_path / "gias.csv").write_text(EXTRACT, encoding="utf-8")
    (tmp_path / "links.csv").write_text(LINKS, encoding="utf-8")
    return {"gias": tmp_path / "gias.csv", "links": tmp_path / "links.csv"}


def _plan(files: dict[str, Path], la_codes: list[str]) -> object:
    return gias_plan(
        register=read_register(files["gias"]),
        census=None,
        links=read_links(files["links"]),
        la_codes=la_codes,
        today=timezone.localdate(),
    )


def _apply(files: dict[str, Path], la_codes: list[str], census: Path | None = None) -> object:
    return organisations_gias_apply(
        register=read_register(files["gias"]),
        census=None if census is None else read_census(census),
        links=None if "links" not in files else read_links(files["links"]),
        la_codes=la_codes,
        source={"gias": "test"},
        by=ACTOR,
    )


def test_the_preview_lists_additions_changes_closures_and_successors_and_changes_nothing(
    extract: dict[str, Path],
) -> None:
    plan = _plan(extract, ["990"])
    assert [(p.urn, p.phase) for p in plan.additions] == [(990002, "Primary"), (990004, "Primary")]
    assert [(p.urn, p.changes) for p in plan.changes] == [
        (
            990001,
            (
                ("Name", "Northmoor Academy", "Northmoor Academy Trust"),
                ("Pupils on roll", "", "900"),
            ),
        )
    ]
    closures = {p.urn: p for p in plan.closures}
    assert closures[990003].reason == REASON_CLOSED
    assert closures[990003].values["closed_on"].isoformat() == "2025-08-31"
    assert closures[990003].values["successor_urn"] == 990004
    assert closures[990005].reason == REASON_MISSING.format(la_code="990")
    assert closures[990005].values["closed_on"] == timezone.localdate()
    assert [(p.urn, p.successor) for p in plan.successors] == [(990003, "990004 St Bede's Academy")]
    assert School.objects.filter(status=SchoolStatus.OPEN).count() == 4
    assert not School.objects.filter(urn=990002).exists()


def test_apply_changes_the_chosen_las_only_audits_each_and_reapplying_changes_nothing(
    extract: dict[str, Path],
) -> None:
    counts = _apply(extract, ["990"])
    assert (counts.schools_added, counts.schools_changed, counts.schools_closed) == (2, 1, 2)
    assert counts.successors == 1
    bede = School.objects.get(urn=990003)
    assert (bede.status, bede.successor_urn) == (SchoolStatus.CLOSED, 990004)
    assert School.objects.get(urn=990001).name == "Northmoor Academy Trust"
    assert School.objects.get(urn=990005).status == SchoolStatus.CLOSED
    assert not School.objects.filter(urn__in=[990006, 991002]).exists()  # nursery; LA not chosen
    events = list(AuditEvent.objects.filter(action=AuditAction.IMPORT))
    assert [
        (e.object_id, e.detail["schools_added"], e.detail["schools_closed"]) for e in events
    ] == [("990", 2, 2)]

    again = _apply(extract, ["990"])
    assert vars(again) == dict.fromkeys(vars(again), 0)
    assert AuditEvent.objects.filter(action=AuditAction.IMPORT).count() == 1


def test_the_gias_sample_with_the_census_loads_four_las_with_contract_phases(db: None) -> None:
    expected = school_table(read_register(GIAS_SAMPLE), read_census(CENSUS))
    codes = ["201", "202", "203", "204"]
    counts = _apply({"gias": GIAS_SAMPLE}, codes, census=CENSUS)
    assert counts.authorities_created == 4
    assert counts.schools_added == len(expected) == School.objects.count()
    loaded = pd.DataFrame(School.objects.values("urn", "phase", "authority__la_code"))
    assert sorted(zip(expected["urn"], expected["phase"], expected["la_code"], strict=True)) == (
        sorted(zip(loaded["urn"], loaded["phase"], loaded["authority__la_code"], strict=True))
    )
    again = _apply({"gias": GIAS_SAMPLE}, codes, census=CENSUS)
    assert vars(again) == dict.fromkeys(vars(again), 0)


@pytest.fixture
def admin(client: Client, make_user: Callable[..., User], sign_in: Callable[..., Client]) -> Client:
    return sign_in(client, make_user(RoleName.SYSTEM_ADMIN))


def _upload(admin: Client, files: dict[str, Path]) -> object:
    handles = {kind: path.open("rb") for kind, path in files.items()}
    try:
        return admin.post("/organisations/gias/", handles)
    finally:
        for handle in handles.values():
            handle.close()


def _digest(response: object) -> str:
    return re.search(r'name="digest" value="(\w+)"', response.content.decode()).group(1)


def test_admin_uploads_previews_and_applies_in_the_pages(
    admin: Client, extract: dict[str, Path]
) -> None:
    assert _upload(admin, extract)["Location"] == "/organisations/gias/preview/"
    preview = admin.get("/organisations/gias/preview/", {"la": ["990"]})
    assert "Northmoor Academy Trust" in preview.content.decode()
    assert "Closed in GIAS." in preview.content.decode()
    assert not School.objects.filter(urn=990002).exists()

    response = admin.post(
        "/organisations/gias/apply/", {"digest": _digest(preview), "la": ["990"]}, follow=True
    )
    message = MSG_APPLIED.format(
        authorities_created=0,
        authorities_renamed=0,
        schools_added=2,
        schools_changed=1,
        schools_closed=2,
        successors=1,
    )
    assert message in response.content.decode()
    assert School.objects.filter(urn=990002).exists()
    assert uploads.upload_kept(admin.session) is None  # the kept files are removed


def test_apply_refuses_a_preview_of_other_files_and_files_changed_on_the_server(
    admin: Client, extract: dict[str, Path]
) -> None:
    _upload(admin, extract)
    stale = admin.post(
        "/organisations/gias/apply/", {"digest": "0" * 64, "la": ["990"]}, follow=True
    )
    assert MSG_STALE_PREVIEW in stale.content.decode()

    digest = _digest(admin.get("/organisations/gias/preview/", {"la": ["990"]}))
    kept = uploads.upload_kept(admin.session)
    name, _ = kept.files["gias"]
    (uploads.ROOT / kept.token / "gias" / name).write_text(EXTRACT.replace("Trust", "Plc"))
    changed = admin.post(
        "/organisations/gias/apply/", {"digest": digest, "la": ["990"]}, follow=True
    )
    assert uploads.MSG_UPLOAD_CHANGED.format(name=name) in changed.content.decode()
    assert not School.objects.filter(urn=990002).exists()


def test_an_extract_without_phases_or_census_is_refused_on_the_form(admin: Client) -> None:
    response = _upload(admin, {"gias": GIAS_SAMPLE})
    assert response.status_code == 200
    assert MSG_NO_PHASE in response.content.decode()
    assert uploads.upload_kept(admin.session) is None


def test_only_administrators_may_apply(
    client: Client, make_user: Callable[..., User], sign_in: Callable[..., Client]
) -> None:
    sign_in(client, make_user(RoleName.LA_LEAD))
    assert client.post("/organisations/gias/apply/", {"digest": "x"}).status_code == 403


def test_a_closed_school_cannot_be_enrolled(
    extract: dict[str, Path], places: dict[str, object], tmp_path: Path
) -> None:
    _apply(extract, ["990"])
    programme = programme_create(
        authority=places["home_la"],
        school_year="2025/26",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate().replace(year=timezone.localdate().year + 1),
        by=ACTOR,
    )
    (tmp_path / "allocations.csv").write_text(
        "urn,block,arm,random_number,order,withdrawn_on\n990003,b,treatment,0.5,1,\n",
        encoding="utf-8",
    )
    with pytest.raises(ProgrammeError) as refused:
        enrolments_import(
            programme=programme, allocations=read_table(tmp_path, "allocations"), by=ACTOR
        )
    assert str(refused.value) == MSG_SCHOOL_CLOSED.format(
        row=1,
        urn=990003,
        name="St Bede's",
        date="31 August 2025",
        successor=", or allocate its successor, URN 990004, if the trial's protocol allows",
    )
    assert not programme.enrolments.exists()


SETTINGS = {
    "display_name": "Northmoor Council",
    "frontdoor_phone": "01632 960000",
    "frontdoor_out_of_hours_phone": "01632 960999",
    "frontdoor_hours": "Monday to Friday 9am to 5pm",
    "audit_contact_email": "audit@northmoor.example",
    "help_name": "Threshold team",
    "help_email": "threshold@northmoor.example",
    "help_phone": "01632 960123",
}


def test_the_lead_edits_their_las_settings_audited(
    client: Client, make_user: Callable[..., User], sign_in: Callable[..., Client]
) -> None:
    sign_in(client, make_user(RoleName.LA_LEAD))
    response = client.post("/organisations/990/edit/", SETTINGS, follow=True)
    assert "Northmoor Council: settings saved" in response.content.decode()
    la = LocalAuthority.objects.get(la_code="990")
    assert {name: getattr(la, name) for name in SETTINGS} == SETTINGS
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_id=str(la.pk))
    assert event.detail["help_email"] == {"before": "", "after": "threshold@northmoor.example"}
    assert client.get("/organisations/991/edit/").status_code == 403
    assert client.post("/organisations/991/edit/", SETTINGS).status_code == 403


def test_people_of_the_la_read_its_settings_the_audit_contact_only_for_those_it_concerns(
    client: Client, make_user: Callable[..., User], sign_in: Callable[..., Client]
) -> None:
    LocalAuthority.objects.filter(la_code="990").update(**SETTINGS)
    sign_in(client, make_user(RoleName.DSL_LEAD))
    page = client.get("/organisations/990/").content.decode()
    assert "01632 960000" in page
    assert "threshold@northmoor.example" in page
    assert "audit@northmoor.example" not in page
    assert "Change the settings" not in page
    assert client.get("/organisations/991/").status_code == 403
    assert client.post("/organisations/990/edit/", SETTINGS).status_code == 403
    client.logout()
    sign_in(client, make_user(RoleName.LA_LEAD))
    assert "audit@northmoor.example" in client.get("/organisations/990/").content.decode()


def test_only_the_las_one_belongs_to_are_listed(
    client: Client, make_user: Callable[..., User], sign_in: Callable[..., Client]
) -> None:
    sign_in(client, make_user(RoleName.SSW))
    page = client.get("/organisations/").content.decode()
    assert "Northmoor" in page
    assert "Eastvale" not in page
    client.logout()
    sign_in(client, make_user(RoleName.SYSTEM_ADMIN))
    assert "Eastvale" in client.get("/organisations/").content.decode()


def test_a_second_membership_elsewhere_gives_two_las(
    places: dict[str, object], make_user: Callable[..., User]
) -> None:
    user = make_user(RoleName.SSW)
    membership_grant(user=user, role=RoleName.SSW, authority=places["other_la"], by=ACTOR)
    other = user_create(username="nobody", password="correct horse battery staple", by=ACTOR)
    assert authorities_readable(User.objects.get(pk=user.pk)).count() == 2
    assert help_authority(User.objects.get(pk=user.pk)) is None
    assert help_authority(other) is None


def test_the_demo_las_get_their_settings_once(places: dict[str, object]) -> None:
    assert len(list(seed_demo_settings(by=ACTOR))) == 2
    assert LocalAuthority.objects.get(la_code="990").help_email == "threshold@northmoor.example"
    assert list(seed_demo_settings(by=ACTOR)) == []


REFUSE_CLOSING_990005 = {
    "sqlite": [
        "CREATE TRIGGER refuse_990005 BEFORE UPDATE ON organisations_school "
        "WHEN NEW.urn = 990005 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_990005() RETURNS trigger AS $$ BEGIN IF NEW.urn = 990005 THEN "
        "RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER refuse_990005 BEFORE UPDATE ON organisations_school "
        "FOR EACH ROW EXECUTE FUNCTION refuse_990005()",
    ],
}
"""A database that refuses the last write of the apply (closing Moor Lane)."""


def test_apply_is_all_or_nothing(extract: dict[str, Path]) -> None:
    with connection.cursor() as cursor:
        for statement in REFUSE_CLOSING_990005[connection.vendor]:
            cursor.execute(statement)
    with pytest.raises(DatabaseError, match="refused by the test"):
        _apply(extract, ["990"])
    assert not School.objects.filter(urn__in=[990002, 990004]).exists()
    assert School.objects.get(urn=990001).name == "Northmoor Academy"
    assert School.objects.get(urn=990003).status == SchoolStatus.OPEN
    assert not AuditEvent.objects.filter(action=AuditAction.IMPORT).exists()
