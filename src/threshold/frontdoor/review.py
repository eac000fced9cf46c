"""The linkage review workflow: export the mentions a person must decide, import their
decisions, and remember them per LA so the same string links automatically next time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from threshold.frontdoor.linkage import normalise
from threshold.model import InputError, restore_formulas

QUEUE_COLUMNS = ("la_code", "name_key", "example", "mentions", "candidates", "decision")
REMEMBERED_COLUMNS = ("la_code", "name_key", "urn", "decided_on")
MSG_QUEUE_COLUMNS = "{path}: the review queue needs the columns {needed}"
MSG_REMEMBERED_COLUMNS = (
    "{path}: remembered decisions need the columns la_code, name_key, urn (it has {present}); "
    "give the file threshold link-accept wrote"
)
MSG_REMEMBERED_URN = (
    "{path} row {row}, column 'urn': {value!r} is not a URN (a whole number, or blank for "
    "not a school)"
)
MSG_REMEMBERED_UNREADABLE = "{path}: cannot read the remembered decisions ({reason})"
MSG_DECISION = (
    "{path} row {row}, column 'decision': {value!r} is neither a URN of a school in LA {la} "
    "nor 'none'"
)


def review_queue(
    mentions: pd.DataFrame, linked: pd.DataFrame, register: pd.DataFrame
) -> pd.DataFrame:
    """One row per distinct string (in its LA) that was sent to review: an example as written,
    how many mentions use it, the candidates with their names, and a blank `decision` to fill
    with the chosen URN or `none`."""
    names = register.set_index("urn")["name"]
    review = mentions.loc[(linked["decision"] == "review").to_numpy()].assign(
        candidates=linked.loc[linked["decision"] == "review", "candidates"].to_numpy(),
        name_key=lambda f: f["school_name"].fillna("").astype(str).map(normalise),
        la_code=lambda f: f["la_code"].astype(str),
    )
    grouped = review.groupby(["la_code", "name_key"], sort=True)
    queue = grouped.agg(
        example=("school_name", "first"),
        mentions=("school_name", "size"),
        candidates=("candidates", "first"),
    ).reset_index()
    queue["candidates"] = queue["candidates"].map(lambda text: _described(text, names))
    queue["decision"] = ""
    return queue.sort_values("mentions", ascending=False, kind="stable").loc[:, list(QUEUE_COLUMNS)]


def accept_decisions(
    queue: pd.DataFrame,
    register: pd.DataFrame,
    remembered: pd.DataFrame | None = None,
    *,
    path: str = "queue",
    today: dt.date | None = None,
) -> pd.DataFrame:
    """The remembered mappings with the queue's filled-in decisions added (a later decision on
    the same string replaces an earlier one). Every decision is checked against the register
    before anything is remembered: all or nothing."""
    missing = [c for c in ("la_code", "name_key", "decision") if c not in queue.columns]
    if missing:
        raise InputError(MSG_QUEUE_COLUMNS.format(path=path, needed="la_code, name_key, decision"))
    la_of = register.set_index("urn")["la_code"].astype(str)
    rows = []
    for number, row in enumerate(queue.itertuples(index=False), start=1):
        value = str(row.decision).strip() if pd.notna(row.decision) else ""
        if not value:
            continue
        if value.lower() == "none":
            urn = None
        elif (
            value.isdigit() and int(value) in la_of.index and la_of[int(value)] == str(row.la_code)
        ):
            urn = int(value)
        else:
            raise InputError(
                MSG_DECISION.format(path=path, row=number, value=value, la=row.la_code)
            )
        rows.append(
            (str(row.la_code), str(row.name_key), urn, (today or dt.date.today()).isoformat())
        )
    new = pd.DataFrame(rows, columns=list(REMEMBERED_COLUMNS))
    frames = [f for f in (remembered, new) if f is not None and len(f)]
    if not frames:
        return new.astype({"urn": "Int64"})
    combined = pd.concat(frames, ignore_index=True).astype({"la_code": str, "name_key": str})
    combined["urn"] = pd.to_numeric(combined["urn"], errors="coerce").astype("Int64")
    return combined.drop_duplicates(["la_code", "name_key"], keep="last").reset_index(drop=True)


def read_remembered(path: Path) -> pd.DataFrame:
    """Remembered decisions from CSV (`la_code, name_key, urn, decided_on`), checked: the
    columns are there and every URN is a whole number or blank."""
    try:
        frame = restore_formulas(
            pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        )
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise InputError(MSG_REMEMBERED_UNREADABLE.format(path=path, reason=error)) from None
    if not {"la_code", "name_key", "urn"} <= set(frame.columns):
        raise InputError(
            MSG_REMEMBERED_COLUMNS.format(path=path, present=", ".join(map(str, frame.columns)))
        )
    urns = frame["urn"].str.strip()
    bad = ~(urns.str.fullmatch(r"[0-9]{1,18}") | (urns == ""))
    if bad.any():
        row = int(bad.to_numpy().argmax())
        raise InputError(MSG_REMEMBERED_URN.format(path=path, row=row + 1, value=urns.iloc[row]))
    return frame.assign(urn=pd.to_numeric(urns.replace("", None)).astype("Int64"))


def _described(candidates: str, names: pd.Series) -> str:
    parts = []
    for item in str(candidates or "").split(";"):
        if ":" in item:
            urn, score = item.split(":")
            parts.append(f"{urn} {names.get(int(urn), '?')} ({score})")
    return "; ".join(parts)
