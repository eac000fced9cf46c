"""The dashboards' figures, kept for a while under a key made from exactly what they are
computed from (the LA's schools, contacts and referrals as read, the school year and the
latest data's date). Computing them takes most of a dashboard's time (a second or more
for an LA's year); reading the inputs and hashing them takes milliseconds, so the same
inputs give the same figures at once, and any change to them (an import, a school's
pupil numbers) makes a new key: the cache never answers with figures from other data."""

from __future__ import annotations

import hashlib

import pandas as pd

FIGURES_SECONDS = 15 * 60
"""How long figures are kept (Django's cache: per process with the default LocMemCache)."""
VERSION = 1
"""Raise when the figures' computation changes, if a shared cache outlives a deployment."""


def figures_key(*parts: object) -> str:
    """A cache key for figures computed from `parts` (DataFrames and plain values)."""
    digest = hashlib.sha256(f"v{VERSION}".encode())
    for part in parts:
        if isinstance(part, pd.DataFrame):
            digest.update(repr([(str(c), str(t)) for c, t in part.dtypes.items()]).encode())
            digest.update(pd.util.hash_pandas_object(part, index=False).to_numpy().tobytes())
        else:
            digest.update(repr(part).encode())
        digest.update(b"\0")
    return f"threshold:insights:figures:{digest.hexdigest()}"
