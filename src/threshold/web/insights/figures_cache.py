"""The dashboards' figures, kept for a while under a key made from exactly what they are
computed from (the LA's schools, contacts and referrals as read, the school year and the
latest data's date). Computing them takes most of a dashboard's time (a second or more
for an LA's year); reading the inputs and hashing them takes milliseconds, so the same
inputs give the same figures at once, and any change to them (an import, a school's
pupil numbers) makes a new key: the cache never answers with figures from other data.
What a page makes from figures (its sorted table, chart and comparison, and their HTML) is
kept the same way, under a key made from the figures' key and the page's own inputs; so are
a survey wave's response rates (`surveys.selectors.monitoring`)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

import pandas as pd
from django.core.cache import cache

Kept = TypeVar("Kept")

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


def kept(key: str, compute: Callable[[], Kept]) -> Kept:
    """What `compute()` gives, kept under `key` (a figures_key of everything it depends on)
    for FIGURES_SECONDS: a page's tables and chart made from figures are made once."""
    missing = object()
    value = cache.get(key, missing)
    if value is missing:
        value = compute()
        cache.set(key, value, FIGURES_SECONDS)
    return value
