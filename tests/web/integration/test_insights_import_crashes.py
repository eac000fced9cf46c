"""The web import killed at every step: the database and the store the service reads are both
the old state or both the new, the key never changes, and the next import completes it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from factories.stores import Killed, run_killed_at, store_state
from threshold.frontdoor.store import KEY_NAME, VERSIONS, current_version
from threshold.web.insights import services
from threshold.web.insights.models import Contact, FrontDoorImport
from threshold.web.insights.services import (
    MSG_KEY_CHANGED,
    FrontDoorError,
    authority_state,
    authority_store,
    frontdoor_import,
)
from threshold.web.organisations.models import LocalAuthority

HEADER = "cont_contact_id,cont_person_id,cont_contact_date,cont_contact_source_code\n"
FIRST = HEADER + "C1,P1,2024-09-10,6\nC2,P2,2024-09-11,6\n"
SECOND = HEADER + "C2,P2,2024-09-11,6\nC3,P3,2024-09-12,1B\nC4,P4,not a date,6\n"


@pytest.fixture(autouse=True)
def store_root(settings: object, tmp_path: Path) -> Path:
    settings.FRONTDOOR_STORE_ROOT = tmp_path / "stores"
    return tmp_path / "stores"


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _seen(authority: LocalAuthority) -> tuple[set[str], set[str]]:
    """The LA's contact ids in the database, and in the store as the service reads it."""
    held = set(Contact.objects.filter(authority=authority).values_list("contact_id", flat=True))
    state = authority_state(authority)
    stored = set(state.table("contacts")["cont_contact_id"]) if state is not None else set()
    return held, stored


@pytest.mark.django_db
def test_a_web_import_killed_at_any_step_is_old_or_new_and_the_next_completes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = _file(tmp_path, "a.csv", FIRST), _file(tmp_path, "b.csv", SECOND)
    old, new = {"990-C1", "990-C2"}, {"990-C1", "990-C2", "990-C3"}
    outcomes = []
    step = 0
    while True:
        step += 1
        authority = LocalAuthority.objects.create(la_code=f"{100 + step}", name=f"LA {step}")
        old_ids = {i.replace("990", authority.la_code) for i in old}
        new_ids = {i.replace("990", authority.la_code) for i in new}
        frontdoor_import(authority=authority, path=first, format="ssd", by="test")
        key = (authority_store(authority) / KEY_NAME).read_bytes()

        def second_import(authority: LocalAuthority = authority) -> None:
            frontdoor_import(authority=authority, path=second, format="ssd", by="test")

        if not run_killed_at(step, second_import, monkeypatch):
            break
        held, stored = _seen(authority)
        assert held == stored, f"killed at step {step}"
        assert held in (old_ids, new_ids), f"killed at step {step}"
        outcomes.append("new" if held == new_ids else "old")
        assert (authority_store(authority) / KEY_NAME).read_bytes() == key
        second_import()  # the next import completes or redoes it, and tidies up
        assert _seen(authority) == (new_ids, new_ids)
        directory = authority_store(authority)
        assert (directory / KEY_NAME).read_bytes() == key
        assert (
            current_version(directory)
            == FrontDoorImport.objects.filter(authority=authority).latest("pk").store_version
        )
        assert sorted(p.name for p in directory.iterdir() if p.name.startswith(".")) == [
            ".lock",
            KEY_NAME,
        ]
    assert step > 20
    assert outcomes[0] == "old"
    assert outcomes[-1] == "new"  # killed after the database committed: new, completed later


@pytest.mark.django_db
def test_a_web_import_killed_inside_the_database_transaction_leaves_the_old_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    authority = LocalAuthority.objects.create(la_code="990", name="Northmoor")
    frontdoor_import(
        authority=authority, path=_file(tmp_path, "a.csv", FIRST), format="ssd", by="t"
    )
    before = store_state(authority_store(authority))

    def killed(**kwargs: object) -> None:
        raise Killed

    monkeypatch.setattr(services, "record_event", killed)
    with pytest.raises(Killed):
        frontdoor_import(
            authority=authority, path=_file(tmp_path, "b.csv", SECOND), format="ssd", by="t"
        )
    monkeypatch.undo()
    assert _seen(authority) == ({"990-C1", "990-C2"}, {"990-C1", "990-C2"})
    assert store_state(authority_store(authority)) == before
    assert FrontDoorImport.objects.count() == 1


@pytest.mark.django_db
def test_a_lost_or_replaced_key_is_refused_never_regenerated(tmp_path: Path) -> None:
    authority = LocalAuthority.objects.create(la_code="990", name="Northmoor")
    path = _file(tmp_path, "a.csv", FIRST)
    frontdoor_import(authority=authority, path=path, format="ssd", by="test")
    directory = authority_store(authority)
    key = (directory / KEY_NAME).read_bytes()
    moved_away = directory.with_name(".990-old-1a2b3c4d")
    directory.rename(moved_away)  # as the import before versions left it when killed
    with pytest.raises(FrontDoorError) as error:
        frontdoor_import(authority=authority, path=path, format="ssd", by="test")
    assert str(moved_away) in str(error.value)
    assert "lost the pseudonymisation key" in str(error.value)
    assert not (directory / KEY_NAME).exists()
    assert Contact.objects.filter(authority=authority).count() == 2
    shutil.rmtree(directory)
    moved_away.rename(directory)  # restored: imports go on with the same key
    frontdoor_import(authority=authority, path=path, format="ssd", by="test")
    assert (directory / KEY_NAME).read_bytes() == key
    (directory / KEY_NAME).write_text("ab" * 32)
    with pytest.raises(FrontDoorError) as error:
        frontdoor_import(authority=authority, path=path, format="ssd", by="test")
    assert str(error.value) == MSG_KEY_CHANGED.format(la="990", path=directory)


@pytest.mark.django_db
def test_copies_left_beside_the_store_by_earlier_imports_are_removed(tmp_path: Path) -> None:
    authority = LocalAuthority.objects.create(la_code="990", name="Northmoor")
    path = _file(tmp_path, "a.csv", FIRST)
    frontdoor_import(authority=authority, path=path, format="ssd", by="test")
    root = authority_store(authority).parent
    for name in (".990-0badc0de", ".990-old-12345678"):
        shutil.copytree(authority_store(authority), root / name, symlinks=True)
    (root / ".990.lock").touch()
    (root / ".991-0badc0de").mkdir()  # another LA's: not this import's to remove
    (authority_store(authority) / VERSIONS / ".staging-00ff00ff").mkdir()
    frontdoor_import(authority=authority, path=path, format="ssd", by="test")
    assert sorted(p.name for p in root.iterdir()) == [".991-0badc0de", ".gitignore", "990"]
    assert not list((authority_store(authority) / VERSIONS).glob(".staging-*"))


@pytest.mark.django_db
def test_an_import_past_the_service_time_limit_is_stopped_and_changes_nothing(
    tmp_path: Path, settings: object
) -> None:
    authority = LocalAuthority.objects.create(la_code="990", name="Northmoor")
    frontdoor_import(
        authority=authority, path=_file(tmp_path, "a.csv", FIRST), format="ssd", by="t"
    )
    before = store_state(authority_store(authority))
    settings.FRONTDOOR_IMPORT_SECONDS = 1e-9
    with pytest.raises(FrontDoorError, match="stopped after 1e-09 s"):
        frontdoor_import(
            authority=authority, path=_file(tmp_path, "b.csv", SECOND), format="ssd", by="t"
        )
    assert store_state(authority_store(authority)) == before
    assert _seen(authority) == ({"990-C1", "990-C2"}, {"990-C1", "990-C2"})
