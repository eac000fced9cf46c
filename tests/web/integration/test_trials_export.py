"""The de-identified export of a trial: what it holds (contract tables, trial files, README),
what it never holds (names, free text, the stores' child ids, survey answers for LA staff), that
re-keying keeps every link and count (measures and the primary estimate as the service's), the
data-sharing notice, the audit, and who may download what."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from django.test import Client
from django.urls import reverse

from factories.stores import store_state
from factories.trial_records import SECRETS, TOKENS, TrialRecords, build_trial
from threshold.measures import FRONT_DOOR_MEASURES, MeasureSpec, build_measures
from threshold.model import TABLES, read_table
from threshold.pipeline import PipelineConfig, run_pipeline
from threshold.web.accounts.roles import RoleName
from threshold.web.audit.models import AuditEvent
from threshold.web.insights.services import authority_state, authority_store
from threshold.web.programme.models import Enrolment, SupervisionSession
from threshold.web.surveys.exports import export_token
from threshold.web.trials import deidentified
from threshold.web.trials.analysis_tables import trial_tables
from threshold.web.trials.deidentified import (
    FEWER,
    MSG_NOT_ALLOWED,
    MSG_NOTICE,
    RULE_SET,
    ExportRefused,
    deidentified_export,
)
from threshold.web.trials.models import Trial

EXPORT_EVENT = "trials.deidentified_export"


@pytest.fixture
def records(places: dict[str, object], tmp_path: Path, settings: object) -> TrialRecords:
    return build_trial(places, tmp_path / "service", settings)


def unpack(content: bytes, into: Path) -> Path:
    """Extract the ZIP into `into` and return its one top folder."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        archive.extractall(into)
        tops = {name.split("/")[0] for name in archive.namelist()}
    assert len(tops) == 1
    return into / tops.pop()


def export(records: TrialRecords, into: Path, by: object = None) -> Path:
    """The export for `by` (the evaluator by default), extracted into `into`."""
    content = deidentified_export(
        trial=records.trial, by=by or records.evaluator, accepted_notice=True
    )
    return unpack(content, into)


def store_tables(records: TrialRecords, name: str) -> pd.DataFrame:
    return pd.concat(
        [authority_state(la).table(name) for la in (records.home, records.other)],
        ignore_index=True,
    )


def every_text(folder: Path) -> str:
    return "\n".join(
        path.read_text(encoding="utf-8") for path in folder.rglob("*") if path.is_file()
    )


def test_the_evaluators_export_holds_the_contract_tables_and_trial_files(
    records: TrialRecords, tmp_path: Path
) -> None:
    root = export(records, tmp_path / "out")
    assert root.name == f"trial-{records.trial.pk}-deidentified-{dt.date.today().isoformat()}"
    assert sorted(p.name for p in root.iterdir()) == [
        "README.txt",
        "allocation.csv",
        "data",
        "protocol.toml",
        "trial-ledger.jsonl",
        "units.csv",
    ]
    names = sorted(p.stem for p in (root / "data").iterdir())
    assert names == [
        "allocations",
        "contacts",
        "data_gaps",
        "local_authorities",
        "referrals",
        "schools",
        "sessions",
        "ssws",
        "survey_responses",
    ]
    for name in names:  # read through the contract's checks, in its columns
        frame = read_table(root / "data", name)
        assert list(frame.columns) == list(TABLES[name].columns)
    assert set(read_table(root / "data", "schools")["la_code"]) == {"990", "991"}
    assert len(read_table(root / "data", "allocations")) == 12
    assert len(read_table(root / "data", "survey_responses")) == 2
    # the trial files are the trial folder's, byte for byte
    folder = tmp_path / "service" / "trials" / f"trial-{records.trial.pk}"
    for name in ("protocol.toml", "trial-ledger.jsonl", "units.csv", "allocation.csv"):
        assert (root / name).read_bytes() == (folder / name).read_bytes()
    readme = (root / "README.txt").read_text(encoding="utf-8")
    assert f"for {records.evaluator.username}" in readme
    assert RULE_SET in readme
    assert "990: 000002" in readme
    assert "991: 000002" in readme
    assert "Survey responses are included" in readme
    assert f"data/survey_responses.csv: {FEWER} rows" in readme  # 2 rows: suppressed
    assert "data sharing agreement" in readme


def test_no_names_free_text_or_store_ids_reach_the_export(
    records: TrialRecords, tmp_path: Path
) -> None:
    root = export(records, tmp_path / "out")
    text = every_text(root / "data")
    for secret in SECRETS:
        assert secret not in text
    contacts = read_table(root / "data", "contacts")
    referrals = read_table(root / "data", "referrals")
    assert contacts["cont_source_school_name"].isna().all()
    store_contacts = store_tables(records, "contacts")
    store_referrals = store_tables(records, "referrals")
    assert store_contacts["cont_source_school_name"].str.contains("Dunmore").any()
    # no child, contact or referral id of the stores, nor the survey's token digests
    exported = set(contacts.stack().astype(str)) | set(referrals.stack().astype(str))
    for ids in (
        store_contacts["cont_person_id"],
        store_contacts["cont_contact_id"],
        store_referrals["cine_referral_id"],
        store_referrals["cine_person_id"],
    ):
        assert len(ids)
        assert not set(ids) & exported
    digests = {export_token(token) for token in TOKENS.values()}
    assert not digests & set(read_table(root / "data", "survey_responses")["respondent_token"])
    ssw_ids = set(read_table(root / "data", "sessions")["ssw_id"])
    assert ssw_ids
    assert f"ssw-{records.ssw.pk}" not in ssw_ids
    assert ssw_ids <= set(read_table(root / "data", "ssws")["ssw_id"])


def test_ids_are_consistent_within_an_export_and_differ_between_exports(
    records: TrialRecords, tmp_path: Path
) -> None:
    first = export(records, tmp_path / "first")
    second = export(records, tmp_path / "second")
    key = ["cont_la_code", "cont_contact_date", "cont_source_school_urn", "cont_contact_outcome"]
    store_contacts = store_tables(records, "contacts").sort_values(key)
    contacts = read_table(first / "data", "contacts").sort_values(key)
    referrals = read_table(first / "data", "referrals")
    # the same contacts and children as the stores
    assert len(contacts) == len(store_contacts)
    assert contacts["cont_person_id"].nunique() == store_contacts["cont_person_id"].nunique()
    # each LA's referral from its contact K1 still names it, and the same child
    by_id = contacts.set_index("cont_contact_id")
    linked = referrals.dropna(subset=["cine_contact_id"])
    assert len(linked) == 2
    for referral in linked.itertuples():
        contact = by_id.loc[referral.cine_contact_id]
        assert contact["cont_person_id"] == referral.cine_person_id
        assert contact["cont_la_code"] == referral.cine_la_code
    # children keep one id each: store ids and export ids pair one to one
    pairs = pd.DataFrame(
        {
            "store": store_contacts["cont_person_id"].to_numpy(),
            "export": contacts["cont_person_id"].to_numpy(),
        }
    ).drop_duplicates()
    assert pairs["store"].is_unique
    assert pairs["export"].is_unique
    # another export of the same records cannot be joined with this one
    again = read_table(second / "data", "contacts")
    assert not set(again["cont_person_id"]) & set(contacts["cont_person_id"])
    assert not set(again["cont_contact_id"]) & set(contacts["cont_contact_id"])
    tokens = read_table(second / "data", "survey_responses")["respondent_token"]
    assert not set(tokens) & set(read_table(first / "data", "survey_responses")["respondent_token"])


def test_an_la_analyst_gets_their_las_records_and_no_survey_responses(
    records: TrialRecords, make_user: Callable[..., object], tmp_path: Path
) -> None:
    analyst = make_user(RoleName.LA_ANALYST)  # in the home LA, 990
    root = export(records, tmp_path / "out", by=analyst)
    assert sorted(p.name for p in root.iterdir()) == ["README.txt", "data", "protocol.toml"]
    data = root / "data"
    assert not (data / "survey_responses.csv").exists()
    assert set(read_table(data, "local_authorities")["la_code"]) == {"990"}
    schools = read_table(data, "schools")
    assert set(schools["la_code"]) == {"990"}
    assert len(schools) == 6
    assert set(read_table(data, "allocations")["urn"]) == set(schools["urn"])
    assert set(read_table(data, "contacts")["cont_la_code"]) == {"990"}
    assert set(read_table(data, "referrals")["cine_la_code"]) == {"990"}
    assert set(read_table(data, "ssws")["la_code"]) == {"990"}
    readme = (root / "README.txt").read_text(encoding="utf-8")
    assert "Survey responses are not included" in readme
    assert "991" not in readme
    event = AuditEvent.objects.get(object_type=EXPORT_EVENT)
    assert event.detail["authorities"] == ["990"]
    assert event.detail["survey_responses"] is False
    assert event.authority_code == "990"


def test_the_exports_measures_are_the_stores(records: TrialRecords, tmp_path: Path) -> None:
    data = export(records, tmp_path / "out") / "data"
    specs = {
        str(measure): MeasureSpec(
            measure, dt.date(2023, 9, 1), dt.date(2025, 7, 31), observed_by=dt.date(2025, 7, 31)
        )
        for measure in FRONT_DOOR_MEASURES
    }
    schools = read_table(data, "schools")
    gaps = read_table(data, "data_gaps")
    exported = build_measures(
        schools, read_table(data, "contacts"), read_table(data, "referrals"), gaps, specs
    )
    stored = build_measures(
        schools, store_tables(records, "contacts"), store_tables(records, "referrals"), gaps, specs
    )
    pd.testing.assert_frame_equal(exported, stored)
    assert (exported.groupby("measure")["count"].sum() > 0).all()


def test_the_analysis_of_the_export_gives_the_services_primary_estimate(
    records: TrialRecords, tmp_path: Path
) -> None:
    root = export(records, tmp_path / "out")
    folder = tmp_path / "service" / "trials" / f"trial-{records.trial.pk}"
    service = run_pipeline(
        PipelineConfig(
            protocol=folder / "protocol.toml",
            tables=trial_tables(records.trial),
            stores=(authority_store(records.home), authority_store(records.other)),
            draws=0,
        )
    )
    exported = run_pipeline(
        PipelineConfig(protocol=root / "protocol.toml", tables=root / "data", draws=0)
    )
    assert exported.results.confirmatory  # the export's ledger shows the protocol locked
    assert exported.primary.coef == pytest.approx(service.primary.coef, rel=1e-12)
    assert exported.primary.se == pytest.approx(service.primary.se, rel=1e-12)
    arms = (exported.primary.n_treatment, exported.primary.n_control)
    assert arms == (service.primary.n_treatment, service.primary.n_control)
    assert sum(arms) >= 10


def test_the_export_changes_nothing_but_the_audit(records: TrialRecords) -> None:
    stores = [authority_store(la) for la in (records.home, records.other)]
    before = [store_state(store) for store in stores]
    counts = (Enrolment.objects.count(), SupervisionSession.objects.count())
    events = AuditEvent.objects.count()
    deidentified_export(trial=records.trial, by=records.evaluator, accepted_notice=True)
    assert [store_state(store) for store in stores] == before
    assert (Enrolment.objects.count(), SupervisionSession.objects.count()) == counts
    assert AuditEvent.objects.count() == events + 1


def test_refused_without_the_notice_or_the_permission(
    records: TrialRecords, make_user: Callable[..., object]
) -> None:
    lead = make_user(RoleName.LA_LEAD)
    events = AuditEvent.objects.count()
    with pytest.raises(ExportRefused, match=MSG_NOTICE):
        deidentified_export(trial=records.trial, by=records.evaluator, accepted_notice=False)
    with pytest.raises(ExportRefused, match=MSG_NOT_ALLOWED):
        deidentified_export(trial=records.trial, by=lead, accepted_notice=True)
    assert AuditEvent.objects.count() == events


def test_small_counts_are_suppressed() -> None:
    shown = [deidentified.shown_count(n) for n in (0, 1, 4, 5, 1234)]
    assert shown == ["0", FEWER, FEWER, "5", "1,234"]


# The page


def export_url(trial: Trial) -> str:
    return reverse("trials:export", kwargs={"trial_pk": trial.pk})


def test_the_page_says_what_the_download_holds(
    records: TrialRecords, client: Client, sign_in: Callable[..., Client]
) -> None:
    sign_in(client, records.evaluator)
    events = AuditEvent.objects.count()
    page = client.get(export_url(records.trial)).content.decode()
    assert "Download de-identified data" in page
    assert "data/contacts.csv" in page
    assert "data/survey_responses.csv" in page
    assert "cont_source_school_name" in page
    assert "Survey responses are included" in page
    assert "data sharing agreement" in page
    assert f"trial-{records.trial.pk}-deidentified-" in page
    assert AuditEvent.objects.count() == events  # reading the page downloads nothing


def test_the_download_needs_the_notice_accepted(
    records: TrialRecords, client: Client, sign_in: Callable[..., Client]
) -> None:
    sign_in(client, records.evaluator)
    response = client.post(export_url(records.trial), {})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert MSG_NOTICE in response.content.decode()
    assert not AuditEvent.objects.filter(object_type=EXPORT_EVENT).exists()


def test_the_download_is_a_zip_and_is_audited(
    records: TrialRecords, client: Client, sign_in: Callable[..., Client], tmp_path: Path
) -> None:
    sign_in(client, records.evaluator)
    response = client.post(export_url(records.trial), {"accept": "on"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    name = f"trial-{records.trial.pk}-deidentified-{dt.date.today().isoformat()}.zip"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    root = unpack(response.content, tmp_path / "out")
    event = AuditEvent.objects.get(object_type=EXPORT_EVENT)
    assert event.object_id == str(records.trial.pk)
    assert event.actor == records.evaluator.username
    assert event.detail["notice_accepted"] is True
    assert event.detail["rule_set"] == RULE_SET
    assert event.detail["authorities"] == ["990", "991"]
    assert event.detail["survey_responses"] is True
    for table, rows in event.detail["tables"].items():
        assert len(read_table(root / "data", table)) == rows
    assert event.detail["tables"]["survey_responses"] == 2


def test_who_may_reach_the_page(
    records: TrialRecords,
    client: Client,
    sign_in: Callable[..., Client],
    make_user: Callable[..., object],
) -> None:
    url = export_url(records.trial)
    sign_in(client, make_user(RoleName.LA_LEAD))
    assert client.get(url).status_code == 403
    sign_in(client, make_user(RoleName.LA_ANALYST))
    page = client.get(url).content.decode()
    assert "data/survey_responses.csv" not in page
    assert "Survey responses are not included" in page
    assert "only the schools and records of Northmoor" in page
    # a trial of the other LA only is not the home LA analyst's to see
    other_only = Trial.objects.create(name="Eastvale only", created_by=records.evaluator)
    other_only.programmes.set(records.trial.programmes.filter(authority=records.other))
    assert client.get(export_url(other_only)).status_code == 404
    assert client.post(export_url(other_only), {"accept": "on"}).status_code == 404
    assert not AuditEvent.objects.filter(object_type=EXPORT_EVENT).exists()


def test_a_store_edited_by_hand_is_named_and_nothing_is_downloaded(
    records: TrialRecords, client: Client, sign_in: Callable[..., Client]
) -> None:
    contacts = authority_store(records.other) / "versions" / "000002" / "contacts.csv"
    contacts.write_text(contacts.read_text(encoding="utf-8") + "edited\r\n", encoding="utf-8")
    sign_in(client, records.evaluator)
    for response in (
        client.get(export_url(records.trial)),
        client.post(export_url(records.trial), {"accept": "on"}),
    ):
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
        page = response.content.decode()
        assert "The export cannot be made now" in page
        assert "does not match what the last import wrote" in page
    assert not AuditEvent.objects.filter(object_type=EXPORT_EVENT).exists()
