"""docs/data-contract.md is the generated contract, up to date, naming every field and code."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from threshold.cli import app
from threshold.model.codes import Code
from threshold.model.contract import TABLES
from threshold.model.docs import contract_markdown
from threshold.model.schema import Table

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-contract.md"
CODE_LISTS = {f.codes for t in TABLES.values() for f in t.fields if f.codes is not None}


def section(markdown: str, heading: str) -> str:
    """The text under `heading` (a whole heading line) up to the next heading of any level."""
    start = markdown.index(f"\n{heading}\n") + len(heading) + 2
    following = [markdown.find(f"\n{h}", start) for h in ("# ", "## ", "### ")]
    return markdown[start : min([i for i in following if i != -1], default=len(markdown))]


def test_the_committed_contract_document_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == contract_markdown(), (
        "docs/data-contract.md is stale: run `threshold contract docs` and commit the result"
    )


@pytest.mark.parametrize("table", TABLES.values(), ids=TABLES)
def test_every_field_of_a_table_is_documented_under_it(table: Table) -> None:
    text = section(contract_markdown(), f"## `{table.filename}`")
    for field in table.fields:
        required = "yes" if field.required else "no"
        assert f"| `{field.name}` | " in text, field.name
        assert f" | {required} | {field.description} | " in text, field.name
    for rule in table.rules:
        assert f"- `{rule.field}` {rule.message}." in text


@pytest.mark.parametrize(
    "codes", sorted(CODE_LISTS, key=lambda c: c.__name__), ids=lambda c: c.__name__
)
def test_every_value_of_a_code_list_is_documented(codes: type[Code]) -> None:
    markdown = contract_markdown()
    text = section(markdown, f"### {codes.__name__}")
    assert [line for line in text.splitlines() if line.startswith("| `")] == [
        f"| `{member.value}` | {member.label} |" for member in codes
    ]
    assert f"see [{codes.__name__}](#{codes.__name__.lower()})" in markdown


def test_contract_docs_command_writes_the_document(tmp_path: Path) -> None:
    out = tmp_path / "docs" / "contract.md"
    result = CliRunner().invoke(app, ["contract", "docs", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == contract_markdown()
