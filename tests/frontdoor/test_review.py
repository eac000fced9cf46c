"""The review workflow: queue, decisions checked against the register, remembered per LA."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from threshold.frontdoor import accept_decisions, link_schools, review_queue
from threshold.model import InputError

THRESHOLD = Path(sys.executable).parent / "threshold"
REGISTER = pd.DataFrame(
    {
        "urn": [990001, 990002, 990003],
        "name": [
            "St Joseph's Catholic Primary School",
            "St Joseph's Catholic Primary School",
            "Vale Academy",
        ],
        "la_code": ["981", "981", "982"],
        "town": ["Kestrelton", "Porthavel", "Marwick"],
    }
)


def _mentions(names: list[str], la: str = "981") -> pd.DataFrame:
    return pd.DataFrame({"mention_id": range(len(names)), "school_name": names, "la_code": la})


def test_queue_then_remembered_decisions_link_automatically_next_time():
    mentions = _mentions(["St Josephs RC Primary", "st joseph's rc primary", "Home educated"])
    linked = link_schools(mentions, REGISTER)
    assert linked["decision"].tolist() == ["review", "review", "none"]
    queue = review_queue(mentions, linked, REGISTER)
    assert len(queue) == 1  # both spellings normalise to one string
    assert queue.loc[queue.index[0], "mentions"] == 2
    assert "990002 St Joseph's Catholic Primary School" in queue.iloc[0]["candidates"]
    queue["decision"] = "990002"
    remembered = accept_decisions(queue, REGISTER, today=dt.date(2026, 11, 22))
    assert remembered.iloc[0].to_dict() == {
        "la_code": "981",
        "name_key": "saint josephs catholic primary",
        "urn": 990002,
        "decided_on": "2026-11-22",
    }
    again = link_schools(mentions, REGISTER, remembered)
    assert again["decision"].tolist() == ["auto", "auto", "none"]
    assert again["urn"].tolist()[:2] == [990002, 990002]
    assert again.loc[0, "reason"] == "remembered decision"
    other_la = link_schools(_mentions(["St Josephs RC Primary"], la="982"), REGISTER, remembered)
    assert other_la.loc[0, "reason"] != "remembered decision"  # remembered per LA


def test_a_none_decision_is_remembered_and_a_later_decision_replaces_an_earlier():
    queue = pd.DataFrame({"la_code": ["981"], "name_key": ["tuition centre"], "decision": ["none"]})
    remembered = accept_decisions(queue, REGISTER)
    assert pd.isna(remembered.loc[0, "urn"])
    linked = link_schools(_mentions(["Tuition Centre"]), REGISTER, remembered)
    assert linked.loc[0, "decision"] == "none"
    changed = accept_decisions(queue.assign(decision="990001"), REGISTER, remembered)
    assert changed["urn"].tolist() == [990001]


@pytest.mark.parametrize("decision", ["990003", "123", "maybe"])  # 990003 is in another LA
def test_bad_decisions_are_refused_and_nothing_is_remembered(decision):
    queue = pd.DataFrame(
        {"la_code": ["981", "981"], "name_key": ["a", "b"], "decision": ["990001", decision]}
    )
    with pytest.raises(InputError, match=r"queue.csv row 2, column 'decision'"):
        accept_decisions(queue, REGISTER, path="queue.csv")


def test_cli_round_trip(tmp_path):
    register = tmp_path / "register.csv"
    REGISTER.rename(
        columns={"urn": "URN", "name": "EstablishmentName", "la_code": "LA (code)", "town": "Town"}
    ).to_csv(register, index=False)
    mentions = tmp_path / "mentions.csv"
    _mentions(["St Josephs RC Primary"]).to_csv(mentions, index=False)
    queue, remembered = tmp_path / "queue.csv", tmp_path / "remembered.csv"
    common = ["--register", str(register), "--remembered", str(remembered)]
    subprocess.run(
        [
            THRESHOLD,
            "link",
            str(mentions),
            *common,
            "--queue",
            str(queue),
            "--out",
            str(tmp_path / "l.csv"),
        ],
        check=True,
        capture_output=True,
    )
    filled = pd.read_csv(queue, dtype=str).assign(decision="990001")
    filled.to_csv(queue, index=False)
    subprocess.run([THRESHOLD, "link-accept", str(queue), *common], check=True, capture_output=True)
    subprocess.run(
        [THRESHOLD, "link", str(mentions), *common, "--out", str(tmp_path / "l.csv")],
        check=True,
        capture_output=True,
    )
    assert pd.read_csv(tmp_path / "l.csv")["urn"].tolist() == [990001]
