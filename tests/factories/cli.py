"""Running the installed `threshold` console script as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(sys.executable).parent / "threshold"


def run_threshold(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run `threshold` with `args` (no colour), capturing its output; never raises on failure."""
    env = {key: value for key, value in os.environ.items() if key != "FORCE_COLOR"}
    return subprocess.run(
        [str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**env, "NO_COLOR": "1"},
        timeout=300,
        check=False,
    )
