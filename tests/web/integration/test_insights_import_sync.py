"""Loading the store into the database compares and writes whole tables in batches: every row
created, updated, deleted or left as it is, whatever the batch size, blanks (no school, no
close date) included."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.db import connection

from threshold.web.insights import services
from threshold.web.insights.models import Contact, Referral
from threshold.web.insights.services import frontdoor_import
from threshold.web.organisations.models import LocalAuthority, School

EPISODES = (
    "cine_referral_id,cine_person_id,cine_referral_date,cine_referral_source_code,"
    "cine_referral_nfa,cine_close_reason,cine_close_date,cine_source_school_urn\n"
    "R1,P1,2024-09-10,2A,Y,,,990001\n"
    "R2,P2,2024-09-11,6,N,RC8,{close},\n"
    "R3,P3,2024-09-12,6,N,,,\n"
)
ANNEX_A = "Child Unique ID,Date of Contact,Contact Source,Outcome\n{rows}"


@pytest.fixture(autouse=True)
def small_batches(settings: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.FRONTDOOR_STORE_ROOT = tmp_path / "store"
    monkeypatch.setattr(services, "SYNC_BATCH", 1)


def _import(authority: LocalAuthority, tmp_path: Path, name: str, text: str, format: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return frontdoor_import(authority=authority, path=path, format=format, by="test")


def test_referrals_are_created_left_and_updated_with_their_blanks(
    places: dict[str, LocalAuthority | School], tmp_path: Path
) -> None:
    home = places["home_la"]
    first = _import(home, tmp_path, "a.csv", EPISODES.format(close="2024-10-01"), "ssd")
    assert first.summary["referrals"] == {"created": 3, "updated": 0, "deleted": 0, "unchanged": 0}
    again = _import(home, tmp_path, "b.csv", EPISODES.format(close="2024-10-01"), "ssd")
    assert again.summary["referrals"] == {"created": 0, "updated": 0, "deleted": 0, "unchanged": 3}
    later = _import(home, tmp_path, "c.csv", EPISODES.format(close="2024-11-05"), "ssd")
    assert later.summary["referrals"] == {"created": 0, "updated": 1, "deleted": 0, "unchanged": 2}
    rows = {
        r.referral_id: (r.referral_date, r.source_school, r.child_school, r.close_date, r.outcome)
        for r in Referral.objects.all()
    }
    assert rows == {
        "990-R1": (
            datetime.date(2024, 9, 10),
            places["home_school"],
            None,
            datetime.date(2024, 9, 10),
            "nfa_at_referral",
        ),
        "990-R2": (
            datetime.date(2024, 9, 11),
            None,
            None,
            datetime.date(2024, 11, 5),
            "nfa_after_assessment",
        ),
        "990-R3": (datetime.date(2024, 9, 12), None, None, None, "open"),
    }


def test_records_replaced_are_deleted_and_created_batch_by_batch(
    places: dict[str, LocalAuthority | School], tmp_path: Path
) -> None:
    home = places["home_la"]
    rows = "A1,01/09/2024,Schools,NFA\nA2,03/09/2024,Police,NFA\nA3,04/09/2024,Police,NFA\n"
    _import(home, tmp_path, "a.csv", ANNEX_A.format(rows=rows), "annex-a")
    kept = Contact.objects.get(contact_date=datetime.date(2024, 9, 1)).pk
    corrected = rows.replace("Police,NFA", "Police,Referral")
    record = _import(home, tmp_path, "b.csv", ANNEX_A.format(rows=corrected), "annex-a")
    assert record.summary["contacts"] == {"created": 2, "updated": 0, "deleted": 2, "unchanged": 1}
    outcomes = dict(Contact.objects.values_list("contact_date", "outcome"))
    assert outcomes == {
        datetime.date(2024, 9, 1): "nfa",
        datetime.date(2024, 9, 3): "referral",
        datetime.date(2024, 9, 4): "referral",
    }
    assert Contact.objects.get(contact_date=datetime.date(2024, 9, 1)).pk == kept


def _cache_size() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's page cache")
def test_sqlite_loads_with_a_large_page_cache_then_has_its_own_again(
    places: dict[str, LocalAuthority | School], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, seen = _cache_size(), []
    sync = services._sync

    def watched(*args: object) -> services.Synced:
        seen.append(_cache_size())
        return sync(*args)

    monkeypatch.setattr(services, "_sync", watched)
    _import(places["home_la"], tmp_path, "a.csv", EPISODES.format(close="2024-10-01"), "ssd")
    assert seen == [-services.SQLITE_CACHE_KIB] * 2
    assert _cache_size() == before
