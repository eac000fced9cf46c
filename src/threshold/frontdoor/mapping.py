"""Apply a profile to a raw export: contract-shaped text, and every problem by record and field.

Dates are parsed with the profile's formats (day first), codes through its value maps, Excel's
numbers and dates written as the contract writes them. How a referral ended is derived from
what the standard records (the NFA flag, the reason for closure, plans that followed).
"""

from __future__ import annotations

import datetime as dt
import json
import operator
import re
from dataclasses import dataclass
from itertools import repeat

import numpy as np
import pandas as pd

from threshold.frontdoor.limits import LIMITS, Budget
from threshold.frontdoor.profiles import Profile, spelling_key
from threshold.frontdoor.readers import RawTable
from threshold.model import TABLES, ContactOutcome, InputError, ReferralOutcome

MSG_NO_COLUMN = (
    "{file}: no column for {target} (looked for {expected}); the header has: {header}. "
    "Name the column in a profile (--profile)"
)
MSG_NOT_DATE = "{value!r} is not a date in a recognised format ({formats})"
MSG_NOT_CODE = "{value!r} is not a recognised {what}; add it to [values.{target}] in the profile"
MSG_NOT_FLAG = "{value!r} is not yes or no"
MSG_OUTCOME_JSON = "{value!r} is not a JSON object of outcome flags"

_DATES = ("cont_contact_date", "cine_referral_date", "cine_close_date")
_DATES += ("cine_cin_plan_date", "cine_cp_plan_date")
_TIME = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
_TRUE = {"true", "1", "y", "yes", "a) yes", "t"}
_FALSE = {"false", "0", "n", "no", "b) no", "f"}
_REQUIRED = {
    "contacts": ("cont_person_id", "cont_contact_date", "cont_contact_source_code"),
    "referrals": ("cine_person_id", "cine_referral_date", "cine_referral_source_code"),
}
_WHAT = {
    "cont_contact_source_code": "contact source",
    "cine_referral_source_code": "referral source",
    "cont_contact_outcome": "contact outcome",
    "cine_referral_outcome": "referral outcome",
}
_CLOSE_NFA_AFTER_ASSESSMENT = "RC8"
_CLOSE_EARLY_HELP = "RC9"


@dataclass(frozen=True)
class Mapped:
    """The records as contract text (`frame`, the profile's fields that were found), the
    problems found per record position, and profile columns that the file does not have."""

    frame: pd.DataFrame
    problems: dict[int, list[tuple[str, str]]]
    absent: tuple[str, ...]


def apply_profile(raw: RawTable, profile: Profile, *, budget: Budget | None = None) -> Mapped:
    """Map `raw` through `profile`; a missing required column fails the whole file. The
    budget's clock is checked as the work goes."""
    budget = budget or LIMITS.start(raw.file)
    by_key = {spelling_key(column): column for column in raw.frame.columns}
    found: dict[str, str] = {}
    absent: list[str] = []
    for target, names in profile.columns.items():
        hit = next((by_key[spelling_key(n)] for n in names if spelling_key(n) in by_key), None)
        if hit is None:
            absent.append(target)
        else:
            found[target] = hit
    for target in _REQUIRED[profile.table]:
        if target not in found:
            raise InputError(
                MSG_NO_COLUMN.format(
                    file=raw.file,
                    target=target,
                    expected=" or ".join(repr(n) for n in profile.columns.get(target, (target,))),
                    header=", ".join(repr(c) for c in raw.frame.columns),
                )
            )
    problems: dict[int, list[tuple[str, str]]] = {}
    out = pd.DataFrame(index=range(len(raw.frame)))
    for target, column in found.items():  # each distinct value is converted once
        budget.check_time()
        codes, uniques = pd.factorize(raw.frame[column].astype(object))
        found_in_distinct: dict[int, list[tuple[str, str]]] = {}
        distinct = [*_texts(uniques), ""]  # code -1 (missing) is the last
        converted = np.asarray(_convert(target, distinct, profile, found_in_distinct), dtype=object)
        out[target] = pd.Series(converted[codes], index=out.index, dtype=object)
        if found_in_distinct:
            bad = np.array(list(found_in_distinct))
            bad[bad == len(uniques)] = -1
            rows = np.flatnonzero(np.isin(codes, bad))
            for i, j in zip(rows.tolist(), codes[rows].tolist(), strict=True):
                problems.setdefault(i, []).extend(found_in_distinct[j % (len(uniques) + 1)])
    budget.check_time()
    if profile.table == "contacts" and "cont_contact_outcome_json" in out:
        out = _contact_outcome_from_json(out, problems, budget)
    if profile.table == "referrals":
        out = _referral_outcome(out)
    keep = [c for c in out.columns if c in TABLES[profile.table].columns]
    return Mapped(out[keep], problems, tuple(absent))


def _convert(
    target: str, texts: list[str], profile: Profile, problems: dict[int, list[tuple[str, str]]]
) -> list[str]:
    if target in _DATES:
        return _dates(target, texts, profile.date_formats, problems)
    if target in _WHAT:
        converted = []
        for i, text in enumerate(texts):
            code = profile.code(target, text) if text else ""
            if code is None:
                problems.setdefault(i, []).append(
                    (target, MSG_NOT_CODE.format(value=text, what=_WHAT[target], target=target))
                )
                code = ""
            converted.append(code)
        return converted
    if target == "cine_referral_nfa":
        converted = []
        for i, text in enumerate(texts):
            key = text.casefold()
            if key and key not in _TRUE | _FALSE:
                problems.setdefault(i, []).append((target, MSG_NOT_FLAG.format(value=text)))
            converted.append("true" if key in _TRUE else "false" if key in _FALSE else "")
        return converted
    if target == "cine_close_reason":
        return [text.upper().replace(" ", "") for text in texts]
    return texts


def _dates(
    target: str,
    texts: list[str],
    formats: tuple[str, ...],
    problems: dict[int, list[tuple[str, str]]],
) -> list[str]:
    stripped = pd.Series(
        [_TIME.sub("", text) for text in texts], dtype=object, index=range(len(texts))
    )
    parsed = pd.Series(pd.NaT, index=stripped.index, dtype="datetime64[s]")
    given = (stripped != "").to_numpy(dtype=bool)
    for fmt in formats:
        todo = parsed.isna().to_numpy(dtype=bool) & given
        if not todo.any():
            break
        parsed[todo] = pd.to_datetime(stripped[todo], format=fmt, errors="coerce").astype(
            "datetime64[s]"
        )
    bad = parsed.isna().to_numpy(dtype=bool) & given
    for i in np.flatnonzero(bad):
        problems.setdefault(int(i), []).append(
            (target, MSG_NOT_DATE.format(value=texts[i], formats=", ".join(formats)))
        )
    return parsed.dt.strftime("%Y-%m-%d").fillna("").tolist()


def _contact_outcome_from_json(
    out: pd.DataFrame, problems: dict[int, list[tuple[str, str]]], budget: Budget
) -> pd.DataFrame:
    """The SSD records the contact's outcome as JSON flags; `OUTCOME_NFA_FLAG` = Y is NFA."""
    outcomes = []
    for i, text in enumerate(out.pop("cont_contact_outcome_json")):
        if i % 1024 == 0:
            budget.check_time()
        try:
            flags = json.loads(text) if text else {}
        except (json.JSONDecodeError, RecursionError):  # nested too deep is not flags either
            flags = None
        if not isinstance(flags, dict):
            problems.setdefault(i, []).append(
                ("cont_contact_outcome_json", MSG_OUTCOME_JSON.format(value=text))
            )
            flags = {}
        nfa = str(flags.get("OUTCOME_NFA_FLAG", "")).strip().upper()
        outcomes.append(ContactOutcome.NFA.value if nfa in ("Y", "YES", "TRUE", "1") else "")
    if "cont_contact_outcome" not in out:
        out["cont_contact_outcome"] = outcomes
    else:
        out["cont_contact_outcome"] = out["cont_contact_outcome"].where(
            out["cont_contact_outcome"] != "", pd.Series(outcomes, index=out.index)
        )
    return out


def _referral_outcome(out: pd.DataFrame) -> pd.DataFrame:
    """How each referral ended, and when that was decided, from the NFA flag, the reason for
    closure and the plans that followed, unless the export says so itself.

    An NFA at referral with no recorded close date was decided on the referral date; a plan
    outcome was decided when the plan started. A referral is `open` only where the source
    records closures and none is recorded.
    """
    blank = pd.Series("", index=out.index, dtype=object)
    given = out.get("cine_referral_outcome", blank)
    nfa = out.get("cine_referral_nfa", blank) == "true"
    reason = out.get("cine_close_reason", blank)
    close = out.get("cine_close_date", blank)
    cp_plan = out.get("cine_cp_plan_date", blank)
    cin_plan = out.get("cine_cin_plan_date", blank)
    records_closure = "cine_close_date" in out or "cine_close_reason" in out
    rules = (
        (nfa, ReferralOutcome.NFA_AT_REFERRAL, close.where(close != "", out["cine_referral_date"])),
        (reason == _CLOSE_NFA_AFTER_ASSESSMENT, ReferralOutcome.NFA_AFTER_ASSESSMENT, close),
        (reason == _CLOSE_EARLY_HELP, ReferralOutcome.EARLY_HELP, close),
        (cp_plan != "", ReferralOutcome.CHILD_PROTECTION, cp_plan),
        (cin_plan != "", ReferralOutcome.CHILD_IN_NEED, cin_plan),
        ((close != "") | (reason != ""), ReferralOutcome.CHILD_IN_NEED, close),
        (pd.Series(records_closure, index=out.index), ReferralOutcome.OPEN, blank),
    )
    conditions = [condition.to_numpy(dtype=bool) for condition, _, _ in rules]
    derived = np.select(conditions, [outcome.value for _, outcome, _ in rules], default="")
    decided = np.select(conditions, [date.to_numpy() for _, _, date in rules], default="")
    own = given != ""
    out["cine_referral_outcome"] = given.where(own, pd.Series(derived, index=out.index))
    out["cine_close_date"] = close.where(own, pd.Series(decided, index=out.index))
    return out


def _texts(values: np.ndarray) -> list[str]:
    """`_text` of each value; text that it would leave as it is (most of a CSV) is found in one
    pass and kept."""
    if pd.api.types.infer_dtype(values, skipna=False) != "string":
        return [_text(value) for value in values]
    count = len(values)
    printable = np.fromiter(map(str.isprintable, values), dtype=bool, count=count)
    spaced = np.fromiter(map(operator.contains, values, repeat(" ")), dtype=bool, count=count)
    texts = np.asarray(values, dtype=object).copy()
    work = np.flatnonzero(~printable | spaced)  # only these can hold whitespace to tidy
    texts[work] = [_text(value) for value in texts[work]]
    return texts.tolist()


def _text(value: object) -> str:
    """A cell as text: blanks for missing, ISO dates, whole numbers without a decimal point."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).replace("\xa0", " ").split())
