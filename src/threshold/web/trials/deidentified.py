"""A trial's de-identified export: its contract tables and trial files as a ZIP, for the
evaluator (everything) and LA analysts (their LA's schools and records, no survey responses).

The rules (`RULES`, recorded in each download's audit event as `RULE_SET`):

- child ids (already keyed hashes in the LA's store) are keyed again with a key made for this
  export and thrown away, so two exports, or an export and a store, cannot be joined on them;
  contact and referral ids likewise (they carry the LA's own record numbers); within one export
  the same store id always gives the same new id, so a child's contacts and referrals share
  theirs and a referral still names its contact;
- SSWs appear as re-keyed `ssw_id`s, survey respondents as re-keyed token digests; no names of
  people and no free text (the contacting school as the LA typed it, data-gap reasons, cost
  descriptions; withdrawal and change reasons and supervision content are never in the
  contract tables);
- counts the export adds (the README's and the page's row counts) below `SMALL_COUNT` are
  shown as "fewer than 5";
- survey responses (person by person) only for those who hold `deidentified.export`
  everywhere: never for LA or school staff;
- a user who holds the permission in some of the trial's LAs gets those LAs' schools and
  records only, and the trial's units, allocation and ledger (every LA's schools) only when
  they hold it in all of them.

Nothing is written anywhere: the ZIP is built in memory; the only change is the audit event.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import secrets
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from threshold.model import TABLES, write_table
from threshold.trial import LEDGER_NAME
from threshold.web.accounts.authorisation import has_permission, holds_everywhere
from threshold.web.accounts.models import User
from threshold.web.accounts.permissions import Permission
from threshold.web.audit.models import AuditAction
from threshold.web.audit.services import record_event
from threshold.web.organisations.models import LocalAuthority
from threshold.web.trials import files
from threshold.web.trials.analysis_tables import StoreCut, trial_stores, trial_tables
from threshold.web.trials.models import Trial
from threshold.web.trials.selectors import trial_authorities

RULE_SET = "deidentified-export-1"
"""The name of the rules below; recorded with every download (change it when they change)."""
SMALL_COUNT = 5
FEWER = "fewer than 5"
REMOVED_TEXT = "(removed: free text)"
DATA = "data"
README = "README.txt"
TRIAL_FILES = (files.PROTOCOL, files.UNITS, files.ALLOCATION, LEDGER_NAME)

MSG_NOTICE = (
    "Confirm that you accept the data-sharing terms: the export is only for the evaluation of "
    "this trial"
)
MSG_NOT_ALLOWED = "You may not download a de-identified export of this trial"
MSG_CHANGED_COUNTS = (
    "the export's {table} differ from the service's in more than their ids ({what}); nothing "
    "was exported"
)

RULES = (
    "Child ids are keyed hashes of the LA's own ids, keyed again with a key made for this "
    "export and then thrown away: they match nothing outside this export (not the LA's store, "
    "not another export). Within the export a child keeps one id, so their contacts and "
    "referrals share it.",
    "Contact and referral ids (which carry the LA's record numbers) are keyed the same way; "
    "each referral still names its contact.",
    "Supervising social workers appear only as ssw_id, keyed the same way. No names of people "
    "and no user names are in the tables.",
    "Free text is removed: the contacting school as the LA typed it (cont_source_school_name), "
    "the reasons for data gaps and the descriptions of costs. Withdrawal reasons, reasons for "
    "changing sessions and what was said in supervision are never in the tables.",
    f"Counts this export adds (the row counts in its README and on the download page) are "
    f"shown as '{FEWER}' when between 1 and {SMALL_COUNT - 1}.",
)
NOTICE = (
    "You may use these data only under the data sharing agreement for this trial and only for "
    "its evaluation.",
    "Do not try to identify any child, family, member of staff or survey respondent, or to "
    "link these data with other data to do so.",
    "Keep the files on encrypted storage that only people named in the agreement can reach; "
    "do not e-mail them or copy them to personal devices.",
    "Delete every copy when the evaluation ends, or sooner if the agreement says so.",
)

# How each table is shown: what its rows are, and what was removed or changed in it.
DESCRIPTIONS = {
    "local_authorities": "the local authorities",
    "schools": "the trial's schools and their characteristics",
    "allocations": "each school's arm, block, random number and order, and withdrawal date",
    "ssws": "supervising social workers (as ssw_id) and the LAs they cover",
    "sessions": "supervision sessions: date, format, mode, status, attendees, minutes",
    "ad_hoc_support": "unplanned support between sessions: date, channel, topic category",
    "delivery_ratings": "SSWs' need and engagement scores of each treatment school",
    "survey_responses": "DSL wellbeing survey answers, one row per respondent and wave",
    "data_gaps": "what each LA could not provide",
    "costs": "delivery costs by LA and year",
    "contacts": "contacts to the LAs' front doors",
    "referrals": "referrals to children's social care",
}
REKEYED = {
    "contacts": ("cont_contact_id", "cont_person_id"),
    "referrals": ("cine_referral_id", "cine_contact_id", "cine_person_id"),
    "survey_responses": ("respondent_token",),
    "ssws": ("ssw_id",),
    "sessions": ("ssw_id",),
    "ad_hoc_support": ("ssw_id",),
    "delivery_ratings": ("ssw_id",),
}
FREE_TEXT: dict[str, dict[str, str | None]] = {
    "contacts": {"cont_source_school_name": None},
    "data_gaps": {"reason": REMOVED_TEXT},
    "costs": {"description": None},
}
ORDER = tuple(DESCRIPTIONS)
"""The tables an export may hold, in the order listed; any other table is left out."""


class ExportRefused(Exception):
    """An export the user asked for and may not have (the message says why)."""


@dataclass(frozen=True)
class Scope:
    """Whose records a user's export holds: the LAs, whether that is the whole trial, and
    whether survey responses are included (everywhere-holders only)."""

    authorities: tuple[LocalAuthority, ...]
    whole_trial: bool
    surveys: bool

    @property
    def la_codes(self) -> tuple[str, ...]:
        return tuple(la.la_code for la in self.authorities)


@dataclass(frozen=True)
class Export:
    """What an export holds: the tables (de-identified), the trial files included, the data
    cut (each LA store's version), and what was left out."""

    trial: Trial
    scope: Scope
    tables: dict[str, pd.DataFrame]
    trial_files: dict[str, bytes]
    data_cut: dict[str, str]
    left_out: tuple[str, ...] = field(default=())

    def counts(self) -> dict[str, int]:
        return {name: len(frame) for name, frame in self.tables.items()}

    def rows(self) -> list[dict[str, object]]:
        """One row per table for the page and the README: name, what it holds, rows shown
        (small counts suppressed), and what was removed or re-keyed."""
        return [
            {
                "table": name,
                "file": f"{DATA}/{TABLES[name].filename}",
                "holds": DESCRIPTIONS[name],
                "rows": shown_count(len(frame)),
                "rekeyed": REKEYED.get(name, ()),
                "removed": tuple(FREE_TEXT.get(name, {})),
            }
            for name, frame in self.tables.items()
        ]


def shown_count(count: int) -> str:
    """A count as the export shows it: "fewer than 5" between 1 and 4."""
    return FEWER if 0 < count < SMALL_COUNT else f"{count:,}"


def export_scope(user: AbstractBaseUser, trial: Trial) -> Scope | None:
    """The user's scope for `trial`'s export, or None when they hold `deidentified.export` in
    none of its LAs."""
    places = sorted(trial_authorities(trial), key=lambda la: la.la_code)
    everywhere = holds_everywhere(user, Permission.DEIDENTIFIED_EXPORT)
    held = tuple(
        la
        for la in places
        if everywhere or has_permission(user, Permission.DEIDENTIFIED_EXPORT, authority=la)
    )
    if not held and not everywhere:
        return None
    return Scope(authorities=held, whole_trial=len(held) == len(places), surveys=everywhere)


def _front_door(cuts: list[StoreCut], urns: set[int]) -> dict[str, pd.DataFrame]:
    """Contacts and referrals from the stores that touch the trial's schools (made by one, or
    about a child at one), with the contacts the kept referrals came from (links kept)."""
    stores = [cut.store for cut in cuts if cut.store is not None]
    tables = {}
    for name in ("contacts", "referrals"):
        frames = [store.table(name) for store in stores]
        tables[name] = (
            pd.concat(frames, ignore_index=True)
            if frames
            else pd.DataFrame(columns=list(TABLES[name].columns))
        )
    contacts, referrals = tables["contacts"], tables["referrals"]
    touching = contacts["cont_source_school_urn"].isin(urns) | contacts[
        "cont_child_school_urn"
    ].isin(urns)
    kept_ids = set(contacts.loc[touching, "cont_contact_id"])
    keep_referrals = (
        referrals["cine_source_school_urn"].isin(urns)
        | referrals["cine_child_school_urn"].isin(urns)
        | referrals["cine_contact_id"].isin(kept_ids)
    )
    referrals = referrals.loc[keep_referrals].reset_index(drop=True)
    touching |= contacts["cont_contact_id"].isin(set(referrals["cine_contact_id"].dropna()))
    return {"contacts": contacts.loc[touching].reset_index(drop=True), "referrals": referrals}


def build_export(trial: Trial, scope: Scope, *, key: bytes | None = None) -> Export:
    """The export of `trial` for `scope`: its tables narrowed and de-identified (with `key`,
    by default a new one that is never kept), and the trial files it may hold."""
    key = key or secrets.token_bytes(32)
    cuts = [cut for cut in trial_stores(trial) if cut.la_code in scope.la_codes]
    data_cut = {cut.la_code: cut.version or "no import yet" for cut in cuts}
    source = trial_tables(trial)
    source |= _front_door(cuts, set(source["schools"]["urn"]))
    left_out = tuple(sorted(name for name in source if name not in ORDER))
    tables = {}
    for name in ORDER:
        if name not in source or (name == "survey_responses" and not scope.surveys):
            continue
        narrowed = _narrow(name, source[name], scope, source)
        tables[name] = _deidentify(name, narrowed, key)
        _check_kept(name, narrowed, tables[name])
    trial_files = {}
    folder = files.trial_folder(trial)
    for name in TRIAL_FILES if scope.whole_trial else (files.PROTOCOL,):
        if (folder / name).is_file():
            trial_files[name] = (folder / name).read_bytes()
    return Export(trial, scope, tables, trial_files, data_cut, left_out)


def _narrow(
    name: str, frame: pd.DataFrame, scope: Scope, source: dict[str, pd.DataFrame]
) -> pd.DataFrame:
    """`frame`'s rows within the scope's LAs (by LA code, or by the school's URN)."""
    codes = set(scope.la_codes)
    by_la = {
        "local_authorities": "la_code",
        "schools": "la_code",
        "ssws": "la_code",
        "data_gaps": "la_code",
        "costs": "la_code",
        "contacts": "cont_la_code",
        "referrals": "cine_la_code",
    }
    if name in by_la:
        kept = frame[by_la[name]].isin(codes)
        if name == "costs" and scope.whole_trial:  # central costs (no LA) are the trial's
            kept |= frame["la_code"].isna()
        return frame.loc[kept].reset_index(drop=True)
    schools = source.get("schools", pd.DataFrame(columns=["urn", "la_code"]))
    urns = set(schools.loc[schools["la_code"].isin(codes), "urn"])
    return frame.loc[frame["urn"].isin(urns)].reset_index(drop=True)


def _deidentify(name: str, frame: pd.DataFrame, key: bytes) -> pd.DataFrame:
    """`frame` with its ids re-keyed and its free text removed."""
    out = frame.copy()
    for column in REKEYED.get(name, ()):
        out[column] = out[column].map(_rekey(key, column), na_action="ignore")
    for column, replacement in FREE_TEXT.get(name, {}).items():
        if column in out:
            out[column] = pd.Series(replacement, index=out.index, dtype=object)
    return out


def _digest(key: bytes, kind: str, value: object) -> str:
    return hmac.new(key, f"{kind}|{value}".encode(), hashlib.sha256).hexdigest()


def _rekey(key: bytes, column: str) -> Callable[[object], object]:
    """How `column`'s values are re-keyed: the same store value, the same new value, in every
    table of the export (contact ids in contacts and referrals alike)."""
    if column.endswith("person_id"):
        return lambda value: _digest(key, "person", value)[:20]
    if column in ("cont_contact_id", "cine_contact_id"):
        return lambda value: f"{_la_prefix(value)}C{_digest(key, 'contact', value)[:16]}"
    if column == "cine_referral_id":
        return lambda value: f"{_la_prefix(value)}R{_digest(key, 'referral', value)[:16]}"
    if column == "respondent_token":
        return lambda value: _digest(key, "respondent", value)[:32].upper()
    return lambda value: f"ssw-{_digest(key, 'ssw', value)[:10]}"


def _la_prefix(value: object) -> str:
    """The LA code a store's record id starts with (`981-…`), kept with its hyphen."""
    head, _, rest = str(value).partition("-")
    return f"{head}-" if rest and head.isdigit() and len(head) == 3 else ""


def _check_kept(name: str, before: pd.DataFrame, after: pd.DataFrame) -> None:
    """Refuse an export in which re-keying changed anything but the ids: the same rows, the
    same number of distinct values in each re-keyed column, the other columns as they were
    (so every count, measure and link is what the service's records give)."""
    problems = []
    if len(before) != len(after):
        problems.append(f"{len(before)} rows became {len(after)}")
    for column in REKEYED.get(name, ()):
        if before[column].nunique() != after[column].nunique():
            problems.append(f"distinct {column} changed")
    kept = [
        c
        for c in before.columns
        if c not in REKEYED.get(name, ()) and c not in FREE_TEXT.get(name, {})
    ]
    if not before[kept].reset_index(drop=True).equals(after[kept].reset_index(drop=True)):
        problems.append("other columns changed")
    if problems:
        raise RuntimeError(MSG_CHANGED_COUNTS.format(table=name, what="; ".join(problems)))


def export_name(trial: Trial, on: dt.date | None = None) -> str:
    """`trial-<pk>-deidentified-<date>` (the ZIP is this with `.zip`)."""
    return f"trial-{trial.pk}-deidentified-{(on or timezone.localdate()).isoformat()}"


def readme(export: Export, *, by: User, made: dt.datetime) -> str:
    """README.txt: what the export holds, when and by whom it was made, the data cut, the
    rules applied and the data-sharing terms."""
    scope = export.scope
    places = ", ".join(f"{la.name} ({la.la_code})" for la in scope.authorities) or "none"
    lines = [
        f"De-identified export of the trial '{export.trial.name}' (trial {export.trial.pk})",
        "",
        f"Made {made.isoformat(timespec='seconds')} for {by.get_username()} by Threshold "
        f"(rule set {RULE_SET}).",
        f"Local authorities: {places}.",
        "",
        "Data cut (the version of each LA's front-door store the contacts and referrals are from):",
        *(f"  {code}: {version}" for code, version in export.data_cut.items()),
        "",
        f"Tables (data contract CSVs in {DATA}/, read them with `threshold validate {DATA}`):",
    ]
    for row in export.rows():
        lines.append(f"  {row['file']}: {row['rows']} rows; {row['holds']}.")
        if row["rekeyed"]:
            lines.append(f"      re-keyed for this export: {', '.join(row['rekeyed'])}")
        if row["removed"]:
            lines.append(f"      removed (free text): {', '.join(row['removed'])}")
    if scope.surveys:
        lines += [
            "",
            "Survey responses are included, one row per respondent and wave, because you hold "
            "the export permission for every LA (an evaluator). They are never given to LA or "
            "school staff: no one there may be able to link an answer to a person.",
        ]
    else:
        lines += [
            "",
            "Survey responses are not included: they are person by person, and are never "
            "given to LA or school staff.",
        ]
    lines += ["", "Trial files:"]
    lines += [f"  {name}" for name in export.trial_files] or ["  none"]
    if scope.whole_trial:
        lines += [
            "  Check the allocation with `threshold randomise verify allocation.csv`, and run "
            f"the analysis with `threshold analyse protocol.toml --data {DATA}`.",
        ]
    else:
        lines += [
            "  The units, allocation and trial ledger cover every LA of the trial and are given "
            "only to those who may export all of them. Run an exploratory analysis of your LA "
            f"with `threshold analyse protocol.toml --data {DATA} --exploratory`.",
        ]
    if export.left_out:
        lines += ["", f"Left out: {', '.join(export.left_out)}."]
    lines += ["", "Rules applied:", *(f"  - {rule}" for rule in RULES)]
    lines += ["", "Data-sharing terms (accepted when downloading):"]
    lines += [f"  - {term}" for term in NOTICE]
    return "\r\n".join(lines) + "\r\n"


def export_zip(export: Export, *, by: User, made: dt.datetime) -> bytes:
    """The ZIP: `<name>/README.txt`, the trial files, and `<name>/data/<table>.csv`."""
    root = export_name(export.trial, timezone.localdate(made))
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        tempfile.TemporaryDirectory(prefix="threshold-export-") as scratch,
    ):
        archive.writestr(f"{root}/{README}", readme(export, by=by, made=made))
        for name, content in export.trial_files.items():
            archive.writestr(f"{root}/{name}", content)
        for name, frame in export.tables.items():
            path = write_table(frame, name, Path(scratch))
            archive.write(path, f"{root}/{DATA}/{path.name}")
    return buffer.getvalue()


@transaction.atomic
def deidentified_export(*, trial: Trial, by: User, accepted_notice: bool) -> bytes:
    """The trial's de-identified export for `by` as a ZIP; audited (who, the trial, each
    table's rows, the notice accepted, the rule set). Raises ExportRefused, changing nothing,
    when the notice was not accepted or `by` may not export any of the trial's LAs."""
    scope = export_scope(by, trial)
    if scope is None:
        raise ExportRefused(MSG_NOT_ALLOWED)
    if not accepted_notice:
        raise ExportRefused(MSG_NOTICE)
    export = build_export(trial, scope)
    made = timezone.now()
    content = export_zip(export, by=by, made=made)
    record_event(
        by=by,
        action=AuditAction.READ,
        object_type="trials.deidentified_export",
        object_id=str(trial.pk),
        authority_code=scope.la_codes[0] if len(scope.la_codes) == 1 else "",
        detail={
            "export": export_name(trial, timezone.localdate(made)),
            "tables": export.counts(),
            "files": sorted(export.trial_files),
            "authorities": list(scope.la_codes),
            "survey_responses": scope.surveys,
            "notice_accepted": True,
            "rule_set": RULE_SET,
            "data_cut": export.data_cut,
        },
    )
    return content
