"""Where the service keeps files beside its database: front-door stores, trials' files."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.db import connection


def data_root(*, setting: str, variable: str, suffix: str, default: str) -> Path:
    """A folder of the service's files: `settings.<setting>`, else the environment `variable`,
    else beside a SQLite database file (`threshold.sqlite3` -> `threshold<suffix>/`, so that the
    two stay together), else `default` in the repository."""
    configured = getattr(settings, setting, None) or os.environ.get(variable)
    if configured:
        return Path(configured)
    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor == "sqlite" and name and not connection.is_in_memory_db():
        return Path(name).with_suffix(suffix)
    return Path(settings.REPO_DIR) / default
