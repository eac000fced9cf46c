"""`export-delivery` writes files people open: no text cell runs as a spreadsheet formula,
and `threshold validate` and `read_table` read back exactly what the service holds."""

from __future__ import annotations

import csv
from pathlib import Path

from django.core.management import call_command
from typer.testing import CliRunner

from threshold.cli import app
from threshold.model import check_directory, read_table
from threshold.web.organisations.models import School

FORMULA = '=HYPERLINK("http://x","y")'


def test_a_school_named_as_a_formula_is_neutralised_and_read_back(
    places: dict[str, object], tmp_path: Path
) -> None:
    School.objects.filter(urn=990001).update(name=FORMULA)
    School.objects.filter(urn=991001).update(name="@SUM(A1:A9)")
    call_command("delivery_export", str(tmp_path))
    with (tmp_path / "schools.csv").open(encoding="utf-8", newline="") as handle:
        names = {row["urn"]: row["name"] for row in csv.DictReader(handle)}
    assert names == {"990001": "'" + FORMULA, "991001": "'@SUM(A1:A9)"}
    assert check_directory(tmp_path) == []
    assert CliRunner().invoke(app, ["validate", str(tmp_path)]).exit_code == 0
    schools = read_table(tmp_path, "schools").set_index("urn")["name"]
    assert schools.to_dict() == {990001: FORMULA, 991001: "@SUM(A1:A9)"}
