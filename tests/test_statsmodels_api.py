"""No module of the core or the CLI imports `statsmodels.api`, which imports the whole of
statsmodels (about 3 s of CPU): each imports the statsmodels modules it uses (issue 17)."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import importlib, json, pkgutil, sys
import threshold

names = [
    module.name
    for module in pkgutil.walk_packages(threshold.__path__, "threshold.")
    if not module.name.startswith("threshold.web")
]
for name in names:
    importlib.import_module(name)
print(json.dumps({
    "modules": len(names),
    "statsmodels": sorted(m for m in sys.modules if m.startswith("statsmodels.")),
}))
"""


def test_no_module_imports_statsmodels_api() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=600, check=True
    )
    report = json.loads(result.stdout)
    assert report["modules"] > 50
    assert "statsmodels.regression.linear_model" in report["statsmodels"]  # it did load some
    assert "statsmodels.api" not in report["statsmodels"]
