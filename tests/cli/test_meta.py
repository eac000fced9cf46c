"""`threshold meta`: two trials' results.json pooled into the four documents."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from docx import Document
from typer.testing import CliRunner

from threshold.cli import app
from threshold.model import InputError


def _analyse(tmp_path, name: str, seed: int, effect: float):
    rng = np.random.default_rng(seed)
    n = 120
    arm = np.where(np.arange(n) % 2 == 0, "T", "C")
    table = pd.DataFrame({"school": range(n), "arm": arm})
    table["nfa"] = 3 + effect * (arm == "T") + rng.normal(size=n)
    path = tmp_path / f"{name}.csv"
    table.to_csv(path, index=False)
    out = tmp_path / name
    result = CliRunner().invoke(
        app,
        ["analyse", "--table", str(path), "--arm", "arm", "--treatment", "T", "--outcome", "nfa",
         "--id", "school", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out / "results.json"


def test_meta_pools_trials_into_the_four_documents(tmp_path):
    files = [_analyse(tmp_path, f"trial{i}", i, effect) for i, effect in enumerate((-0.4, -0.2))]
    out = tmp_path / "pooled"
    result = CliRunner().invoke(
        app,
        ["meta", *map(str, files), "--label", "North", "--label", "South", "--method", "dl",
         "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Pooled over 2 trials, the Glass's Δ for nfa is" in result.output
    data = json.loads((out / "results.json").read_text())
    assert [s["label"] for s in data["studies"]] == ["North", "South"]
    assert data["method"] == "dl"
    assert (out / "figures" / "meta_forest.png").stat().st_size > 1000
    text = (out / "report.md").read_text()
    assert "2 trials together: nfa" in text
    assert "With 2 trials, τ² is estimated" in text
    assert "North" in (out / "report.html").read_text()
    assert any("Pooled estimates" in p.text for p in Document(out / "report.docx").paragraphs)


def test_meta_refuses_a_file_that_is_not_results(tmp_path):
    bogus = tmp_path / "x.json"
    bogus.write_text('{"rows": []}')
    result = CliRunner().invoke(app, ["meta", str(bogus), str(bogus), "--out", str(tmp_path)])
    assert isinstance(result.exception, InputError)
    assert "is not a results.json" in str(result.exception)
