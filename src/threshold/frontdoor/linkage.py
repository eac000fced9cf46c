"""Link free-text school names from front-door records to register URNs.

Names are normalised (case, punctuation, apostrophes, St/Saint, C of E/CE/CofE, RC/Catholic,
Sch/School, Acad/Academy, year groups and postcodes removed) into the key under which decisions
are remembered. For scoring, staff roles are taken out too and the words every school name has
are shortened both ways alike (Primary/Pri/Prim, Junior/Jnr, Voluntary Aided/VA, …). Mentions are
deduplicated, and each distinct mention is scored against the register schools of its LA, and
their former names (predecessors in the GIAS links file), with rapidfuzz: the better of a
token-sort ratio (words in any order) and a character ratio of the names with their spaces taken
out (split and merged words), also with the LA's town names taken off the end of the mention.
Same-named schools are told apart by the mention's town or postcode (given, or found in the
text); when nothing tells them apart a person decides. Non-school mentions ("home educated",
"unknown", …) are never linked.

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

AUTO_SCORE = 86.0
AUTO_MARGIN = 6.0
EXACT_MARGIN = 3.0
CLEAR_SCORE = 75.0
CLEAR_MARGIN = 12.0
CLASH_PENALTY = 10.0
REVIEW_SCORE = 65.0
CANDIDATES = 3

_PHRASES = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\bchurch of england\b|\bc\s*of\s*e\b|\bc\s*e\b", " ce "),
        (r"\broman catholic\b|\br\s*c\b", " catholic "),
        (r"\b(?:yr|year)\s*\d+\b", " "),
        (r"\b[a-z]{1,2}\d[a-z\d]?\s*\d[a-z]{2}\b", " "),  # postcodes
    )
)
_OTHER_CHARACTERS = re.compile(r"[^a-z0-9 ]+")
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
    r"not in education|out of school|private tutor|nursery|college|police|social care|"
    r"unknown school|school unknown|not known (?:at present|yet)|n ?k|home ?school(?:ed|ing)?|"
    r"home ?educat(?:ed|ion) \(?ehe\)?|no school (?:named|place)|awaiting school place)$"
)
_NOT_NAME = re.compile(
    r"\b(?:designated )?safeguarding lead\b|\bdsl\b|\b(?:deputy |assistant )?head ?teacher\b"
    r"|\bdeputy head\b|\bsenco\b|\bclass teacher\b|\bpastoral (?:lead|manager)\b"
    r"|\bschool office\b|\blearning mentor\b|\battendance officer\b|\by\s?\d{1,2}\b"
    r"|\breception\b|\bclass\b|\btrust\b"
)
_JOINED = (
    (re.compile(r"\bchurch of england\b"), "ce"),
    (re.compile(r"\bvoluntary aided\b|\bv a\b"), "va"),
    (re.compile(r"\bvoluntary controlled\b|\bv c\b"), "vc"),
)
_SPELT_OUT = {"ce": "churchofengland", "va": "voluntaryaided", "vc": "voluntarycontrolled"}
_SHORT = {
    "saint": "st",
    "school": "sch",
    "primary": "pri",
    "academy": "acad",
    "junior": "jnr",
    "infant": "inf",
    "community": "comm",
    "college": "coll",
    "nursery": "nurs",
    "catholic": "rc",
    "secondary": "sec",
}
_LONG = {
    **{word: word for word in _SHORT},
    **{short: word for word, short in _SHORT.items()},
    "schl": "school",
    "skool": "school",
    "prim": "primary",
    "pry": "primary",
    "juniors": "junior",
    "infants": "infant",
    "com": "community",
    "collage": "college",
    "girls": "girl",
    "boys": "boy",
}
_GARBLED = (  # the spelt-out phrases with letters lost or misplaced, once spaces are gone
    ("england", re.compile(r"(?:c\w{3,5}h?)?\w{0,3}england"), "ce"),
    ("vo", re.compile(r"vo\w{5,10}?c\w{5,9}ed"), "vc"),
    ("vo", re.compile(r"vo\w{5,10}?aided"), "va"),
)
_EITHER = (("ce", "rc"), ("inf", "jnr"), ("girl", "boy"), ("pri", "sec"), ("pri", "high"))
"""Words that tell two schools apart: a name with one of a pair is not a name with the other."""
_ONES = sum(1 << (2 * pair) for pair in range(len(_EITHER)))
_ABBREVIATED = {**_SHORT, **{spelt: short for short, spelt in _SPELT_OUT.items()}}
_RUN_TOGETHER = re.compile("|".join(sorted(_ABBREVIATED, key=len, reverse=True)))
_COMMON = (*_SHORT, "church", "england", "voluntary", "controlled", "aided", "high", "first")
_ENDINGS = re.compile(r"^([a-z]{3,}?)(" + "|".join(sorted(_LONG, key=len, reverse=True)) + ")$")
_POSTCODE = re.compile(r"\b([a-z]{1,2}\d[a-z\d]?)\s*\d[a-z]{2}\b")


def normalise(text: str) -> str:
    """A school name reduced to the words that identify it, in a standard spelling."""
    lowered = text.lower().replace("&", " and ").replace("’", "").replace("'", "").replace(".", " ")
    for pattern, replacement in _PHRASES:
        lowered = pattern.sub(replacement, lowered)
    lowered = _OTHER_CHARACTERS.sub(" ", lowered)
    words = (_WORDS.get(word, word) for word in lowered.split())
    return " ".join(word for word in " ".join(words).split())


class _Spelling:
    """Names in the two forms they are scored in, read against the register's own words: the
    common words of school names in one spelling (misspelt ones corrected, ones run into the
    word before split off), shortened for the word scorer, in full and without spaces for the
    letter scorer."""

    def __init__(self, register_words: set[str]) -> None:
        self.known = register_words
        self.cache: dict[str, list[str]] = {}

    def forms(self, key: str) -> tuple[str, str]:
        words = [w for word in _NOT_NAME.sub(" ", key).split() for w in self._word(word)]
        text = " ".join(words)
        if "church" in text or " v" in text:
            for pattern, replacement in _JOINED:
                text = pattern.sub(replacement, text)
        words = text.split()
        short = " ".join(_SHORT.get(word, word) for word in words)
        squashed = "".join(_SPELT_OUT.get(word, word) for word in words)
        for cue, pattern, replacement in _GARBLED:
            if cue in squashed:
                squashed = pattern.sub(replacement, squashed)
        return short, _RUN_TOGETHER.sub(lambda found: _ABBREVIATED[found.group(0)], squashed)

    def _word(self, word: str) -> list[str]:
        if word in _LONG:
            return [_LONG[word]]
        if word in self.known:
            return [word]
        if word not in self.cache:
            ending = _ENDINGS.match(word)
            if word.startswith("the") and word[3:] in self.known:  # "the" run into the name
                self.cache[word] = [word[3:]]
            elif ending:
                self.cache[word] = [*self._word(ending.group(1)), _LONG[ending.group(2)]]
            else:
                near = process.extractOne(word, _COMMON, scorer=fuzz.ratio, score_cutoff=80)
                self.cache[word] = [near[0] if near and len(word) >= 5 else word]
        return self.cache[word]


@dataclass(frozen=True)
class _Block:
    """The register schools of one LA: one entry per school, and its names (today's first,
    then former names) in scoring form, with the position of each name's school."""

    urns: list[int]
    towns: list[str]
    districts: list[str]
    names: list[str]
    squashed: list[str]
    marks: np.ndarray
    starts: np.ndarray
    town_words: re.Pattern[str] | None
    places: re.Pattern[str] | None


def link_schools(
    mentions: pd.DataFrame,
    register: pd.DataFrame,
    remembered: pd.DataFrame | None = None,
    *,
    budget: Budget | None = None,
    former_names: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per mention: `mention_id`, `urn` (blank unless auto), `score`, `decision`,
    `candidates` (`urn:score` best first, `;`-separated) and `reason`.

    `mentions` needs `mention_id`, `school_name` and `la_code` (optionally `town`, `postcode`);
    `register` needs `urn`, `name` and `la_code` (optionally `town`, `postcode`).
    `remembered` holds decisions people made before (`la_code`, `name_key`, `urn`; a blank URN
    means "not a school"): the same string in the same LA then gets the same answer.
    `former_names` (`urn`, `name`: today's URN and an old name, as
    `threshold.register.read_former_names` reads them from the GIAS links file) lets a school be
    found by the name it had before.
    With a `budget`, its clock is checked between LAs.
    """
    _require(mentions, ("mention_id", "school_name", "la_code"), "the mentions table")
    _require(register, ("urn", "name", "la_code"), "the register")
    if remembered is not None:
        _require(remembered, ("la_code", "name_key", "urn"), "the remembered decisions")
    if former_names is not None:
        _require(former_names, ("urn", "name"), "the former names")
    written = mentions["school_name"].fillna("").astype(str)
    keys = pd.DataFrame(
        {
            "name": _each_distinct(written, normalise),
            "la_code": mentions["la_code"].fillna("").astype(str),
            "town": _each_distinct(_column(mentions, "town"), normalise),
            "district": _each_distinct(_column(mentions, "postcode"), _district),
        }
    )
    in_text = _each_distinct(written, _district_in)
    keys["district"] = keys["district"].where(keys["district"] != "", in_text)
    distinct = keys.drop_duplicates().reset_index(drop=True)
    decided = _decide(distinct, _blocks(register, former_names), budget)
    if remembered is not None and len(remembered):
        decided = _apply_remembered(decided, remembered)
    linked = keys.merge(decided, on=["name", "la_code", "town", "district"], how="left", sort=False)
    linked.insert(0, "mention_id", mentions["mention_id"].to_numpy())
    return linked[["mention_id", "urn", "score", "decision", "candidates", "reason"]]


def _each_distinct(values: pd.Series, function) -> pd.Series:
    """`function` of each value, computed once per distinct value."""
    codes, uniques = pd.factorize(values)
    mapped = np.array([function(value) for value in uniques] + [""], dtype=object)
    return pd.Series(mapped[codes], index=values.index, dtype=object)


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


def _district_in(text: str) -> str:
    """The outward code of the last postcode written in `text`, or blank."""
    found = _POSTCODE.findall(text.lower())
    return found[-1] if found else ""


def _blocks(
    register: pd.DataFrame, former_names: pd.DataFrame | None
) -> tuple[dict[str, _Block], _Spelling]:
    frame = pd.DataFrame(
        {
            "urn": register["urn"].astype("int64"),
            "name": register["name"].fillna("").astype(str),
            "la_code": register["la_code"].fillna("").astype(str),
            "town": _column(register, "town").map(normalise),
            "district": _column(register, "postcode").map(_district),
        }
    ).reset_index(drop=True)
    names = frame[["urn", "name"]]
    if former_names is not None and len(former_names):
        former = pd.DataFrame(
            {
                "urn": former_names["urn"].astype("int64"),
                "name": former_names["name"].fillna("").astype(str),
            }
        )
        names = pd.concat([names, former[former["urn"].isin(frame["urn"])]], ignore_index=True)
    keys = names["name"].map(normalise)
    spelling = _Spelling({word for key in keys for word in key.split()})
    forms = [spelling.forms(key) for key in keys]
    names = names.assign(
        form=[short for short, _ in forms], squashed=[long for _, long in forms]
    ).drop_duplicates(["urn", "form"])
    blocks = {}
    for la_code, group in frame.groupby("la_code", sort=False):
        towns = sorted({t for t in group["town"] if t}, key=len, reverse=True)
        either = "|".join(map(re.escape, towns))
        own = names[names["urn"].isin(group["urn"])]
        index = own["urn"].map(pd.Series(np.arange(len(group)), index=group["urn"])).to_numpy()
        order = np.argsort(index, kind="stable")
        blocks[str(la_code)] = _Block(
            group["urn"].tolist(),
            group["town"].tolist(),
            group["district"].tolist(),
            own["form"].to_numpy()[order].tolist(),
            own["squashed"].to_numpy()[order].tolist(),
            _marks(own["form"].to_numpy()[order]),
            np.searchsorted(index[order], np.arange(len(group))),
            re.compile(f" (?:{either})$") if towns else None,
            re.compile(f"(?:^| )(?:{either})(?: |$)") if towns else None,
        )
    return blocks, spelling


def _decide(
    distinct: pd.DataFrame,
    blocks: tuple[dict[str, _Block], _Spelling],
    budget: Budget | None,
) -> pd.DataFrame:
    schools, spelling = blocks
    rows: list[tuple[object, ...]] = []
    for la_code, group in distinct.astype(object).groupby("la_code", sort=False):
        if budget is not None:
            budget.check_time()
        block = schools.get(str(la_code))
        if block is None:
            rows += [
                (*key, None, 0.0, "none", "", "LA not in the register")
                for key in group.itertuples(index=False)
            ]
            continue
        bare = [" ".join(_NOT_NAME.sub(" ", key).split()) for key in group["name"]]
        order, best = _best(_scores(bare, spelling, block), CANDIDATES + 3)
        for position, key in enumerate(group.itertuples(index=False)):
            choice = _choose(key, bare[position], order[position], best[position], block)
            rows.append((*key, *choice))
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


def _best(scores: np.ndarray, count: int) -> tuple[list[list[int]], list[list[float]]]:
    """Per row, the columns of the `count` highest scores (highest first, ties by column) and
    those scores."""
    count = min(count, scores.shape[1])
    top = np.argpartition(-scores, count - 1, axis=1)[:, :count]
    values = np.take_along_axis(scores, top, axis=1)
    order = np.lexsort((top, -values), axis=1)
    top, values = np.take_along_axis(top, order, axis=1), np.take_along_axis(values, order, axis=1)
    return top.tolist(), values.astype(float).tolist()


def _scores(bare: list[str], spelling: _Spelling, block: _Block) -> np.ndarray:
    """Each mention's score against each school of the block (the best of its names)."""
    scores = _pair_scores([spelling.forms(key) for key in bare], block)
    if block.town_words is not None:  # people append the town: score without it too
        less = {i: block.town_words.sub("", key) for i, key in enumerate(bare)}
        changed = [i for i, key in less.items() if key and key != bare[i]]
        if changed:
            again = _pair_scores([spelling.forms(less[i]) for i in changed], block)
            scores[changed] = np.maximum(scores[changed], again)
    return np.maximum.reduceat(scores, block.starts, axis=1)


def _marks(forms) -> np.ndarray:
    """Per name, a bit for each side of `_EITHER` it takes (one word of the pair, not both)."""
    marks = np.zeros(len(forms), dtype=np.int64)
    for position, form in enumerate(forms):
        words = set(form.split())
        for pair, (one, other) in enumerate(_EITHER):
            if one in words and other not in words:
                marks[position] |= 1 << (2 * pair)
            elif other in words and one not in words:
                marks[position] |= 2 << (2 * pair)
    return marks


def _pair_scores(forms: list[tuple[str, str]], block: _Block) -> np.ndarray:
    words = process.cdist(
        [short for short, _ in forms], block.names, scorer=fuzz.token_sort_ratio, workers=-1
    )
    letters = process.cdist(
        [squashed for _, squashed in forms], block.squashed, scorer=fuzz.ratio, workers=-1
    )
    mentions = _marks([short for short, _ in forms])
    opposite = ((block.marks & _ONES) << 1) | ((block.marks >> 1) & _ONES)
    clash = (mentions[:, None] & opposite[None, :]) != 0
    return np.maximum(words, letters) - CLASH_PENALTY * clash


def _choose(
    key, bare: str, order: list[int], scores: list[float], block: _Block
) -> tuple[object, float, str, str, str]:
    """The decision on one mention, given its best schools (`order`) and their `scores`."""
    if not bare or NON_SCHOOL.match(key.name) or NON_SCHOOL.match(bare):
        return None, 0.0, "none", "", "not a school"
    best = scores[0]
    margin = EXACT_MARGIN if best == 100 else AUTO_MARGIN
    tied = [i for i, score in zip(order, scores, strict=True) if score > best - margin]
    placed = key.town or key.district or (block.places and block.places.search(key.name))
    local = [
        i
        for i, score in zip(order, scores, strict=True)
        if placed and score >= REVIEW_SCORE and _is_local(key, block, i)
    ]
    if len(tied) > 1 and len(local) == 1 and scores[order.index(local[0])] == best:
        tied = local  # same or near-same names: the mention's town or postcode settles it
    elif local and order[0] not in local:  # the place written is another candidate's
        tied = [order[0], *local]
    candidates = ";".join(
        f"{block.urns[i]}:{score:.0f}"
        for i, score in zip(order[:CANDIDATES], scores, strict=False)
        if score >= REVIEW_SCORE
    )
    clear = best >= CLEAR_SCORE and (len(order) == 1 or best - scores[1] >= CLEAR_MARGIN)
    if (best >= AUTO_SCORE or clear) and len(tied) == 1:
        return block.urns[tied[0]], best, "auto", candidates, ""
    if best >= REVIEW_SCORE:
        reason = "several schools fit" if len(tied) > 1 else "not close enough to be sure"
        return None, best, "review", candidates, reason
    return None, best, "none", candidates, "no register school is close"


def _is_local(key, block: _Block, index: int) -> bool:
    town, district = block.towns[index], block.districts[index]
    named_town = bool(town) and (key.town == town or f" {town} " in f" {key.name} ")
    return named_town or (bool(district) and key.district == district)
