"""Front-door figures for the dashboards, built with `threshold.measures.build_measures` over
the imported contacts and referrals: per school and per period (a school year, September to
July, and each of its months), and each school's comparison with similar schools.

Definitions (docs/web.md, "Front-door dashboard"):

- *contacts*: contacts made by the school (source `2A`, contacting school = the school);
- *NFA contacts*: those that ended in no further action at contact; the *NFA rate* is NFA
  contacts ÷ contacts;
- *non-urgent contacts*: those that ended in NFA or in information and advice;
- *referrals*: referrals from the school.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.db import connections
from django.db.models import Max, Min, QuerySet

from threshold.measures import MeasureSpec, build_measures, school_year_window
from threshold.model import ContactOutcome, OutcomeMeasure
from threshold.web.accounts.authorisation import has_permission, user_memberships
from threshold.web.accounts.permissions import Permission
from threshold.web.accounts.selectors import authorities_where
from threshold.web.audit.services import Actor, audit_read
from threshold.web.insights.figures_cache import FIGURES_SECONDS, figures_key
from threshold.web.insights.models import Contact, FrontDoorImport, ImportJob, Referral
from threshold.web.insights.services import authority_state
from threshold.web.organisations.models import LocalAuthority, School

MEASURES = ("contacts", "nfa_contacts", "non_urgent_contacts", "referrals")
LABELS = {
    "contacts": "Contacts",
    "nfa_contacts": "Contacts ending in no further action",
    "non_urgent_contacts": "Non-urgent contacts",
    "referrals": "Referrals",
}
NON_URGENT = (ContactOutcome.NFA.value, ContactOutcome.INFORMATION_ADVICE.value)
MIN_GROUP = 5
"""The fewest other schools a comparison may be drawn from (fewer could identify a school)."""
FSM_BANDS = ((0, 10, "under 10%"), (10, 20, "10–20%"), (20, 35, "20–35%"), (35, 101, "35% or more"))
SIZE_BANDS = {
    "primary": ((0, 200, "under 200"), (200, 400, "200–399"), (400, 100_000, "400 or more")),
    "other": ((0, 800, "under 800"), (800, 1200, "800–1,199"), (1200, 100_000, "1,200 or more")),
}
QUARANTINE_SHOWN = 500
NORM_FEWER = (
    "Most similar schools made fewer {what} than yours: {median} per 100 pupils, against "
    "your {value}."
)
NORM_MORE = (
    "Your school made fewer {what} than most similar schools: {value} per 100 pupils, "
    "against {median}."
)
NORM_LIKE = (
    "Your school made about as many {what} as similar schools: {value} per 100 pupils, "
    "against {median}."
)
NORM_WHAT = {
    "contacts": "contacts to the front door",
    "nfa_contacts": "contacts that ended in no further action",
    "non_urgent_contacts": "non-urgent contacts",
    "referrals": "referrals",
}
GROUP_TEXT = "{phase} schools in {authority}"
MSG_NO_PUPILS = (
    "Your school's pupils on roll are not recorded, so it cannot be compared per pupil with "
    "other schools."
)
MSG_TOO_FEW = (
    "There are too few similar schools in {authority} to compare with (fewer than {minimum})."
)


@dataclass(frozen=True)
class Figures:
    """Every school's figures in an LA for a school year: `schools` (one row per school, the
    year's counts and rates) and `months` (one row per school and month)."""

    authority: LocalAuthority
    school_year: str
    schools: pd.DataFrame
    months: pd.DataFrame
    key: str
    """The cache key of these figures (figures_cache): it names the very data they are from."""


@dataclass(frozen=True)
class Comparison:
    """One measure of a school against similar schools (rates per 100 pupils)."""

    measure: str
    label: str
    value: float | None
    median: float | None
    lower: float | None
    upper: float | None
    sentence: str


@dataclass(frozen=True)
class Freshness:
    """How up to date the LA's front-door data are."""

    latest_contact: dt.date | None
    last_import: FrontDoorImport | None


def insight_authorities(user: AbstractBaseUser) -> list[LocalAuthority]:
    """The LAs whose dashboards `user` may see."""
    visible = authorities_where(user, Permission.INSIGHTS_VIEW)
    return list(LocalAuthority.objects.all()) if visible is None else visible


def insight_schools(user: AbstractBaseUser) -> list[School]:
    """The schools whose dashboards `user` may see as a DSL (their own)."""
    return [
        membership.school
        for membership in user_memberships(user)
        if membership.school is not None
        and Permission.INSIGHTS_SCHOOL_VIEW in membership.role_class.permissions
    ]


def can_view_school(user: AbstractBaseUser, school: School) -> bool:
    """Whether `user` may see `school`'s dashboard: its DSLs, and LA staff of its LA."""
    return has_permission(user, Permission.INSIGHTS_SCHOOL_VIEW, school=school) or has_permission(
        user, Permission.INSIGHTS_VIEW, school=school
    )


def school_year_of(day: dt.date) -> str:
    """The school year (`2024/25`, September to August) a day falls in."""
    first = day.year if day.month >= 9 else day.year - 1
    return f"{first}/{(first + 1) % 100:02d}"


def school_years_with_data(authority: LocalAuthority, today: dt.date) -> list[str]:
    """The school years from the LA's first contact to its last (newest first); this school
    year when it has none."""
    span = Contact.objects.filter(authority=authority).aggregate(
        first=Min("contact_date"), last=Max("contact_date")
    )
    if span["first"] is None:
        return [school_year_of(today)]
    first = int(school_year_of(span["first"])[:4])
    last = int(school_year_of(span["last"])[:4])
    return [f"{year}/{(year + 1) % 100:02d}" for year in range(last, first - 1, -1)]


def months_of(school_year: str) -> list[tuple[dt.date, dt.date]]:
    """The months of a school year's window, September to July: (first day, last day)."""
    start, _ = school_year_window(school_year)
    months = []
    for step in range(11):
        year, month = start.year + (start.month - 1 + step) // 12, (start.month - 1 + step) % 12 + 1
        first = dt.date(year, month, 1)
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        months.append((first, following - dt.timedelta(days=1)))
    return months


def authority_figures(
    authority: LocalAuthority, school_year: str, *, until: dt.date | None = None
) -> Figures:
    """The LA's schools' figures for `school_year` and each of its months (those starting
    after `until`, the latest data, are left out); kept in the cache under a key made from
    these very inputs (figures_cache), so the same data is not measured twice."""
    rows = [_fetch(query) for query in _input_queries(authority)]
    key = figures_key(authority.la_code, *rows, school_year, until)
    kept = cache.get(key)
    if kept is not None:
        year, months = kept
        return Figures(authority, school_year, schools=year, months=months, key=key)
    schools = _schools_frame(authority, rows[0])
    contacts = _contacts_frame(rows[1])
    referrals = _referrals_frame(rows[2])
    start, end = school_year_window(school_year)
    months = [
        (first, last) for first, last in months_of(school_year) if not until or first <= until
    ]
    windows = [(start, end), *months]
    specs = [
        (name, MeasureSpec(OutcomeMeasure(name), first, last))
        for name in ("contacts", "nfa_contacts", "referrals")
        for first, last in windows
    ]
    gaps = pd.DataFrame({"la_code": [], "school_year": [], "gap": [], "reason": []}, dtype=object)
    measured = build_measures(schools, contacts, referrals, gaps, specs)
    non_urgent = contacts[contacts["cont_contact_outcome"].isin(NON_URGENT)]
    urgent_specs = [
        ("non_urgent_contacts", MeasureSpec(OutcomeMeasure.CONTACTS, first, last))
        for first, last in windows
    ]
    measured = pd.concat(
        [measured, build_measures(schools, non_urgent, referrals, gaps, urgent_specs)],
        ignore_index=True,
    )
    counts = measured.pivot_table(
        index=["urn", "period", "start"], columns="name", values="count", aggfunc="sum"
    ).reset_index()
    counts.columns.name = None
    counts = counts.merge(schools, on="urn")
    counts["start"] = pd.to_datetime(counts["start"]).dt.date
    in_year = counts["period"] == school_year
    year = _with_rates(counts[in_year].drop(columns=["period", "start"]))
    year = year.sort_values("name", kind="stable").reset_index(drop=True)
    months = counts[~in_year].drop(columns="period").sort_values(["urn", "start"])
    months = months.reset_index(drop=True)
    cache.set(key, (year, months), FIGURES_SECONDS)
    return Figures(authority, school_year, schools=year, months=months, key=key)


def _with_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the NFA rate (NFA ÷ contacts) and each measure per 100 pupils."""
    frame = frame.copy()
    contacts = frame["contacts"].astype(float)
    frame["nfa_rate"] = (frame["nfa_contacts"] / contacts.where(contacts > 0)).astype(float)
    pupils = frame["pupils_on_roll"].astype(float)
    for name in MEASURES:
        frame[f"{name}_per_100"] = frame[name].astype(float) / pupils.where(pupils > 0) * 100
    return frame


def authority_months(figures: Figures) -> pd.DataFrame:
    """The LA's totals by month (every school's contacts, NFA and non-urgent contacts and
    referrals), September to July."""
    totals = figures.months.groupby("start", sort=True)[list(MEASURES)].sum().reset_index()
    return totals.astype(dict.fromkeys(MEASURES, "int64"))


def school_months(figures: Figures, school: School) -> pd.DataFrame:
    """One school's figures by month."""
    rows = figures.months[figures.months["urn"] == school.urn]
    return rows[["start", *MEASURES]].astype(dict.fromkeys(MEASURES, "int64"))


def fsm_band(pct_fsm: float | None) -> str | None:
    """The free-school-meals band of a % FSM (None when not recorded)."""
    if pct_fsm is None or np.isnan(pct_fsm):
        return None
    return next(label for low, high, label in FSM_BANDS if low <= pct_fsm < high)


def size_band(phase: str, pupils: float | None) -> str | None:
    """The size band of a school of `phase` with `pupils` on roll (None when not recorded)."""
    if pupils is None or np.isnan(pupils):
        return None
    bands = SIZE_BANDS["primary" if phase == "primary" else "other"]
    return next(label for low, high, label in bands if low <= pupils < high)


def comparison_group(figures: Figures, school: School) -> tuple[pd.DataFrame, str]:
    """The other schools of the LA like `school` and the group in words: same phase, FSM band
    and size band; widened to the same phase and FSM band, then the same phase, while there
    are fewer than MIN_GROUP. Empty (and the reason) when even that is too few."""
    frame = figures.schools.assign(
        fsm_band=[fsm_band(v) for v in figures.schools["pct_fsm"].astype(float)],
        size_band=[
            size_band(p, v)
            for p, v in zip(
                figures.schools["phase"],
                figures.schools["pupils_on_roll"].astype(float),
                strict=True,
            )
        ],
    )
    own = frame[frame["urn"] == school.urn].iloc[0]
    others = frame[(frame["urn"] != school.urn) & (frame["phase"] == school.phase)]
    others = others[others["pupils_on_roll"].astype(float) > 0]
    phase = school.get_phase_display()
    base = GROUP_TEXT.format(phase=phase.capitalize(), authority=school.authority.name)
    tiers = []
    if own["fsm_band"] and own["size_band"]:
        tiers.append(
            (
                (others["fsm_band"] == own["fsm_band"]) & (others["size_band"] == own["size_band"]),
                f"{base} with {own['fsm_band']} of pupils eligible for free school meals and "
                f"{own['size_band']} pupils",
            )
        )
    if own["fsm_band"]:
        tiers.append(
            (
                others["fsm_band"] == own["fsm_band"],
                f"{base} with {own['fsm_band']} of pupils eligible for free school meals",
            )
        )
    tiers.append((pd.Series(True, index=others.index), base))
    for chosen, text in tiers:
        if int(chosen.sum()) >= MIN_GROUP:
            return others[chosen], text
    too_few = MSG_TOO_FEW.format(authority=school.authority.name, minimum=MIN_GROUP)
    return others.iloc[0:0], too_few


def school_comparison(figures: Figures, school: School) -> tuple[list[Comparison], str]:
    """`school`'s rates per 100 pupils against the median and interquartile range of similar
    schools, with a sentence each; never naming another school. Empty when the group is too
    small or the school has no pupils on roll."""
    own = figures.schools[figures.schools["urn"] == school.urn].iloc[0]
    if pd.isna(own["pupils_on_roll"]) or not own["pupils_on_roll"]:
        return [], MSG_NO_PUPILS
    group, text = comparison_group(figures, school)
    if group.empty:
        return [], text
    comparisons = []
    for name in MEASURES:
        rates = group[f"{name}_per_100"].astype(float).dropna().to_numpy()
        value = float(own[f"{name}_per_100"])
        lower, median, upper = (float(q) for q in np.percentile(rates, [25, 50, 75]))
        template = NORM_FEWER if value > upper else NORM_MORE if value < lower else NORM_LIKE
        sentence = template.format(
            what=NORM_WHAT[name], value=f"{value:.2f}", median=f"{median:.2f}"
        )
        comparisons.append(Comparison(name, LABELS[name], value, median, lower, upper, sentence))
    return comparisons, text


def freshness(authority: LocalAuthority) -> Freshness:
    """The LA's latest contact date and its last import."""
    latest = Contact.objects.filter(authority=authority).aggregate(latest=Max("contact_date"))
    return Freshness(
        latest_contact=latest["latest"],
        last_import=FrontDoorImport.objects.filter(authority=authority).first(),
    )


def import_list(authority: LocalAuthority) -> list[FrontDoorImport]:
    """The LA's imports, newest first."""
    return list(FrontDoorImport.objects.filter(authority=authority)[:20])


def open_import_jobs(authority: LocalAuthority) -> list[ImportJob]:
    """The LA's uploads whose import job has not ended yet, newest first."""
    jobs = ImportJob.objects.filter(authority=authority, record=None, error="")
    return list(jobs.select_related("requested_by"))


def link_queue(authority: LocalAuthority) -> pd.DataFrame:
    """The school names the LA's store is waiting for a decision on (empty if none)."""
    store = authority_state(authority)
    queue = store.link_queue() if store is not None else None
    if queue is None:
        return pd.DataFrame({"example": [], "mentions": [], "candidates": []})
    return queue[queue["la_code"] == authority.la_code]


def quarantine_list(*, authority: LocalAuthority, by: Actor) -> tuple[pd.DataFrame, int]:
    """The LA's quarantined records (child-level: an audited read), the first QUARANTINE_SHOWN
    rows and how many there are."""
    store = authority_state(authority)
    frame = store.quarantine() if store is not None else pd.DataFrame()
    if not frame.empty:
        frame = frame[frame["la_code"] == authority.la_code]
    audit_read(
        by=by,
        object_type="insights.quarantine",
        object_id=authority.la_code,
        authority_code=authority.la_code,
        detail={"rows": len(frame), "shown": min(len(frame), QUARANTINE_SHOWN)},
    )
    return frame.head(QUARANTINE_SHOWN), len(frame)


def record_school_view(*, school: School, school_year: str, by: Actor) -> None:
    """Note that `by` read a school's (aggregated) dashboard."""
    audit_read(
        by=by,
        object_type="organisations.school",
        object_id=str(school.urn),
        authority_code=school.authority.la_code,
        school_urn=school.urn,
        detail={"page": "front-door dashboard", "school_year": school_year},
    )


SCHOOL_FIELDS = ("urn", "name", "phase", "pupils_on_roll", "pct_fsm")
CONTACT_FIELDS = (
    "contact_date",
    "source_code",
    "source_school__urn",
    "child_school__urn",
    "outcome",
)
REFERRAL_FIELDS = ("referral_date", "source_code", "source_school__urn", "outcome", "close_date")


def _input_queries(authority: LocalAuthority) -> tuple[QuerySet, QuerySet, QuerySet]:
    """What the LA's figures are computed from: its schools, contacts and referrals."""
    return (
        School.objects.filter(authority=authority).values_list(*SCHOOL_FIELDS),
        Contact.objects.filter(authority=authority).values_list(*CONTACT_FIELDS),
        Referral.objects.filter(authority=authority).values_list(*REFERRAL_FIELDS),
    )


def _fetch(query: QuerySet) -> list[tuple[object, ...]]:
    """`query`'s rows as the database driver gives them: no model or field conversions, so
    that reading every row for the figures' key takes milliseconds (the frames are made from
    these same rows, so figures and key always agree)."""
    sql, params = query.query.sql_with_params()
    with connections[query.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _schools_frame(authority: LocalAuthority, rows: list[tuple[object, ...]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(SCHOOL_FIELDS))
    return frame.assign(la_code=authority.la_code).astype(
        {"urn": "int64", "pupils_on_roll": "Int64", "pct_fsm": "Float64"}
    )


def _contacts_frame(rows: list[tuple[object, ...]]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows,
        columns=[
            "cont_contact_date",
            "cont_contact_source_code",
            "cont_source_school_urn",
            "cont_child_school_urn",
            "cont_contact_outcome",
        ],
    )
    return frame.astype(
        {
            "cont_contact_date": "datetime64[ns]",
            "cont_contact_source_code": object,
            "cont_source_school_urn": "Int64",
            "cont_child_school_urn": "Int64",
            "cont_contact_outcome": object,
        }
    )


def _referrals_frame(rows: list[tuple[object, ...]]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows,
        columns=[
            "cine_referral_date",
            "cine_referral_source_code",
            "cine_source_school_urn",
            "cine_referral_outcome",
            "cine_close_date",
        ],
    )
    return frame.astype(
        {
            "cine_referral_date": "datetime64[ns]",
            "cine_referral_source_code": object,
            "cine_source_school_urn": "Int64",
            "cine_referral_outcome": object,
            "cine_close_date": "datetime64[ns]",
        }
    )


class ImportStatus(StrEnum):
    """Where an import of the LA's export stands, as the imports list names it."""

    RUNNING = "running"
    FAILED = "failed"
    FINISHED = "finished"
    QUARANTINED = "quarantined"

    @property
    def label(self) -> str:
        return IMPORT_STATUS_LABELS[self]


IMPORT_STATUS_LABELS = {
    ImportStatus.RUNNING: "Not finished yet",
    ImportStatus.FAILED: "Failed",
    ImportStatus.FINISHED: "Finished",
    ImportStatus.QUARANTINED: "Finished, some records quarantined",
}


@dataclass(frozen=True)
class ImportRow:
    """One import of the imports list: a finished import (uploaded, or run from the command
    line), or an upload whose job has not made one (still running, or failed)."""

    when: dt.datetime
    file_name: str
    format: str
    by: str
    status: ImportStatus
    records: int | None
    quarantined: int | None
    record: FrontDoorImport | None
    job: ImportJob | None


@dataclass(frozen=True)
class ImportFilters:
    status: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def as_detail(self) -> dict[str, object]:
        """The filters as an audit event names them."""
        return {
            "status": self.status,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
        }


def import_rows(authority: LocalAuthority, filters: ImportFilters) -> list[ImportRow]:
    """Every import of the LA's exports matching `filters`, newest first: those finished, and
    uploads not yet imported (running, or failed with their error)."""
    rows = []
    finished = FrontDoorImport.objects.filter(authority=authority)
    pending = ImportJob.objects.filter(authority=authority, record=None)
    if filters.date_from is not None:
        finished = finished.filter(imported_at__date__gte=filters.date_from)
        pending = pending.filter(requested_at__date__gte=filters.date_from)
    if filters.date_to is not None:
        finished = finished.filter(imported_at__date__lte=filters.date_to)
        pending = pending.filter(requested_at__date__lte=filters.date_to)
    for record in finished:
        status = ImportStatus.QUARANTINED if record.quarantined else ImportStatus.FINISHED
        rows.append(
            ImportRow(
                when=record.imported_at,
                file_name=record.file_name,
                format=record.format,
                by=record.imported_by,
                status=status,
                records=record.records,
                quarantined=record.quarantined,
                record=record,
                job=None,
            )
        )
    for job in pending.select_related("requested_by"):
        rows.append(
            ImportRow(
                when=job.requested_at,
                file_name=job.file_name,
                format=job.format,
                by=job.requested_by.get_username(),
                status=ImportStatus.FAILED if job.error else ImportStatus.RUNNING,
                records=None,
                quarantined=None,
                record=None,
                job=job,
            )
        )
    if filters.status:
        rows = [row for row in rows if row.status == filters.status]
    return sorted(rows, key=lambda row: row.when, reverse=True)


def record_download(
    *,
    by: Actor,
    what: str,
    fmt: str,
    rows: int,
    authority: LocalAuthority,
    school: School | None = None,
    detail: dict[str, object] | None = None,
) -> None:
    """Note that `by` downloaded a table of the front-door pages: which, as what, how many
    rows, and where."""
    audit_read(
        by=by,
        object_type="organisations.school" if school else "organisations.localauthority",
        object_id=str(school.urn) if school else authority.la_code,
        authority_code=authority.la_code,
        school_urn=school.urn if school else None,
        detail={"download": what, "format": fmt, "rows": rows, **(detail or {})},
    )
