"""`threshold trial analyse` through the installed console script: it runs the web service's
`trial_analyse` command (the full run is tested in tests/web/integration/test_trials_analysis.py)
and prints its errors plainly, exiting non-zero."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

THRESHOLD = Path(sys.executable).parent / "threshold"


def threshold(*args: str, database: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [str(THRESHOLD), *args],
        env=base | {"DATABASE_URL": f"sqlite:///{database}", "NO_COLOR": "1"} | env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_trial_analyse_runs_the_web_services_command(tmp_path: Path) -> None:
    database = tmp_path / "threshold.sqlite3"
    migrated = subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--no-input", "--verbosity", "0"],
        env=os.environ
        | {
            "DJANGO_SETTINGS_MODULE": "threshold.web.config.settings.dev",
            "DATABASE_URL": f"sqlite:///{database}",
        },
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert migrated.returncode == 0, migrated.stderr
    missing = threshold("trial", "analyse", "999", "--by", "evaluator", database=database)
    assert missing.returncode == 2
    assert "error: trial 999 is not in Threshold" in missing.stderr
    assert "Traceback" not in missing.stderr
    helped = threshold("trial", "analyse", "--help", database=database)
    assert helped.returncode == 0
    assert "--exploratory" in helped.stdout
