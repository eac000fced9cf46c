"""The house rules that tools enforce: import layers, the core's independence, banned APIs."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "threshold"
BIN = Path(sys.executable).parent
CONFIG = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
CORE_CONTRACT = "The core never imports django, the web layer or the CLI"


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run a command in the repository root, capturing its output."""
    return subprocess.run(
        [str(a) for a in args], cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )


def subpackages() -> set[str]:
    """Every subpackage of `threshold` in the source tree."""
    return {p.parent.name for p in PACKAGE.glob("*/__init__.py")}


def core_contract() -> dict[str, object]:
    (contract,) = (
        c for c in CONFIG["tool"]["importlinter"]["contracts"] if c["name"] == CORE_CONTRACT
    )
    return contract


def test_import_linter_contracts_are_kept() -> None:
    result = run(BIN / "lint-imports", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_core_package_is_forbidden_the_web_layer_and_the_cli() -> None:
    core = {f"threshold.{name}" for name in subpackages() - {"web", "cli"}}
    assert "threshold.model" in core
    assert core <= set(core_contract()["source_modules"]), (
        f"add {sorted(core - set(core_contract()['source_modules']))} to the source_modules of "
        f"the import-linter contract {CORE_CONTRACT!r} in pyproject.toml"
    )


def test_the_core_is_forbidden_django_the_cli_and_the_web_layer_once_it_exists() -> None:
    forbidden = set(core_contract()["forbidden_modules"])
    assert {"django", "threshold.cli"} <= forbidden
    if "web" in subpackages():
        assert "threshold.web" in forbidden


def test_ruff_bans_global_random_state(tmp_path: Path) -> None:
    lint = CONFIG["tool"]["ruff"]["lint"]
    assert {"numpy.random.seed", "random.shuffle"} <= set(lint["flake8-tidy-imports"]["banned-api"])
    source = tmp_path / "shuffle.py"
    lines = ["import random", "", "import numpy as np", "", "x = [1, 2, 3]"]
    source.write_text("\n".join([*lines, "np.random.seed(1)", "random.shuffle(x)", ""]))
    result = run(
        BIN / "ruff",
        "check",
        "--config",
        REPO / "pyproject.toml",
        "--no-cache",
        "--output-format",
        "json",
        source,
    )
    banned = [d for d in json.loads(result.stdout) if d["code"] == "TID251"]
    assert sorted((d["location"]["row"], d["message"].split("`")[1]) for d in banned) == [
        (6, "numpy.random.seed"),
        (7, "random.shuffle"),
    ]
