"""Import an LA export into a front-door store: read, map, check, link, pseudonymise, merge.

Every record ends up in exactly one place: loaded into `contacts` or `referrals`, or in the
quarantine with the file, record, field and reason. Re-importing the same records changes
nothing; a later extract with corrected values replaces the earlier records (same key).
With `strict`, any rejected record stops the import and the store is left as it was.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from threshold.frontdoor.limits import LIMITS, Budget, Limits
from threshold.frontdoor.linkage import link_schools, normalise
from threshold.frontdoor.mapping import Mapped, apply_profile
from threshold.frontdoor.profiles import (
    ANNEX_A_CONTACTS,
    ANNEX_A_REFERRALS,
    CIN_CENSUS,
    SSD_CIN_EPISODES,
    SSD_CONTACTS,
    Profile,
    spelling_key,
)
from threshold.frontdoor.readers import RawTable, read_cin_xml, read_delimited, read_workbook
from threshold.frontdoor.review import review_queue
from threshold.frontdoor.store import QUARANTINE_COLUMNS, LockedStore, Merged, lock_store, merge
from threshold.model import TABLES, InputError, SourceCode, check_frame

Format = Literal["ssd", "annex-a", "cin-xml", "mapped"]
FORMATS: tuple[str, ...] = ("ssd", "annex-a", "cin-xml", "mapped")

MSG_FORMAT = "unknown format {value!r}; use one of: {formats}"
MSG_NEEDS_PROFILE = "{file}: the mapped format needs a profile (--profile P.toml)"
MSG_LA_CODE = "{value!r} is not a three-digit LA number"
MSG_WRONG_LA = "{file}: the return is from LA {found}, not LA {expected}"
MSG_SSD_TABLE = (
    "{file}: is neither ssd_contacts (cont_contact_id, …) nor ssd_cin_episodes "
    "(cine_referral_id, …)"
)
MSG_ANNEX_A_SHEETS = "{file}: the workbook has neither List 1 (contacts) nor List 3 (referrals)"
MSG_ANNEX_A_CSV = (
    "{file}: is neither Annex A List 1 (Date of Contact) nor List 3 (Date of Referral)"
)
MSG_REPEATED = "repeats {first} exactly; loaded once"
MSG_CONFLICT = "has the same id as {first} but different values"
MSG_URN_UNKNOWN = "URN {value} is not in the register"
MSG_STRICT = "{count} record(s) rejected, so nothing was imported (strict mode):\n{problems}"

DERIVED = "~"
"""Marks record ids derived from the record itself (the export has no ids of its own)."""
_DATE = {"contacts": "cont_contact_date", "referrals": "cine_referral_date"}
_URN_FIELDS = {
    "contacts": ("cont_source_school_urn", "cont_child_school_urn"),
    "referrals": ("cine_source_school_urn", "cine_child_school_urn"),
}


@dataclass(frozen=True)
class TableImport:
    """What one part of an export did to one table."""

    table: str
    profile: str
    source: str
    records: int
    new: int
    updated: int
    unchanged: int
    superseded: int
    quarantined: int
    absent_columns: tuple[str, ...] = ()
    linked: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportResult:
    """What an import did, part by part (an Annex A workbook has two parts)."""

    file: str
    format: str
    la_code: str
    parts: tuple[TableImport, ...]

    @property
    def quarantined(self) -> int:
        return sum(part.quarantined for part in self.parts)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class _Part:
    table: str
    profile: str
    source: str
    typed: pd.DataFrame
    rejected: pd.DataFrame
    keys: frozenset[str]
    window: tuple[pd.Timestamp, pd.Timestamp] | None
    records: int
    absent: tuple[str, ...]
    linked: dict[str, int]
    mentions: pd.DataFrame | None


def import_export(
    path: Path,
    *,
    format: str,
    la_code: str,
    store: Path,
    profile: Profile | None = None,
    register: pd.DataFrame | None = None,
    remembered: pd.DataFrame | None = None,
    former_names: pd.DataFrame | None = None,
    strict: bool = False,
    wait: float = 0.0,
    limits: Limits = LIMITS,
) -> ImportResult:
    """Import `path` (an LA's export in `format`) into the store directory `store`.

    With a `register` (urn, name, la_code, optionally town and postcode), free-text school
    names are linked to URNs (with `remembered` decisions, and with `former_names` as
    `threshold.register.read_former_names` reads them, so a school is found by an old name) and
    the names sent to review are left in the store's link queue. The store is locked for the
    import (waiting up to `wait` seconds for another to finish); what interrupted imports left
    is removed first, and versions older than the one before the new one after. An export
    beyond `limits` (size, rows, columns, cell length, time) is refused with nothing changed.
    """
    with lock_store(store, wait=wait) as target:
        target.tidy()
        staged = stage_import(
            path,
            target=target,
            format=format,
            la_code=la_code,
            profile=profile,
            register=register,
            remembered=remembered,
            former_names=former_names,
            strict=strict,
            limits=limits,
        )
        target.publish(staged.version)
        target.tidy()
    return staged.result


@dataclass(frozen=True)
class Staged:
    """An import written as a new version of the store, not yet its current state, and the
    SHA-256 of the file imported."""

    result: ImportResult
    version: str
    sha256: str


def stage_import(
    path: Path,
    *,
    target: LockedStore,
    format: str,
    la_code: str,
    profile: Profile | None = None,
    register: pd.DataFrame | None = None,
    remembered: pd.DataFrame | None = None,
    former_names: pd.DataFrame | None = None,
    strict: bool = False,
    limits: Limits = LIMITS,
) -> Staged:
    """Everything `import_export` does short of publishing: the store's next state as a
    version beside the current one (for a caller that commits elsewhere first)."""
    if format not in FORMATS:
        raise InputError(MSG_FORMAT.format(value=format, formats=", ".join(FORMATS)))
    if not (len(la_code) == 3 and la_code.isdigit()):
        raise InputError(MSG_LA_CODE.format(value=la_code))
    key = target.key()
    budget = limits.start(path.name)
    parts = [
        _prepare(raw, chosen, la_code, format, key, register, remembered, former_names, budget)
        for raw, chosen in _sources(path, format, la_code, profile, budget)
    ]
    rejected = pd.concat([part.rejected for part in parts], ignore_index=True)
    if strict and len(rejected):
        shown = "\n".join(
            f"{r.file} {r.locator} [{r.field}]: {r.reason}" for r in rejected.head(20).itertuples()
        )
        more = f"\n… and {len(rejected) - 20} more" if len(rejected) > 20 else ""
        raise InputError(
            MSG_STRICT.format(count=rejected["record_key"].nunique(), problems=shown + more)
        )
    tables: dict[str, pd.DataFrame] = {}
    merged: list[tuple[Merged, int]] = []
    for part in parts:
        current = tables.get(part.table)
        if current is None:
            current = target.table(part.table)
        current, superseded = _supersede(current, part, la_code)
        tables[part.table], counts = merge(current, part.typed, TABLES[part.table])
        merged.append((counts, superseded))
    processed = frozenset().union(*(part.keys for part in parts))
    quarantine = _quarantine(target.quarantine(), rejected, processed)
    mentions = [part.mentions for part in parts if part.mentions is not None]
    queue = (
        _link_queue(target.link_queue(), pd.concat(mentions, ignore_index=True), register)
        if mentions and register is not None
        else None
    )
    result = ImportResult(
        file=path.name,
        format=format,
        la_code=la_code,
        parts=tuple(
            TableImport(
                table=part.table,
                profile=part.profile,
                source=part.source,
                records=part.records,
                new=counts.new,
                updated=counts.updated,
                unchanged=counts.unchanged,
                superseded=superseded,
                quarantined=part.rejected["locator"].nunique(),
                absent_columns=part.absent,
                linked=part.linked,
            )
            for part, (counts, superseded) in zip(parts, merged, strict=True)
        ),
    )
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    entry = {
        "file": path.name,
        "sha256": sha256,
        **{k: v for k, v in result.to_dict().items() if k != "file"},
    }
    budget.check_time()
    version = target.stage(tables, quarantine, queue, entry)
    return Staged(result=result, version=version, sha256=sha256)


def _sources(
    path: Path, format: str, la_code: str, profile: Profile | None, budget: Budget
) -> list[tuple[RawTable, Profile]]:
    """The raw tables in the file and the profile for each."""
    is_workbook = path.suffix.lower() in (".xlsx", ".xlsm")
    if format == "mapped":
        if profile is None:
            raise InputError(MSG_NEEDS_PROFILE.format(file=path.name))
        raw = (
            read_workbook(path, profile.sheet, budget=budget)
            if is_workbook
            else read_delimited(path, encoding=profile.encoding, budget=budget)
        )
        return [(raw, profile)]
    if format == "cin-xml":
        raw = read_cin_xml(path, budget=budget)
        found = raw.frame["LEA"].iloc[0] if len(raw.frame) else ""
        if found and found != la_code:
            raise InputError(MSG_WRONG_LA.format(file=path.name, found=found, expected=la_code))
        return [(raw, profile or CIN_CENSUS)]
    if format == "ssd":
        raw = read_delimited(path, budget=budget)
        header = {column.casefold() for column in raw.frame.columns}
        if "cont_contact_id" in header:
            return [(raw, profile or SSD_CONTACTS)]
        if "cine_referral_id" in header:
            return [(raw, profile or SSD_CIN_EPISODES)]
        raise InputError(MSG_SSD_TABLE.format(file=path.name))
    if is_workbook:
        sources = []
        for chosen in (ANNEX_A_CONTACTS, ANNEX_A_REFERRALS):
            try:
                sources.append((read_workbook(path, chosen.sheet, budget=budget), chosen))
            except InputError as error:
                if "has no sheet" not in str(error):
                    raise
        if not sources:
            raise InputError(MSG_ANNEX_A_SHEETS.format(file=path.name))
        return sources
    raw = read_delimited(path, budget=budget)
    header = {spelling_key(column) for column in raw.frame.columns}
    if "date of contact" in header:
        return [(raw, profile or ANNEX_A_CONTACTS)]
    if "date of referral" in header:
        return [(raw, profile or ANNEX_A_REFERRALS)]
    raise InputError(MSG_ANNEX_A_CSV.format(file=path.name))


def _prepare(
    raw: RawTable,
    profile: Profile,
    la_code: str,
    format: str,
    key: bytes,
    register: pd.DataFrame | None,
    remembered: pd.DataFrame | None,
    former_names: pd.DataFrame | None,
    budget: Budget,
) -> _Part:
    """Map, check and link one raw table; split its records into loaded and rejected."""
    table = TABLES[profile.table]
    mapped = apply_profile(raw, profile, budget=budget)
    text = _identified(mapped, profile.table, la_code, key)
    problems = {i: list(found) for i, found in mapped.problems.items()}
    record_keys = text[table.key[0]].tolist()
    repeats = _repeats(text, table.key[0], raw.locators)
    for i, reason in repeats.items():
        problems.setdefault(i, []).append((table.key[0], reason))
    first = np.delete(np.arange(len(text)), list(repeats)).tolist()
    checked = check_frame(text.iloc[first], table, file=raw.file, rows=[i + 1 for i in first])
    for violation in checked.violations:
        i, name = violation.row - 1, violation.field or ""
        if all(name != earlier for earlier, _ in problems.get(i, [])):  # reported once per cell
            problems.setdefault(i, []).append((name, violation.reason))
    typed = checked.frame.set_axis(first)
    budget.check_time()
    linked: dict[str, int] = {}
    mentions = None
    if register is not None:
        _check_urns(typed, profile.table, register, problems)
        if profile.table == "contacts" and "cont_source_school_name" in text:
            typed, linked, mentions = _link(
                typed, problems, register, remembered, former_names, budget
            )
    bad = sorted(problems)
    rows = []
    for i, values in zip(bad, text.iloc[bad].itertuples(index=False), strict=True):
        cells = zip(text.columns, values, strict=True)
        record = json.dumps({k: v for k, v in cells if v != ""}, sort_keys=True)
        rows.extend(
            (la_code, format, raw.file, raw.locators[i], name, reason, record, record_keys[i])
            for name, reason in problems[i]
        )
    rows.extend(
        (la_code, format, raw.file, locator, "", reason, line, _line_key(la_code, line))
        for locator, reason, line in raw.unsplit
    )
    rejected = pd.DataFrame(rows, columns=list(QUARANTINE_COLUMNS[:-1]), dtype=object)
    loaded = typed.drop(index=[i for i in bad if i in typed.index]).reset_index(drop=True)
    dates = typed[_DATE[profile.table]].dropna()
    derived = text[table.key[0]].str.startswith(f"{la_code}-{DERIVED}").any()
    window = (dates.min(), dates.max()) if derived and len(dates) else None
    keys = frozenset(record_keys) | {_line_key(la_code, line) for _, _, line in raw.unsplit}
    return _Part(
        table=profile.table,
        profile=profile.name,
        source=raw.file,
        typed=loaded,
        rejected=rejected,
        keys=keys,
        window=window,
        records=len(text) + len(raw.unsplit),
        absent=mapped.absent,
        linked=linked,
        mentions=mentions,
    )


def _identified(mapped: Mapped, table: str, la_code: str, key: bytes) -> pd.DataFrame:
    """The mapped text with the LA, pseudonymised child ids and record ids: the export's own,
    prefixed by the LA, or (where it has none) derived from the whole record, marked `~`."""
    text = mapped.frame.astype(object)  # text already: `apply_profile` maps to text
    prefix = "cont" if table == "contacts" else "cine"
    person = f"{prefix}_person_id"
    id_field = TABLES[table].key[0]
    text[person] = _keyed_each(key, la_code, text[person], 20).where(text[person] != "", "")
    text[f"{prefix}_la_code"] = pd.Series(la_code, index=text.index, dtype=object)
    if table == "referrals" and "cine_contact_id" in text:
        text["cine_contact_id"] = _prefixed(la_code, text["cine_contact_id"])
    given = text[id_field] if id_field in text else pd.Series("", index=text.index, dtype=object)
    ids = _prefixed(la_code, given)
    blank = (given == "").to_numpy()
    if blank.any():  # only records without an id of their own are hashed whole
        fields = sorted(c for c in text.columns if c != id_field)
        rows = text.loc[blank, fields]
        content = rows[fields[0]].str.cat([rows[c] for c in fields[1:]], sep="\x1f")
        ids[blank] = f"{la_code}-{DERIVED}" + _keyed_each(key, la_code, content, 16)
    text[id_field] = ids
    return text.astype(object)  # text, even when there are no records


def _prefixed(la_code: str, values: pd.Series) -> pd.Series:
    """Ids prefixed by the LA (`LA-id`), blank where blank."""
    return (f"{la_code}-" + values).where(values != "", "").astype(object)


def _repeats(text: pd.DataFrame, id_field: str, locators: list[str]) -> dict[int, str]:
    """Records whose id was seen earlier in the file, with why: a repeat if identical."""
    codes, _ = pd.factorize(text[id_field].to_numpy(dtype=object))
    _, first_of_code = np.unique(codes, return_index=True)
    first = first_of_code[codes]
    later = np.flatnonzero(first != np.arange(len(text)))
    involved = np.union1d(later, first[later])
    shown = text.iloc[involved]
    joined = dict(
        zip(
            involved.tolist(),
            shown.iloc[:, 0].str.cat([shown[c] for c in shown.columns[1:]], sep="\x1f"),
            strict=True,
        )
    )
    found: dict[int, str] = {}
    for i in later.tolist():
        earlier = int(first[i])
        if joined[earlier] == joined[i]:
            found[i] = MSG_REPEATED.format(first=locators[earlier])
        else:
            found[i] = MSG_CONFLICT.format(first=locators[earlier])
    return found


def _check_urns(
    typed: pd.DataFrame,
    table: str,
    register: pd.DataFrame,
    problems: dict[int, list[tuple[str, str]]],
) -> None:
    known = set(register["urn"].astype("int64"))
    for name in _URN_FIELDS[table]:
        values = typed[name]
        for i in values.index[values.notna() & ~values.isin(known)]:
            problems.setdefault(int(i), []).append((name, MSG_URN_UNKNOWN.format(value=values[i])))


def _link(
    typed: pd.DataFrame,
    problems: dict[int, list[tuple[str, str]]],
    register: pd.DataFrame,
    remembered: pd.DataFrame | None,
    former_names: pd.DataFrame | None,
    budget: Budget,
) -> tuple[pd.DataFrame, dict[str, int], pd.DataFrame | None]:
    """Give school contacts with only a name the URN linkage finds (when it is confident);
    the mentions with their decisions (None when no contact needed a name linked)."""
    wanted = (
        (typed["cont_contact_source_code"] == SourceCode.SCHOOLS)
        & typed["cont_source_school_urn"].isna()
        & typed["cont_source_school_name"].notna()
        & ~typed.index.isin(list(problems))
    )
    mentions = pd.DataFrame(
        {
            "mention_id": typed.index[wanted],
            "school_name": typed.loc[wanted, "cont_source_school_name"].astype(str),
            "la_code": typed.loc[wanted, "cont_la_code"].astype(str),
        }
    )
    if mentions.empty:
        return typed, {}, None
    linked = link_schools(mentions, register, remembered, budget=budget, former_names=former_names)
    auto = linked["decision"] == "auto"
    typed = typed.copy()
    typed.loc[linked.loc[auto, "mention_id"].to_numpy(), "cont_source_school_urn"] = (
        linked.loc[auto, "urn"].astype("int64").to_numpy()
    )
    counts = linked["decision"].value_counts()
    summary = {decision: int(counts.get(decision, 0)) for decision in ("auto", "review", "none")}
    return (
        typed,
        summary,
        mentions.assign(
            decision=linked["decision"].to_numpy(),
            candidates=linked["candidates"].to_numpy(),
            urn=linked["urn"].to_numpy(),
        ),
    )


def _supersede(current: pd.DataFrame, part: _Part, la_code: str) -> tuple[pd.DataFrame, int]:
    """An export without record ids is a snapshot of its dates: the LA's earlier id-less
    records in that window that it no longer holds are superseded (a corrected record comes
    back with a new id)."""
    if part.window is None or current.empty:
        return current, 0
    id_field = TABLES[part.table].key[0]
    dates = current[_DATE[part.table]]
    gone = (
        current[id_field].str.startswith(f"{la_code}-{DERIVED}")
        & dates.between(*part.window)
        & ~current[id_field].isin(part.typed[id_field])
    )
    return current.loc[~gone].reset_index(drop=True), int(gone.sum())


def _quarantine(
    existing: pd.DataFrame, rejected: pd.DataFrame, processed: frozenset[str]
) -> pd.DataFrame:
    """The quarantine with this import's records replacing their earlier entries; an entry
    seen before keeps the date it was first seen."""
    today = pd.Timestamp.today().date().isoformat()
    kept = existing.loc[[key not in processed for key in existing["record_key"]]]
    seen = existing.set_index(["record_key", "field", "reason"])["first_seen"]
    seen = seen[~seen.index.duplicated()]
    index = pd.MultiIndex.from_frame(rejected[["record_key", "field", "reason"]])
    rejected = rejected.assign(first_seen=seen.reindex(index).fillna(today).to_numpy())
    return pd.concat([kept, rejected], ignore_index=True).loc[:, list(QUARANTINE_COLUMNS)]


def _link_queue(
    existing: pd.DataFrame | None, mentions: pd.DataFrame, register: pd.DataFrame
) -> pd.DataFrame:
    """The names waiting for a person's decision, this import's replacing earlier ones."""
    waiting = review_queue(mentions, mentions, register)
    if existing is None or existing.empty:
        return waiting
    distinct = mentions[["la_code", "school_name"]].drop_duplicates()
    decided = set(zip(distinct["la_code"], distinct["school_name"].map(normalise), strict=True))
    earlier = existing.loc[
        [
            (la, name) not in decided
            for la, name in zip(existing["la_code"], existing["name_key"], strict=True)
        ]
    ]
    return pd.concat([earlier, waiting], ignore_index=True)


def _keyed_each(key: bytes, la_code: str, values: pd.Series, length: int) -> pd.Series:
    """A keyed hash of every value (HMAC-SHA-256 of `LA|value`, each distinct value hashed
    once): stable for the store's key, and no way back to the value without it."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    keyed = hmac.new(key, digestmod=hashlib.sha256)
    hashed = np.empty(len(uniques), dtype=object)
    for position, value in enumerate(uniques):
        one = keyed.copy()  # the key's pads are worked out once
        one.update(f"{la_code}|{value}".encode())
        hashed[position] = one.hexdigest()[:length]
    return pd.Series(hashed[codes], index=values.index, dtype=object)


def _line_key(la_code: str, line: str) -> str:
    return hashlib.sha256(f"{la_code}|unsplit|{line}".encode()).hexdigest()[:24]
