"""Importing LA front-door exports into the web service: through threshold.frontdoor into the
LA's store, then into the database — all or nothing, idempotent, counted and audited. Uploads
in the browser are imported by a background job, run here by the library's own worker."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from factories.clock import Clock
from factories.flaky_mail import FLAKY_BACKEND, flaky
from factories.jobs import run_jobs
from factories.stores import store_state
from threshold.web.accounts.roles import RoleName
from threshold.web.audit.models import AuditEvent
from threshold.web.insights import services
from threshold.web.insights.models import Contact, FrontDoorImport, ImportJob
from threshold.web.insights.services import (
    MSG_IMPORT_FAILED,
    FrontDoorError,
    authority_state,
    authority_store,
    frontdoor_import,
    job_folder,
)
from threshold.web.jobs.retries import BACKOFF
from threshold.web.organisations.models import LocalAuthority, School

HEADER = (
    "cont_contact_id,cont_person_id,cont_contact_date,cont_contact_source_code,"
    "cont_contact_outcome_json,cont_source_school_urn\n"
)
SSD = HEADER + (
    'C1,P100,2024-09-10,2A,"{""OUTCOME_NFA_FLAG"": ""Y""}",990001\n'
    'C2,P101,2024-10-02,2A,"{""OUTCOME_NFA_FLAG"": ""N""}",990001\n'
    'C3,P102,not a date,2A,"{}",990001\n'
)
ANNEX_A = "Child Unique ID,Date of Contact,Contact Source,Outcome\n{rows}"


@pytest.fixture(autouse=True)
def store_root(settings: object, tmp_path: Path) -> Path:
    settings.FRONTDOOR_STORE_ROOT = tmp_path / "store"
    return tmp_path / "store"


def export(tmp_path: Path, text: str, name: str = "contacts.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_loads_quarantines_counts_and_audits(
    places: dict[str, LocalAuthority | School], tmp_path: Path
) -> None:
    record = frontdoor_import(
        authority=places["home_la"], path=export(tmp_path, SSD), format="ssd", by="test"
    )
    assert (record.records, record.loaded, record.quarantined) == (3, 2, 1)
    assert record.summary["contacts"] == {"created": 2, "updated": 0, "deleted": 0, "unchanged": 0}
    contacts = {c.contact_id: c for c in Contact.objects.all()}
    assert set(contacts) == {"990-C1", "990-C2"}
    assert contacts["990-C1"].outcome == "nfa"
    assert contacts["990-C1"].source_school == places["home_school"]
    assert contacts["990-C1"].person_id != "P100"  # pseudonymised
    event = AuditEvent.objects.get(action="import", object_type="insights.frontdoorimport")
    assert event.authority_code == "990"
    assert event.object_id == str(record.pk)
    assert event.detail["records"] == 3
    assert event.detail["quarantined"] == 1
    assert event.detail["contacts"]["created"] == 2
    assert (authority_store(places["home_la"]) / "contacts.csv").is_file()


def test_importing_the_same_file_again_changes_nothing(
    places: dict[str, LocalAuthority | School], tmp_path: Path
) -> None:
    path = export(tmp_path, SSD)
    frontdoor_import(authority=places["home_la"], path=path, format="ssd", by="test")
    before = dict(Contact.objects.values_list("contact_id", "pk"))
    again = frontdoor_import(authority=places["home_la"], path=path, format="ssd", by="test")
    assert again.summary["contacts"] == {"created": 0, "updated": 0, "deleted": 0, "unchanged": 2}
    assert dict(Contact.objects.values_list("contact_id", "pk")) == before
    assert FrontDoorImport.objects.count() == 2


def test_a_later_extract_updates_a_record(
    places: dict[str, LocalAuthority | School], tmp_path: Path
) -> None:
    frontdoor_import(
        authority=places["home_la"], path=export(tmp_path, SSD), format="ssd", by="test"
    )
    later = SSD.replace('""OUTCOME_NFA_FLAG"": ""N""', '""OUTCOME_NFA_FLAG"": ""Y""')
    record = frontdoor_import(
        authority=places["home_la"],
        path=export(tmp_path, later, "later.csv"),
        format="ssd",
        by="test",
    )
    assert record.summary["contacts"]["updated"] == 1
    assert Contact.objects.get(contact_id="990-C2").outcome == "nfa"


def test_records_the_store_no_longer_holds_are_deleted(
    places: dict[str, LocalAuthority | School], tmp_path: Path
) -> None:
    """An export without ids (Annex A) replaces the LA's earlier records over its dates."""
    first = ANNEX_A.format(rows="A1,01/09/2024,Schools,NFA\nA2,03/09/2024,Police,NFA\n")
    frontdoor_import(
        authority=places["home_la"],
        path=export(tmp_path, first, "annex.csv"),
        format="annex-a",
        by="test",
    )
    corrected = ANNEX_A.format(rows="A1,01/09/2024,Schools,NFA\nA2,03/09/2024,Police,Referral\n")
    record = frontdoor_import(
        authority=places["home_la"],
        path=export(tmp_path, corrected, "annex2.csv"),
        format="annex-a",
        by="test",
    )
    assert record.summary["parts"][0]["superseded"] == 1
    assert record.summary["contacts"] == {"created": 1, "updated": 0, "deleted": 1, "unchanged": 1}
    assert sorted(Contact.objects.values_list("outcome", flat=True)) == ["nfa", "referral"]


def test_a_failure_while_loading_leaves_database_and_store_as_they_were(
    places: dict[str, LocalAuthority | School], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("audit unavailable")

    monkeypatch.setattr(services, "record_event", broken)
    with pytest.raises(RuntimeError):
        frontdoor_import(
            authority=places["home_la"], path=export(tmp_path, SSD), format="ssd", by="test"
        )
    assert not Contact.objects.exists()
    assert not FrontDoorImport.objects.exists()
    assert authority_state(places["home_la"]).table("contacts").empty
    assert "contacts.csv" not in store_state(authority_store(places["home_la"]))
    left = sorted(p.name for p in authority_store(places["home_la"]).parent.iterdir())
    assert left == [".gitignore", "990"]  # no working copy beside the store


def test_an_unreadable_file_imports_nothing(
    places: dict[str, LocalAuthority | School], tmp_path: Path
) -> None:
    with pytest.raises(FrontDoorError, match="is neither ssd_contacts"):
        frontdoor_import(
            authority=places["home_la"],
            path=export(tmp_path, "a,b\n1,2\n"),
            format="ssd",
            by="test",
        )
    assert not Contact.objects.exists()
    assert not FrontDoorImport.objects.exists()


def test_management_command(places: dict[str, LocalAuthority | School], tmp_path: Path) -> None:
    path = export(tmp_path, SSD)
    call_command("frontdoor_import", str(path), "--format", "ssd", "--la", "990")
    assert Contact.objects.count() == 2
    with pytest.raises(CommandError, match="'999' is not in Threshold"):
        call_command("frontdoor_import", str(path), "--format", "ssd", "--la", "999")


@pytest.fixture
def analyst(make_user: Callable[..., object], sign_in: Callable[..., Client]) -> Client:
    user = make_user(RoleName.LA_ANALYST)
    user.email = "analyst@example.org"
    user.save()
    return sign_in(Client(), user)


JOBS = pytest.mark.django_db(transaction=True)
"""For tests that run jobs: the worker's own connection sees only committed data."""


def upload(client: Client, text: str, format: str = "ssd") -> str:
    """Upload `text` as contacts.csv; the address of the job's progress page."""
    response = client.post(
        reverse("insights:import_upload", kwargs={"la_code": "990"}),
        {"file": SimpleUploadedFile("contacts.csv", text.encode()), "format": format},
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("insights:import_progress", kwargs={"pk": job.pk})
    return response.url


@JOBS
def test_an_upload_is_imported_by_a_job_then_shows_the_result_and_quarantine(
    analyst: Client, places: dict[str, LocalAuthority | School]
) -> None:
    progress = upload(analyst, SSD)
    job = ImportJob.objects.get()
    kept = job_folder(job) / "export" / "contacts.csv"
    assert kept.read_text(encoding="utf-8") == SSD
    assert kept.stat().st_mode & 0o777 == 0o600
    assert job_folder(job).stat().st_mode & 0o777 == 0o700
    assert not FrontDoorImport.objects.exists()  # not in the request
    assert "Waiting to start" in analyst.get(progress).content.decode()
    form = analyst.get(reverse("insights:import_upload", kwargs={"la_code": "990"}))
    assert f'href="{progress}">contacts.csv</a>' in form.content.decode()  # not finished yet
    claimed = DBTaskResult.objects.filter(id=job.task_id)
    claimed.update(status=TaskResultStatus.RUNNING)  # as a worker's claim leaves it
    assert "Importing: reading, linking and loading" in analyst.get(progress).content.decode()
    claimed.update(status=TaskResultStatus.READY)
    assert AuditEvent.objects.filter(action="create", object_type="insights.importjob").exists()

    run_jobs()

    record = FrontDoorImport.objects.get()
    response = analyst.get(progress)
    assert response.status_code == 302
    assert response.url == reverse("insights:import_detail", kwargs={"pk": record.pk})
    assert not job_folder(job).exists()
    form = analyst.get(reverse("insights:import_upload", kwargs={"la_code": "990"}))
    assert progress not in form.content.decode()
    detail = analyst.get(response.url).content.decode()
    assert "3 records read: 2 loaded, 1 quarantined" in detail
    assert reverse("insights:quarantine", kwargs={"la_code": "990"}) in detail
    page = analyst.get(reverse("insights:quarantine", kwargs={"la_code": "990"}))
    assert "not a date" in page.content.decode()
    read = AuditEvent.objects.get(action="read", object_type="insights.quarantine")
    assert read.detail == {"rows": 1, "shown": 1}
    (message,) = mail.outbox
    assert message.to == ["analyst@example.org"]
    assert message.subject == "Front-door import finished: contacts.csv"
    assert "3 records read, 2 loaded, 1 quarantined" in message.body
    assert f"http://testserver{progress}" in message.body


def test_a_mapped_upload_needs_a_profile(analyst: Client) -> None:
    upload = SimpleUploadedFile("contacts.csv", SSD.encode(), content_type="text/csv")
    response = analyst.post(
        reverse("insights:import_upload", kwargs={"la_code": "990"}),
        {"file": upload, "format": "mapped"},
    )
    assert response.status_code == 200
    assert "Choose the profile" in response.content.decode()
    assert not ImportJob.objects.exists()


PROFILE = """
[profile]
name = "Test export"
table = "contacts"
date_formats = ["%d/%m/%Y"]

[columns]
cont_contact_id = "ContactID"
cont_person_id = "PersonID"
cont_contact_date = "ContactDate"
cont_contact_source_code = "Source"
cont_contact_outcome = "Outcome"
"""


@JOBS
def test_a_mapped_upload_is_read_through_its_profile_by_the_job(analyst: Client) -> None:
    response = analyst.post(
        reverse("insights:import_upload", kwargs={"la_code": "990"}),
        {
            "file": SimpleUploadedFile(
                "mine.csv",
                b"ContactID,PersonID,ContactDate,Source,Outcome\nM1,P1,10/09/2024,2A,NFA\n",
            ),
            "format": "mapped",
            "profile": SimpleUploadedFile("mine.toml", PROFILE.encode()),
        },
    )
    job = ImportJob.objects.get()
    assert (job_folder(job) / "profile" / "mine.toml").read_text(encoding="utf-8") == PROFILE
    run_jobs()
    record = FrontDoorImport.objects.get()
    assert (record.file_name, record.format, record.records) == ("mine.csv", "mapped", 1)
    assert analyst.get(response.url).url == reverse("insights:import_detail", args=[record.pk])


@JOBS
def test_a_file_that_cannot_be_read_fails_its_job_for_the_uploader_and_administrators(
    analyst: Client, make_user: Callable[..., object], sign_in: Callable[..., Client]
) -> None:
    progress = upload(analyst, "a,b\n1,2\n")
    run_jobs()
    page = analyst.get(progress).content.decode()
    reason = "contacts.csv: is neither ssd_contacts"
    assert "The import of contacts.csv failed" in page
    assert MSG_IMPORT_FAILED.format(reason="") + reason in page
    assert not FrontDoorImport.objects.exists()
    assert not job_folder(ImportJob.objects.get()).exists()
    (message,) = mail.outbox
    assert message.subject == "Front-door import failed: contacts.csv"
    assert reason in message.body
    admin = sign_in(Client(), make_user(RoleName.SYSTEM_ADMIN))
    failed = admin.get(reverse("jobs:failed")).content.decode()
    assert "threshold.web.insights.services.import_job_run" in failed
    assert f"FrontDoorError: {reason}" in failed


def test_no_failed_job_is_listed_while_none_failed(
    make_user: Callable[..., object], sign_in: Callable[..., Client]
) -> None:
    admin = sign_in(Client(), make_user(RoleName.SYSTEM_ADMIN))
    assert "No job has failed." in admin.get(reverse("jobs:failed")).content.decode()


def test_an_analyst_of_another_la_cannot_follow_the_job(
    analyst: Client, make_user: Callable[..., object], sign_in: Callable[..., Client]
) -> None:
    progress = upload(analyst, SSD)
    other = make_user(RoleName.LA_ANALYST, username="other_analyst")
    other.memberships.update(authority=LocalAuthority.objects.get(la_code="991"))
    assert sign_in(Client(), other).get(progress).status_code == 403


def test_an_analyst_of_another_la_is_refused(
    analyst: Client, places: dict[str, LocalAuthority | School]
) -> None:
    for name in ("insights:import_upload", "insights:quarantine", "insights:authority"):
        assert analyst.get(reverse(name, kwargs={"la_code": "991"})).status_code == 403


@JOBS
def test_the_finished_mail_is_tried_again_without_importing_again(
    analyst: Client, settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mail server drops the first attempt: the import is made once, and its e-mail goes
    on a later attempt of its own job."""
    settings.EMAIL_BACKEND = FLAKY_BACKEND
    clock = Clock(monkeypatch, timezone.now().replace(microsecond=0))
    flaky(1)
    try:
        upload(analyst, SSD)
        run_jobs()
        assert FrontDoorImport.objects.count() == 1
        assert mail.outbox == []
        clock.advance(BACKOFF[0])
        run_jobs()
    finally:
        flaky(0)
    assert FrontDoorImport.objects.count() == 1
    (message,) = mail.outbox
    assert message.subject == "Front-door import finished: contacts.csv"
