"""Link free-text school names from front-door records to register URNs.

Names are normalised (case, punctuation, apostrophes, St/Saint, C of E/CE/CofE, RC/Catholic,
Sch/School, Acad/Academy, year groups and postcodes removed), mentions are deduplicated, and each
distinct mention is scored against the register schools of its LA with rapidfuzz (token-sort
ratio, also with the LA's town names taken out of the mention, since people append towns).
Same-named schools are told apart by the mention's town or postcode. Non-school mentions
("home educated", "unknown", …) are never linked.

Decisions: `auto` (confident: a clear best candidate), `review` (a short ranked candidate list
for a person to choose from) and `none`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from threshold.frontdoor.limits import Budget
from threshold.model import InputError

MSG_COLUMNS = "{what} needs the columns {needed}; it has {present}"

AUTO_SCORE = 80.0
AUTO_MARGIN = 5.0
REVIEW_SCORE = 65.0
CANDIDATES = 3
SCORER = fuzz.token_sort_ratio

_PHRASES = (
    (r"\bchurch of england\b|\bc\s*of\s*e\b|\bc\s*e\b", " ce "),
    (r"\broman catholic\b|\br\s*c\b", " catholic "),
    (r"\b(?:yr|year)\s*\d+\b", " "),
    (r"\b[a-z]{1,2}\d[a-z\d]?\s*\d[a-z]{2}\b", " "),  # postcodes
)
_WORDS = {
    "st": "saint",
    "sch": "school",
    "schl": "school",
    "acad": "academy",
    "coll": "college",
    "hs": "high school",
    "cc": "community college",
    "comm": "community",
    "jnr": "junior",
    "jun": "junior",
    "inf": "infant",
    "prim": "primary",
    "sec": "secondary",
    "the": "",
    "and": "",
    "cofe": "ce",
}
NON_SCHOOL = re.compile(
    r"^(?:unknown|not known|n ?a|none|nil|tbc|tba|missing|not recorded|not stated|other|"
    r"home educated|home education|elective home education|ehe|not in school|no school|"
    r"not in education|out of school|private tutor|nursery|college|police|social care)$"
)


def normalise(text: str) -> str:
    """A school name reduced to the words that identify it, in a standard spelling."""
    lowered = text.lower().replace("&", " and ").replace("’", "").replace("'", "").replace(".", " ")
    for pattern, replacement in _PHRASES:
        lowered = re.sub(pattern, replacement, lowered)
    lowered = re.sub(r"[^a-z0-9 ]+", " ", lowered)
    words = (_WORDS.get(word, word) for word in lowered.split())
    return " ".join(word for word in " ".join(words).split())


@dataclass(frozen=True)
class _Block:
    """The register schools of one LA, normalised."""

    urns: np.ndarray
    names: list[str]
    towns: np.ndarray
    districts: np.ndarray
    town_words: re.Pattern[str] | None


def link_schools(
    mentions: pd.DataFrame,
    register: pd.DataFrame,
    remembered: pd.DataFrame | None = None,
    *,
    budget: Budget | None = None,
) -> pd.DataFrame:
    """One row per mention: `mention_id`, `urn` (blank unless auto), `score`, `decision`,
    `candidates` (`urn:score` best first, `;`-separated) and `reason`.

    `mentions` needs `mention_id`, `school_name` and `la_code` (optionally `town`, `postcode`);
    `register` needs `urn`, `name` and `la_code` (optionally `town`, `postcode`).
    `remembered` holds decisions people made before (`la_code`, `name_key`, `urn`; a blank URN
    means "not a school"): the same string in the same LA then gets the same answer.
    With a `budget`, its clock is checked between LAs.
    """
    _require(mentions, ("mention_id", "school_name", "la_code"), "the mentions table")
    _require(register, ("urn", "name", "la_code"), "the register")
    if remembered is not None:
        _require(remembered, ("la_code", "name_key", "urn"), "the remembered decisions")
    keys = pd.DataFrame(
        {
            "name": mentions["school_name"].fillna("").astype(str).map(normalise),
            "la_code": mentions["la_code"].fillna("").astype(str),
            "town": _column(mentions, "town").map(normalise),
            "district": _column(mentions, "postcode").map(_district),
        }
    )
    distinct = keys.drop_duplicates().reset_index(drop=True)
    decided = _decide(distinct, _blocks(register), budget)
    if remembered is not None and len(remembered):
        decided = _apply_remembered(decided, remembered)
    linked = keys.merge(decided, on=["name", "la_code", "town", "district"], how="left", sort=False)
    linked.insert(0, "mention_id", mentions["mention_id"].to_numpy())
    return linked[["mention_id", "urn", "score", "decision", "candidates", "reason"]]


def _apply_remembered(decided: pd.DataFrame, remembered: pd.DataFrame) -> pd.DataFrame:
    known = remembered.drop_duplicates(["la_code", "name_key"], keep="last").set_index(
        ["la_code", "name_key"]
    )
    keys = pd.MultiIndex.from_arrays([decided["la_code"], decided["name"]])
    hit = keys.isin(known.index)
    urns = known["urn"].reindex(keys[hit]).astype("Int64").to_numpy()
    decided = decided.copy()
    decided.loc[hit, "urn"] = urns
    decided.loc[hit, "decision"] = np.where(pd.isna(urns), "none", "auto")
    decided.loc[hit, "reason"] = "remembered decision"
    return decided


def _require(frame: pd.DataFrame, needed: tuple[str, ...], what: str) -> None:
    if not set(needed) <= set(frame.columns):
        raise InputError(
            MSG_COLUMNS.format(
                what=what, needed=", ".join(needed), present=", ".join(frame.columns)
            )
        )


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name].fillna("").astype(str) if name in frame else pd.Series("", index=frame.index)


def _district(postcode: str) -> str:
    """The outward code of a postcode (`QA1 2BC` -> `qa1`), or blank."""
    match = re.match(r"\s*([A-Za-z]{1,2}\d[A-Za-z\d]?)\s*\d[A-Za-z]{2}\s*$", postcode)
    return match.group(1).lower() if match else ""


def _blocks(register: pd.DataFrame) -> dict[str, _Block]:
    frame = pd.DataFrame(
        {
            "urn": register["urn"].astype("int64"),
            "name": register["name"].fillna("").astype(str).map(normalise),
            "la_code": register["la_code"].fillna("").astype(str),
            "town": _column(register, "town").map(normalise),
            "district": _column(register, "postcode").map(_district),
        }
    )
    blocks = {}
    for la_code, group in frame.groupby("la_code", sort=False):
        towns = sorted({t for t in group["town"] if t}, key=len, reverse=True)
        pattern = re.compile(r" (?:" + "|".join(map(re.escape, towns)) + r")$") if towns else None
        blocks[str(la_code)] = _Block(
            group["urn"].to_numpy(),
            group["name"].tolist(),
            group["town"].to_numpy(),
            group["district"].to_numpy(),
            pattern,
        )
    return blocks


def _decide(
    distinct: pd.DataFrame, blocks: dict[str, _Block], budget: Budget | None
) -> pd.DataFrame:
    rows: list[tuple[object, ...]] = []
    for la_code, group in distinct.groupby("la_code", sort=False):
        if budget is not None:
            budget.check_time()
        block = blocks.get(str(la_code))
        names = group["name"].tolist()
        if block is None:
            rows += [
                (*key, None, 0.0, "none", "", "LA not in the register")
                for key in group.itertuples(index=False)
            ]
            continue
        plain = process.cdist(names, block.names, scorer=SCORER, workers=-1)
        if block.town_words is not None:  # people append the town: score without it too
            stripped = [block.town_words.sub("", name) or name for name in names]
            plain = np.maximum(
                plain, process.cdist(stripped, block.names, scorer=SCORER, workers=-1)
            )
        for position, key in enumerate(group.itertuples(index=False)):
            rows.append((*key, *_choose(key, plain[position], block)))
    return pd.DataFrame(
        rows,
        columns=[
            "name",
            "la_code",
            "town",
            "district",
            "urn",
            "score",
            "decision",
            "candidates",
            "reason",
        ],
    ).astype({"urn": "Int64"})


def _choose(key, scores: np.ndarray, block: _Block) -> tuple[object, float, str, str, str]:
    if not key.name or NON_SCHOOL.match(key.name):
        return None, 0.0, "none", "", "not a school"
    order = np.argsort(-scores, kind="stable")[: CANDIDATES + 3]
    best = float(scores[order[0]])
    tied = [i for i in order if scores[i] >= best - AUTO_MARGIN]
    if len(tied) > 1:  # same or near-same names: the mention's town or postcode may settle it
        local = [i for i in tied if _is_local(key, block, i)]
        if len(local) == 1 and scores[local[0]] == best:
            tied = local
    candidates = ";".join(
        f"{block.urns[i]}:{scores[i]:.0f}" for i in order[:CANDIDATES] if scores[i] >= REVIEW_SCORE
    )
    if best >= AUTO_SCORE and len(tied) == 1:
        return int(block.urns[tied[0]]), best, "auto", candidates, ""
    if best >= REVIEW_SCORE:
        reason = "several schools fit" if len(tied) > 1 else "not close enough to be sure"
        return None, best, "review", candidates, reason
    return None, best, "none", candidates, "no register school is close"


def _is_local(key, block: _Block, index: int) -> bool:
    town, district = block.towns[index], block.districts[index]
    named_town = bool(town) and (key.town == town or f" {town} " in f" {key.name} ")
    return named_town or (bool(district) and key.district == district)
