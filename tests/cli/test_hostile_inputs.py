"""Broken inputs to `validate`, `link`, `analyse` and `frontdoor import`: one line naming the
file and the fix, a non-zero exit, no traceback and nothing written."""

from __future__ import annotations

from factories.cli import run_threshold
from factories.fuzz import REGISTER, xlsx
from threshold.frontdoor.limits import MSG_DIMENSION
from threshold.frontdoor.review import MSG_REMEMBERED_COLUMNS, MSG_REMEMBERED_URN
from threshold.model.files import MSG_UNREADABLE_ROW
from threshold.pipeline import MSG_OUT


def _one_line_error(result, expected: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == f"error: {expected}"


def test_validate_reports_a_field_over_131072_characters_as_a_violation(tmp_path):
    (tmp_path / "schools.csv").write_text(f"urn,name\n1,{'x' * 140_000}\n", encoding="utf-8")
    result = run_threshold("validate", tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    reason = MSG_UNREADABLE_ROW.format(reason="field larger than field limit (131072)")
    assert result.stdout.splitlines()[0] == f"schools.csv row 1: {reason}"


def test_link_with_a_malformed_remembered_file_says_which_and_writes_nothing(tmp_path):
    (tmp_path / "mentions.csv").write_text(
        "mention_id,school_name,la_code\n1,Oak Academy,981\n", encoding="utf-8"
    )
    (tmp_path / "register.csv").write_text(REGISTER, encoding="utf-8")
    remembered = tmp_path / "remembered.csv"
    common = ("link", tmp_path / "mentions.csv", "--register", tmp_path / "register.csv")
    common += ("--out", tmp_path / "linked.csv", "--remembered", remembered)
    remembered.write_text("foo,bar\n1,2\n", encoding="utf-8")
    _one_line_error(
        run_threshold(*common),
        MSG_REMEMBERED_COLUMNS.format(path=remembered, present="foo, bar"),
    )
    remembered.write_text("la_code,name_key,urn\n981,oak academy,abc\n", encoding="utf-8")
    _one_line_error(
        run_threshold(*common), MSG_REMEMBERED_URN.format(path=remembered, row=1, value="abc")
    )
    assert not (tmp_path / "linked.csv").exists()


def test_analyse_with_an_unwritable_out_fails_before_the_analysis(tmp_path):
    table = tmp_path / "flat.csv"
    rows = [f"s{i},{'t' if i % 2 else 'c'},{(i * 7) % 5}.5" for i in range(20)]
    table.write_text("school,arm,y\n" + "\n".join(rows) + "\n", encoding="utf-8")
    blocker = tmp_path / "results"
    blocker.write_text("a file where the directory should go", encoding="utf-8")
    result = run_threshold(
        "analyse",
        "--table",
        table,
        "--arm",
        "arm",
        "--treatment",
        "t",
        "--outcome",
        "y",
        "--out",
        blocker / "run",
    )
    reason = f"{blocker} is a file"
    _one_line_error(result, MSG_OUT.format(path=blocker / "run", reason=reason))
    assert blocker.read_text(encoding="utf-8") == "a file where the directory should go"


def test_frontdoor_import_refuses_a_workbook_declaring_a_huge_range(tmp_path):
    path = tmp_path / "far.xlsx"
    path.write_bytes(
        xlsx({"List 1": [["Child Unique ID", "Date of Contact"]]}, dimension="A1:XFD1048576")
    )
    result = run_threshold(
        "frontdoor", "import", path, "--format", "annex-a", "--la", "981", "--out", tmp_path / "s"
    )
    expected = MSG_DIMENSION.format(
        file="far.xlsx [List 1]",
        ref="A1:XFD1048576",
        rows=1_048_576,
        columns=16_384,
        limit_rows=1_048_576,
        limit_columns=1_000,
    )
    _one_line_error(result, expected)
    assert not (tmp_path / "s" / "current").exists()
