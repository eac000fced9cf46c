"""GIAS files kept on the server between the preview and the apply, never in the page.

Each upload goes to a directory of its own, named by a random token, under the system's
temporary directory (owner-only). The session holds the token and each file's name and
SHA-256; the files are read again, and their digests checked, at the preview and the apply.
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from django.contrib.sessions.backends.base import SessionBase
from django.core.files.uploadedfile import UploadedFile
from django.utils.text import get_valid_filename

from threshold.model import InputError
from threshold.register import read_census, read_links, read_register

ROOT = Path(tempfile.gettempdir()) / "threshold-gias-uploads"
SESSION_KEY = "organisations.gias_upload"
MAX_AGE_SECONDS = 24 * 60 * 60
"""Uploads older than this are removed when the next one is kept."""
MSG_UPLOAD_CHANGED = (
    "{name} has changed on the server since it was uploaded, or is gone: upload the files again"
)
READERS = {"gias": read_register, "census": read_census, "links": read_links}
"""Each kind of file, and how `threshold register build` reads it."""
KINDS = tuple(READERS)


class UploadChanged(Exception):
    """A kept file is missing or no longer has the digest it had when it was uploaded."""


@dataclass(frozen=True)
class KeptUpload:
    """An upload's token and, for each kind of file (`gias`, `census`, `links`), its name and
    SHA-256."""

    token: str
    files: dict[str, tuple[str, str]]

    @property
    def digest(self) -> str:
        """One digest of all the files (what the apply form carries back)."""
        joined = "".join(f"{kind}:{sha}" for kind, (_, sha) in sorted(self.files.items()))
        return hashlib.sha256(joined.encode()).hexdigest()

    def path(self, kind: str) -> Path | None:
        """Where the file of `kind` is kept, after checking its digest; None if none was given."""
        if kind not in self.files:
            return None
        name, sha = self.files[kind]
        path = ROOT / self.token / kind / name
        if not path.is_file() or _sha256(path) != sha:
            raise UploadChanged(MSG_UPLOAD_CHANGED.format(name=name))
        return path

    @property
    def source(self) -> dict[str, str]:
        """Each file's name and SHA-256, for the audit event."""
        return {kind: f"{name} sha256:{sha}" for kind, (name, sha) in sorted(self.files.items())}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def upload_keep(session: SessionBase, files: dict[str, UploadedFile]) -> KeptUpload:
    """Keep `files` (kind → upload) on the server and name them in the session, replacing
    (and removing) the session's earlier upload."""
    upload_discard(session)
    _remove_stale()
    token = secrets.token_hex(16)
    kept = {}
    for kind, upload in files.items():
        name = get_valid_filename(Path(upload.name or kind).name) or kind
        directory = ROOT / token / kind
        directory.mkdir(mode=0o700, parents=True)
        digest = hashlib.sha256()
        with (directory / name).open("wb") as target:
            for chunk in upload.chunks():
                digest.update(chunk)
                target.write(chunk)
        kept[kind] = (name, digest.hexdigest())
    session[SESSION_KEY] = {"token": token, "files": kept}
    return KeptUpload(token, kept)


def upload_kept(session: SessionBase) -> KeptUpload | None:
    """The session's kept upload, if any."""
    stored = session.get(SESSION_KEY)
    if stored is None:
        return None
    return KeptUpload(stored["token"], {k: tuple(v) for k, v in stored["files"].items()})


def upload_discard(session: SessionBase) -> None:
    """Remove the session's kept upload, files and all."""
    stored = session.pop(SESSION_KEY, None)
    if stored is not None:
        shutil.rmtree(ROOT / stored["token"], ignore_errors=True)


def _remove_stale() -> None:
    ROOT.mkdir(mode=0o700, exist_ok=True)
    for directory in ROOT.iterdir():
        if time.time() - directory.stat().st_mtime > MAX_AGE_SECONDS:
            shutil.rmtree(directory, ignore_errors=True)


@dataclass(frozen=True)
class Extract:
    """The kept files, read."""

    register: pd.DataFrame
    census: pd.DataFrame | None
    links: pd.DataFrame | None


def upload_read(kept: KeptUpload) -> Extract:
    """Read the kept files (digests checked); errors name the uploaded file, not where it is
    kept."""
    frames = {}
    for kind, reader in READERS.items():
        path = kept.path(kind)
        try:
            frames[kind] = None if path is None else reader(path)
        except InputError as error:
            raise InputError(str(error).replace(f"{path.parent}/", "")) from None
    return Extract(frames["gias"], frames["census"], frames["links"])
