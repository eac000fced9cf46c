"""Predecessor and successor links, and following them to today's URN.

`gias_links_invented.csv` is invented (URNs 990001–990082 are not real schools), laid out as the
GIAS links file is: each change recorded from both ends, other link types mixed in.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from threshold.model import InputError
from threshold.register import current_urns, read_former_names, read_links

LINKS = Path(__file__).resolve().parents[1] / "data" / "gias_links_invented.csv"


@pytest.fixture(scope="module")
def links() -> pd.DataFrame:
    return read_links(LINKS)


def resolve(links: pd.DataFrame, urn: int) -> pd.Series:
    return current_urns([urn], links).iloc[0]


def test_a_change_recorded_from_both_ends_is_one_change(links):
    conversion = links[links["predecessor"] == 990001]
    assert conversion[["successor", "kind", "established"]].values.tolist() == [
        [990002, "", "01-09-2012"]
    ]
    assert len(links) == 14


def test_link_types_that_do_not_change_a_urn_are_ignored(links):
    assert not {990061, 990062} & (set(links["predecessor"]) | set(links["successor"]))


def test_the_kind_of_change_is_kept(links):
    kinds = links.set_index("predecessor")["kind"]
    assert kinds[990031] == "amalgamated"
    assert kinds[990041] == "merged"
    assert set(kinds[990021]) == {"split school"}


@pytest.mark.parametrize(
    ("urn", "current", "steps"),
    [
        (990001, 990002, 1),  # converted to an academy
        (990011, 990013, 2),  # converted, then re-brokered
        (990012, 990013, 1),
        (990031, 990033, 1),  # amalgamated
        (990032, 990033, 1),
        (990041, 990042, 1),  # merged
        (990081, 990082, 1),  # recorded only as the successor's predecessor
        (990061, 990061, 0),  # a sixth-form centre link is not a change
        (100000, 100000, 0),  # no links at all
    ],
)
def test_successor_chains_lead_to_todays_urn(links, urn, current, steps):
    result = resolve(links, urn)
    assert (result["current_urn"], result["steps"]) == (current, steps)
    assert pd.isna(result["reason"])


def test_a_split_is_not_resolved_and_says_why(links):
    result = resolve(links, 990021)
    assert pd.isna(result["current_urn"])
    assert result["reason"] == "990021 split into 2 schools (990022, 990023)"


def test_a_split_further_down_the_chain_is_not_resolved(links):
    result = resolve(links, 990071)
    assert pd.isna(result["current_urn"])
    assert result["steps"] == 1
    assert result["reason"] == "990072 split into 2 schools (990073, 990074)"


def test_a_loop_is_reported_not_followed_forever(links):
    result = resolve(links, 990051)
    assert pd.isna(result["current_urn"])
    assert result["reason"] == "successor links form a cycle (990051 → 990052 → 990051)"


def test_one_row_per_urn_asked_in_order(links):
    result = current_urns([990041, 100000, 990041], links)
    assert result["urn"].tolist() == [990041, 100000, 990041]
    assert result["current_urn"].tolist() == [990042, 100000, 990042]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("990001,99000X,A,Successor,\n", r"row 1: LinkURN '99000X' is not a six-digit number"),
        ("990001,990002,A,Other,\n1234,990002,A,Predecessor,\n", r"row 2: URN '1234' is not"),
    ],
)
def test_bad_urns_in_change_links_are_errors(tmp_path, rows, message):
    path = tmp_path / "links.csv"
    path.write_text(f"URN,LinkURN,LinkName,LinkType,LinkEstablishedDate\n{rows}")
    with pytest.raises(InputError, match=rf"links\.csv {message}"):
        read_links(path)


def test_a_links_file_needs_a_link_type(tmp_path):
    path = tmp_path / "links.csv"
    path.write_text("URN,LinkURN\n990001,990002\n")
    with pytest.raises(InputError, match="the links file needs a link_type column"):
        read_links(path)


def test_former_names_are_predecessors_names_under_todays_urn():
    former = read_former_names(LINKS)
    assert former.values.tolist() == [
        [990002, "Invented Primary School"],
        [990013, "Invented Middle Academy"],
        [990033, "Invented Infant School"],
        [990033, "Invented Junior School"],
        [990082, "Invented Hill School"],
    ]


def test_former_names_need_the_link_name(tmp_path):
    path = tmp_path / "links.csv"
    path.write_text("URN,LinkURN,LinkType\n990002,990001,Predecessor\n")
    with pytest.raises(InputError, match="needs a link_name column"):
        read_former_names(path)
