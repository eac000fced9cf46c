"""Predecessor and successor links between schools (the GIAS links file), and today's URN.

A school gets a new URN when it converts to an academy, amalgamates, merges or splits; GIAS
records each change from both ends (`Successor …` on the old URN, `Predecessor …` on the new).
Other link types (sixth-form centres, expansions, children's centres, …) do not change a URN and
are ignored. The `Predecessor …` rows also give the old school's name (`LinkName`): the name
people may still write for the school today (`read_former_names`, for school linkage).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from threshold.register._files import check_urns, pick, read_text

LINK_COLUMNS = {
    "urn": ("URN",),
    "link_urn": ("LinkURN",),
    "link_type": ("LinkType",),
    "established": ("LinkEstablishedDate",),
    "link_name": ("LinkName",),
}

REASON_SPLIT = "{urn} split into {count} schools ({successors})"
REASON_CYCLE = "successor links form a cycle ({path})"


def read_links(path: Path) -> pd.DataFrame:
    """One row per distinct change: predecessor, successor, kind, established (as written).

    `kind` is what follows the dash in the link type (`amalgamated`, `merged`, `split school`),
    blank for a plain conversion.
    """
    return _changes(_read(path, ("urn", "link_urn", "link_type")), path)


def read_former_names(path: Path) -> pd.DataFrame:
    """The names schools had before they changed URN: `urn` (today's, following successor
    links) and `name` (a predecessor's `LinkName`), one row per distinct pair. A school whose
    chain of successors cannot be followed (a split or a loop) has no row."""
    links = _read(path, ("urn", "link_urn", "link_type", "link_name"))
    direction = links["link_type"].str.casefold().str.partition("-")[0].str.strip()
    named = links[(direction == "predecessor") & (links["link_name"] != "")]
    successor = check_urns(named["urn"], path, "URN", unique=False)
    today = current_urns(successor, _changes(links, path))["current_urn"].to_numpy()
    former = pd.DataFrame({"urn": today, "name": named["link_name"].to_numpy()})
    former = former.dropna(subset=["urn"]).drop_duplicates().astype({"urn": "int64"})
    return former.sort_values(["urn", "name"]).reset_index(drop=True)


def _read(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    raw = read_text(path, "links file")
    return pick(raw, LINK_COLUMNS, required, path=path, what="links file")


def _changes(links: pd.DataFrame, path: Path) -> pd.DataFrame:
    parts = links["link_type"].str.casefold().str.partition("-")
    direction, kind = parts[0].str.strip(), parts[2].str.strip()
    wanted = direction.isin(("successor", "predecessor"))
    links = links[wanted]
    urn = check_urns(links["urn"], path, "URN", unique=False)
    other = check_urns(links["link_urn"], path, "LinkURN", unique=False)
    later = direction[wanted] == "successor"
    changes = pd.DataFrame(
        {
            "predecessor": urn.where(later, other),
            "successor": other.where(later, urn),
            "kind": kind[wanted],
            "established": links.get("established", ""),
        }
    )
    changes = changes.drop_duplicates(["predecessor", "successor"])
    return changes.sort_values(["predecessor", "successor"]).reset_index(drop=True)


def current_urns(urns: Iterable[int], links: pd.DataFrame) -> pd.DataFrame:
    """Today's URN of each of `urns`, following successor links: urn, current_urn, steps, reason.

    A URN with no successor is its own current URN (steps 0). A chain that reaches a school split
    into several, or that loops, is not resolved: `current_urn` is missing and `reason` says why.
    """
    successors: dict[int, list[int]] = {}
    for before, after in zip(links["predecessor"], links["successor"], strict=True):
        successors.setdefault(int(before), []).append(int(after))
    rows = [_follow(int(urn), successors) for urn in urns]
    result = pd.DataFrame(rows, columns=["urn", "current_urn", "steps", "reason"])
    result["current_urn"] = result["current_urn"].astype("Int64")
    result["steps"] = result["steps"].astype("int64")
    result["reason"] = result["reason"].astype("string")
    return result


def _follow(urn: int, successors: dict[int, list[int]]) -> tuple[int, int | None, int, str | None]:
    path = [urn]
    while True:
        after = successors.get(path[-1], [])
        if not after:
            return urn, path[-1], len(path) - 1, None
        if len(after) > 1:
            listed = ", ".join(str(successor) for successor in sorted(after))
            reason = REASON_SPLIT.format(urn=path[-1], count=len(after), successors=listed)
            return urn, None, len(path) - 1, reason
        if after[0] in path:
            loop = " → ".join(str(step) for step in [*path, after[0]])
            return urn, None, len(path) - 1, REASON_CYCLE.format(path=loop)
        path.append(after[0])
