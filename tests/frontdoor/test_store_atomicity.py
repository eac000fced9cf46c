"""The store under crashes and concurrency: an import interrupted at any step leaves the old
state or the new, the pseudonymisation key never changes, leftovers are tidied by the next
import, and two imports into one store never lose either's records."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from factories.stores import run_killed_at, store_state
from threshold.frontdoor import import_export, load_profile, lock_store
from threshold.frontdoor.store import (
    CURRENT,
    KEY_NAME,
    MSG_KEY_MISSING,
    MSG_LOCKED,
    QUARANTINE_COLUMNS,
    VERSIONS,
    Store,
)
from threshold.model import InputError
from threshold.synth import MESSY_PROFILE

PROFILE = load_profile(MESSY_PROFILE)
HEADER = "Child ID,Contact date,Source of contact,School/Setting,Outcome of contact,Contact Ref"
REGISTER = pd.DataFrame(
    {"urn": [100001, 100002], "name": ["Vale Academy", "Hill Primary School"], "la_code": "981"}
)


def _export(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _import(export: Path, store: Path, **options) -> None:
    import_export(
        export,
        format="mapped",
        la_code="981",
        store=store,
        profile=PROFILE,
        register=REGISTER,
        **options,
    )


def _state(store: Path) -> dict[str, object]:
    """What a reader sees, with each import's log line less the time it was written."""
    state: dict[str, object] = dict(store_state(store))
    log = state.pop("imports.jsonl", b"").decode()
    state["log"] = [
        {k: v for k, v in json.loads(line).items() if k != "at"} for line in log.splitlines()
    ]
    return state


def _assert_new(state: dict[str, object], new_state: dict[str, object]) -> None:
    """The new state, perhaps with one more import logged (the same file again, unchanged)."""
    assert {k: v for k, v in state.items() if k != "log"} == {
        k: v for k, v in new_state.items() if k != "log"
    }
    log, expected = state["log"], new_state["log"]
    assert log[: len(expected)] == expected
    assert all(
        part["new"] == part["updated"] == 0 for e in log[len(expected) :] for part in e["parts"]
    )


def _command(script: Path, export: Path, store: Path) -> list[object]:
    options = ["--format", "mapped", "--la", "981", "--profile", MESSY_PROFILE, "--out", store]
    return [script, "frontdoor", "import", export, *options]


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("exports")
    first = _export(
        directory / "first.csv",
        ["C1,04/09/2023,Police,,NFA,A1", "C2,05/09/2023,Schools,Vale Acad,NFA,A2"],
    )
    second = _export(
        directory / "second.csv",
        [
            "C3,06/09/2023,Schools,Hill Primary,NFA,A3",
            "C4,07/09/2023,Schools,Somewhere Else Entirely,NFA,A4",
            "C5,31/02/2023,Police,,NFA,A5",  # quarantined: no such date
            "C1,04/09/2023,Police,,EH,A1",  # updates A1
        ],
    )
    return first, second


def _old_and_new(tmp_path: Path, exports: tuple[Path, Path]) -> tuple[Path, dict, dict]:
    first, second = exports
    old = tmp_path / "old"
    _import(first, old)
    new = tmp_path / "new"
    shutil.copytree(old, new, symlinks=True)
    _import(second, new)
    return old, _state(old), _state(new)


def test_an_import_killed_at_any_step_leaves_the_old_state_or_the_new(
    tmp_path, exports, monkeypatch
):
    old, old_state, new_state = _old_and_new(tmp_path, exports)
    assert old_state != new_state
    key = (old / KEY_NAME).read_bytes()
    outcomes = []
    step = 0
    while True:
        step += 1
        store = tmp_path / f"run-{step}"
        shutil.copytree(old, store, symlinks=True)
        if not run_killed_at(step, lambda s=store: _import(exports[1], s), monkeypatch):
            break
        state = _state(store)
        assert state in (old_state, new_state), f"killed at step {step}"
        assert (store / KEY_NAME).read_bytes() == key
        outcomes.append("new" if state == new_state else "old")
        _import(exports[1], store)  # the next run succeeds and tidies up
        _assert_new(_state(store), new_state)
        assert (store / KEY_NAME).read_bytes() == key
        leftovers = [p.name for p in store.iterdir() if p.name.startswith(".")]
        assert sorted(leftovers) == [".lock", KEY_NAME]
        assert len(list((store / VERSIONS).iterdir())) <= 2
        shutil.rmtree(store)
    assert step > 20  # every step of the import and its commit was tried
    assert outcomes[0] == "old"
    assert outcomes[-1] == "new"


def test_a_first_import_killed_at_any_step_leaves_no_store_or_a_whole_one(
    tmp_path, exports, monkeypatch
):
    reference = tmp_path / "reference"
    _import(exports[0], reference)
    new_state = _state(reference)
    nothing = {"log": []}
    step = 0
    while True:
        step += 1
        store = tmp_path / f"run-{step}"
        if not run_killed_at(step, lambda s=store: _import(exports[0], s), monkeypatch):
            break
        key = (store / KEY_NAME).read_bytes() if (store / KEY_NAME).is_file() else None
        visible = {k: v for k, v in _state(store).items() if k != KEY_NAME}
        if visible != nothing:  # the whole import, pseudonymised with this store's own key
            assert visible.keys() == new_state.keys() - {KEY_NAME}
            assert len(visible["log"]) == 1
            assert visible["log"][0]["parts"] == new_state["log"][0]["parts"]
        assert len(Store(store).table("contacts")) == (0 if visible == nothing else 2)
        _import(exports[0], store)
        if key is not None:  # a key once written is the store's for good
            assert (store / KEY_NAME).read_bytes() == key
        assert len(Store(store).table("contacts")) == 2
        shutil.rmtree(store)
    assert step > 15


def test_a_store_from_before_versions_is_adopted_even_when_killed_midway(
    tmp_path, exports, monkeypatch
):
    _, old_state, new_state = _old_and_new(tmp_path, exports)
    flat = tmp_path / "flat"
    flat.mkdir()
    old = tmp_path / "old"
    for name in (*(n for n in old_state if n not in ("log",)), "imports.jsonl"):
        shutil.copyfile(old / name, flat / name)  # the files themselves, as stores once were
    assert _state(flat) == old_state
    step = 0
    while True:
        step += 1
        store = tmp_path / f"run-{step}"
        shutil.copytree(flat, store)
        if not run_killed_at(step, lambda s=store: _import(exports[1], s), monkeypatch):
            break
        assert _state(store) in (old_state, new_state), f"killed at step {step}"
        _import(exports[1], store)
        _assert_new(_state(store), new_state)
        assert (store / CURRENT).is_symlink()
        assert (store / "contacts.csv").is_symlink()
        shutil.rmtree(store)
    assert step > 25


def test_a_lost_key_is_never_replaced(tmp_path, exports):
    store = tmp_path / "store"
    _import(exports[0], store)
    before = _state(store)
    (store / KEY_NAME).unlink()
    with pytest.raises(InputError) as error:
        _import(exports[1], store)
    assert str(error.value) == MSG_KEY_MISSING.format(path=store, key=KEY_NAME)
    assert not (store / KEY_NAME).exists()
    assert {k: v for k, v in _state(store).items() if k != KEY_NAME} == {
        k: v for k, v in before.items() if k != KEY_NAME
    }


def test_a_second_import_while_one_holds_the_lock_is_refused_and_changes_nothing(tmp_path, exports):
    store = tmp_path / "store"
    _import(exports[0], store)
    before = _state(store)
    with lock_store(store), pytest.raises(InputError) as error:
        _import(exports[1], store)
    assert str(error.value).startswith(MSG_LOCKED.split("(")[0].format(path=store))
    assert f"process {os.getpid()}" in str(error.value)
    assert _state(store) == before
    _import(exports[1], store)  # and goes through once the lock is free


def test_two_cli_imports_at_once_into_one_store_keep_both_files_records(tmp_path):
    store = tmp_path / "store"
    files = []
    for n in range(2):
        rows = [f"K{n}-{i},04/09/2023,Police,,NFA,R{n}-{i}" for i in range(3000)]
        files.append(_export(tmp_path / f"part{n}.csv", rows))
    script = Path(sys.executable).parent / "threshold"
    runs = [
        subprocess.Popen(
            [*_command(script, file, store), "--wait", "120", "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for file in files
    ]
    started = time.monotonic()
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err for _, err in outputs]
    loaded = sum(json.loads(out)["parts"][0]["new"] for out, _ in outputs)
    contacts = Store(store).table("contacts")
    assert loaded == len(contacts) == 6000  # every record reported loaded is there
    assert time.monotonic() - started < 300


def test_a_cli_import_into_a_locked_store_exits_with_the_reason(tmp_path, exports):
    store = tmp_path / "store"
    script = Path(sys.executable).parent / "threshold"
    with lock_store(store):
        run = subprocess.run(
            _command(script, exports[0], store),
            capture_output=True,
            text=True,
            env={**os.environ, "NO_COLOR": "1"},
            timeout=120,
            check=False,
        )
    assert run.returncode == 2
    assert "another import into this store is running" in run.stderr
    assert "Traceback" not in run.stderr
    assert Store(store).table("contacts").empty


def test_an_ssd_export_with_no_school_name_to_link_imports_with_a_register(tmp_path):
    header = (
        "cont_contact_id,cont_person_id,cont_contact_date,cont_contact_source_code,"
        "cont_contact_outcome_json,cont_source_school_urn,cont_source_school_name\n"
    )
    police = "2,P2,2023-09-05,6,,,\n"
    school_with_urn = "1,P1,2023-09-04,2A,,100001,Vale Academy\n"
    for n, rows in enumerate((school_with_urn + police, police)):
        export = tmp_path / f"ssd_contacts_{n}.csv"
        export.write_text(header + rows, encoding="utf-8")
        store = tmp_path / f"store-{n}"
        result = import_export(export, format="ssd", la_code="981", store=store, register=REGISTER)
        assert (result.parts[0].new, result.quarantined) == (2 - n, 0)
        assert Store(store).link_queue() is None


def test_quarantine_and_link_queue_cells_with_line_breaks_read_back_whole(tmp_path):
    """Found by the fuzzing benchmark: a cell with a bare carriage return (and no comma) came
    back as two lines, so that re-importing the same file changed the quarantine."""
    cells = ["a\rb", "a\r", "\rb", "a\nb", "a\r\nb", "=1+1", "'quoted'"]
    quarantine = pd.DataFrame(dict.fromkeys(QUARANTINE_COLUMNS, cells), dtype=object)
    queue = pd.DataFrame({"la_code": ["981"] * len(cells), "example": cells}, dtype=object)
    with lock_store(tmp_path / "store") as store:
        store.publish(store.stage({}, quarantine, queue, {"file": "test"}))
    pd.testing.assert_frame_equal(
        Store(tmp_path / "store").quarantine(), quarantine, check_dtype=False
    )
    pd.testing.assert_frame_equal(Store(tmp_path / "store").link_queue(), queue, check_dtype=False)
