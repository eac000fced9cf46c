"""`--links` on `threshold link` and `threshold frontdoor import`: a school written with the
name it had before it converted links to its URN today, and only when the links file is given."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from factories.cli import run_threshold
from threshold.cli.frontdoor import MSG_LINKS_WITHOUT_REGISTER
from threshold.synth import MESSY_PROFILE

OLD_NAME = "brookside comm primary sch"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """A register of today's schools and a GIAS links file: 990001 (Kestrelton Vale Academy)
    was Brookside Community Primary School (990101) before it converted."""
    register = tmp_path / "register.csv"
    register.write_text(
        "urn,name,la_code\n990001,Kestrelton Vale Academy,981\n990002,Harrington High School,981\n"
    )
    links = tmp_path / "links.csv"
    links.write_text(
        "URN,LinkURN,LinkName,LinkType,LinkEstablishedDate\n"
        "990001,990101,Brookside Community Primary School,Predecessor,01-09-2014\n"
        "990101,990001,Kestrelton Vale Academy,Successor,01-09-2014\n"
    )
    return {"register": register, "links": links}


def test_link_finds_a_former_name_only_with_the_links_file(tmp_path, files):
    mentions = tmp_path / "mentions.csv"
    mentions.write_text(f"mention_id,school_name,la_code\nm1,{OLD_NAME},981\n")
    out = tmp_path / "linked.csv"
    command = ("link", mentions, "--register", files["register"], "--out", out)
    without = run_threshold(*command)
    assert without.returncode == 0, without.stderr
    assert pd.read_csv(out)["decision"].tolist() == ["none"]
    linked = run_threshold(*command, "--links", files["links"])
    assert linked.returncode == 0, linked.stderr
    assert pd.read_csv(out)[["urn", "decision"]].values.tolist() == [[990001, "auto"]]


def test_frontdoor_import_links_a_former_name_only_with_the_links_file(tmp_path, files):
    export = tmp_path / "contacts.csv"
    export.write_text(
        "Child ID,Contact date,Source of contact,School/Setting,Outcome of contact,Contact Ref\n"
        f"C1,04/09/2023,Schools,{OLD_NAME},NFA,A1\n"
    )
    store = tmp_path / "store"
    command = (
        *("frontdoor", "import", export, "--format", "mapped", "--profile", MESSY_PROFILE),
        *("--la", "981", "--out", store, "--register", files["register"], "--json"),
    )
    without = run_threshold(*command)
    assert without.returncode == 0, without.stderr
    assert json.loads(without.stdout)["parts"][0]["linked"] == {"auto": 0, "review": 0, "none": 1}
    assert pd.read_csv(store / "contacts.csv")["cont_source_school_urn"].isna().all()
    linked = run_threshold(*command, "--links", files["links"])
    assert linked.returncode == 0, linked.stderr
    assert json.loads(linked.stdout)["parts"][0]["linked"] == {"auto": 1, "review": 0, "none": 0}
    assert pd.read_csv(store / "contacts.csv")["cont_source_school_urn"].tolist() == [990001]


def test_frontdoor_import_refuses_links_without_a_register(tmp_path, files):
    result = run_threshold(
        *("frontdoor", "import", tmp_path / "contacts.csv", "--format", "mapped"),
        *("--profile", MESSY_PROFILE, "--la", "981", "--out", tmp_path / "store"),
        *("--links", files["links"]),
    )
    assert result.returncode == 2
    assert MSG_LINKS_WITHOUT_REGISTER in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "store").exists()
