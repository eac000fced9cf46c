"""Front-door stores in tests: their state as readers see it, and imports killed midway."""

from __future__ import annotations

import builtins
import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from threshold.frontdoor.store import FILES, KEY_NAME


def store_state(store: Path) -> dict[str, bytes]:
    """Every file a reader of the store sees (through `current`), and the key."""
    names = (*FILES, KEY_NAME)
    return {name: (store / name).read_bytes() for name in names if (store / name).is_file()}


MUTATING = ("mkdir", "rename", "replace", "symlink", "link", "fsync", "unlink", "rmdir")


class Killed(BaseException):
    """The process dies here: nothing after this step runs, no `except Exception` sees it."""


def run_killed_at(step: int, action: Callable[[], object], monkeypatch: pytest.MonkeyPatch) -> bool:
    """Run `action`, killing it just before its `step`-th change to the file system (a
    directory made, a file opened for writing, renamed, linked, synced or removed); whether
    it was killed (False: it finished in fewer steps)."""
    count = 0

    def counted(function, changes=lambda *a, **k: True):
        def step_then(*args, **kwargs):
            nonlocal count
            if changes(*args, **kwargs):
                count += 1
                if count == step:
                    raise Killed
            return function(*args, **kwargs)

        return step_then

    def writes(file, mode="r", *args, **kwargs):
        return any(flag in mode for flag in "wax+")

    def creates(path, flags, *args, **kwargs):
        return bool(flags & os.O_CREAT)

    with monkeypatch.context() as patch:
        for name in MUTATING:
            patch.setattr(os, name, counted(getattr(os, name)))
        patch.setattr(os, "open", counted(os.open, creates))
        patch.setattr(builtins, "open", counted(builtins.open, writes))
        patch.setattr(io, "open", counted(io.open, writes))
        try:
            action()
        except Killed:
            return True
    return False
