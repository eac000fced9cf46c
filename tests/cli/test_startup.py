"""`threshold` starts without the heavy libraries (issue 17): importing `threshold.cli`, and
`threshold --help` and every group's and command's `--help`, import none of them; a command
imports what it needs when it runs. Each check runs in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys

HEAVY = ("pandas", "numpy", "scipy", "statsmodels", "matplotlib", "duckdb", "django", "pydantic")
"""What a command may import when it runs, never before (typer converts values with pydantic)."""

PROBE = """
import contextlib, io, json, sys

HEAVY = sys.argv[1:]


def loaded():
    return sorted(name for name in HEAVY if name in sys.modules)


from threshold.cli import command_paths, main

report = {"import": loaded(), "commands": []}
for path in command_paths():
    sys.argv = ["threshold", *path, "--help"]
    out = io.StringIO()
    code = None
    with contextlib.redirect_stdout(out):
        try:
            main()
        except SystemExit as exit:
            code = exit.code
    report["commands"].append(
        {"path": list(path), "code": code, "help": out.getvalue(), "heavy": loaded()}
    )
print(json.dumps(report))
"""


def probe() -> dict:
    """What `import threshold.cli` and each `threshold … --help` loaded, and each help text."""
    env = {key: value for key, value in os.environ.items() if key != "FORCE_COLOR"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *HEAVY],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**env, "NO_COLOR": "1", "COLUMNS": "100"},
        timeout=300,
        check=True,
    )
    return json.loads(result.stdout)


def test_the_cli_starts_without_the_heavy_libraries_and_every_help_renders() -> None:
    report = probe()
    assert report["import"] == []
    commands = report["commands"]
    assert len(commands) > 40  # threshold, its groups and their commands
    for command in commands:
        words = " ".join(["threshold", *command["path"]])
        assert command["heavy"] == [], f"`{words} --help` imported {command['heavy']}"
        assert command["code"] == 0, words
        assert f"Usage: {words} " in command["help"], words
    root = commands[0]
    assert root["path"] == []
    for command in commands[1:]:
        if len(command["path"]) == 1:
            assert f"│ {command['path'][0]} " in root["help"]


def test_a_command_loads_its_libraries_when_it_runs() -> None:
    """The probe above would pass vacuously if nothing ever imported these: a command does."""
    code = (
        "import sys\n"
        "from threshold.cli import main\n"
        "sys.argv = ['threshold', 'design', 'mdes', '--units', '40', '--json']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('numpy' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "True"
