"""Reads of local authorities and schools: who may read or edit an LA's settings, whose help
contact a person sees, and what a GIAS extract would change (the preview before it is applied)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, Q, QuerySet

from threshold.model import Phase
from threshold.register import current_urns, school_table
from threshold.web.accounts.authorisation import has_permission, user_memberships
from threshold.web.accounts.permissions import Permission
from threshold.web.organisations.models import LocalAuthority, School, SchoolStatus

NEW_AUTHORITY_NAME = "Local authority {la_code}"
"""The name of an LA the extract has no `LA (name)` for (its lead can give a display name)."""
REASON_CLOSED = "closed in GIAS"
REASON_MISSING = "not in the extract for LA {la_code}"
FIGURES = ("pupils_on_roll", "pct_fsm")
"""Figures an extract may leave blank; a blank keeps the school's figure."""
FIELD_LABELS = {
    "name": "Name",
    "authority": "Local authority",
    "phase": "Phase",
    "pupils_on_roll": "Pupils on roll",
    "pct_fsm": "% FSM (last six years)",
    "status": "Status",
    "closed_on": "Closed on",
    "successor_urn": "Successor URN",
}


def authority_list() -> QuerySet[LocalAuthority]:
    """Every local authority, by name."""
    return LocalAuthority.objects.all()


def _belongs_to(user: AbstractBaseUser) -> set[int]:
    """The ids of the LAs `user` has a membership in (directly or through a school)."""
    return {
        m.authority_id if m.school is None else m.school.authority_id
        for m in user_memberships(user)
        if m.authority_id is not None or m.school is not None
    }


def authorities_readable(user: AbstractBaseUser) -> QuerySet[LocalAuthority]:
    """The LAs whose settings page `user` may read: those they belong to (everything, for those
    who manage organisations), with their open and closed schools counted."""
    authorities = LocalAuthority.objects.annotate(
        open_schools=Count("schools", filter=Q(schools__status=SchoolStatus.OPEN)),
        closed_schools=Count("schools", filter=Q(schools__status=SchoolStatus.CLOSED)),
    )
    if has_permission(user, Permission.ORGANISATIONS_MANAGE):
        return authorities
    return authorities.filter(pk__in=_belongs_to(user))


def authority_readable(user: AbstractBaseUser, authority: LocalAuthority) -> bool:
    """Whether `user` may read `authority`'s settings page."""
    return authority_editable(user, authority) or authority.pk in _belongs_to(user)


def authority_editable(user: AbstractBaseUser, authority: LocalAuthority) -> bool:
    """Whether `user` may change `authority`'s settings (its lead, an administrator)."""
    return has_permission(user, Permission.AUTHORITY_SETTINGS_EDIT, authority=authority)


def help_authority(user: AbstractBaseUser) -> LocalAuthority | None:
    """The LA whose help contact `user` sees: the one LA they belong to; None when they belong
    to none or to several (they see the service's)."""
    if not user.is_authenticated:
        return None
    belongs = _belongs_to(user)
    return LocalAuthority.objects.get(pk=belongs.pop()) if len(belongs) == 1 else None


@dataclass(frozen=True)
class AuthorityPlan:
    """What applying an extract does to one LA: create it, rename it, or neither."""

    la_code: str
    name: str
    created: bool
    renamed_from: str | None


@dataclass(frozen=True)
class SchoolPlan:
    """One school to add, change or close, with its values after applying and what changes
    (field label, before, after)."""

    urn: int
    name: str
    la_code: str
    values: dict[str, object]
    changes: tuple[tuple[str, str, str], ...] = ()
    reason: str = ""
    successor: str = ""
    """The successor's URN and name, for a closed school that leads to one."""

    @property
    def phase(self) -> str:
        """The phase of a school to add, as people write it."""
        return Phase(self.values["phase"]).label


@dataclass(frozen=True)
class GiasPlan:
    """What applying a GIAS extract to the chosen LAs would do, before anything is done."""

    authorities: tuple[AuthorityPlan, ...]
    additions: tuple[SchoolPlan, ...]
    changes: tuple[SchoolPlan, ...]
    closures: tuple[SchoolPlan, ...]

    @property
    def empty(self) -> bool:
        return not (
            self.additions
            or self.changes
            or self.closures
            or any(a.created or a.renamed_from for a in self.authorities)
        )

    @property
    def successors(self) -> tuple[SchoolPlan, ...]:
        """Closed schools given a successor URN they did not have."""
        return tuple(
            plan
            for plan in (*self.closures, *self.changes)
            if any(label == FIELD_LABELS["successor_urn"] for label, _, _ in plan.changes)
        )

    @property
    def summary(self) -> list[dict[str, object]]:
        """Per LA: its plan and how many schools are added, changed, closed and followed."""
        lists = {
            "added": self.additions,
            "changed": self.changes,
            "closed": self.closures,
            "successors": self.successors,
        }
        return [
            {"authority": authority}
            | {
                name: sum(1 for p in plans if p.la_code == authority.la_code)
                for name, plans in lists.items()
            }
            for authority in self.authorities
        ]


def gias_authorities(table: pd.DataFrame) -> list[tuple[str, int]]:
    """The LAs of a schools table (`school_table`'s), with how many schools each has."""
    counts = table["la_code"].value_counts()
    return sorted((str(code), int(n)) for code, n in counts.items())


def gias_table(
    register: pd.DataFrame, census: pd.DataFrame | None, links: pd.DataFrame | None
) -> pd.DataFrame:
    """The open schools of the extract the trial has a phase for (`school_table`, which maps
    GIAS phases to the contract's)."""
    return school_table(register, census, links)


def _shown(name: str, value: object) -> str:
    """A field's value as the preview shows it."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.strftime("%-d %B %Y")
    if name == "phase":
        return Phase(value).label
    if name == "status":
        return SchoolStatus(value).label
    return str(value)


def _optional(value: object, kind: type) -> object:
    return None if pd.isna(value) else kind(value)


def _authority_names(register: pd.DataFrame) -> dict[str, str]:
    """`LA (name)` by three-digit code, where the register has both columns."""
    if "la_code" not in register or "la_name" not in register:
        return {}
    named = register.dropna(subset=["la_code", "la_name"])
    return dict(zip(named["la_code"].str.zfill(3), named["la_name"], strict=True))


def _close_dates(register: pd.DataFrame) -> dict[int, dt.date]:
    """GIAS `CloseDate` (day first) by URN, where the register has it."""
    if "close_date" not in register:
        return {}
    dates = pd.to_datetime(register["close_date"], dayfirst=True, errors="coerce")
    return {
        int(urn): day.date()
        for urn, day in zip(register["urn"], dates, strict=True)
        if pd.notna(day)
    }


def _successors(urns: list[int], links: pd.DataFrame | None) -> dict[int, int]:
    """Today's URN of each of `urns` that has a resolved successor (a chain, not a split)."""
    if links is None or not urns:
        return {}
    found = current_urns(urns, links)
    found = found[(found["steps"] > 0) & found["current_urn"].notna()]
    return dict(zip(found["urn"].astype(int), found["current_urn"].astype(int), strict=True))


def _current(school: School, name: str) -> object:
    """The school's value of a plan's field (`authority` is the LA's code)."""
    return school.authority.la_code if name == "authority" else getattr(school, name)


def _changes(school: School, values: dict[str, object]) -> tuple[tuple[str, str, str], ...]:
    return tuple(
        (FIELD_LABELS[name], _shown(name, _current(school, name)), _shown(name, value))
        for name, value in values.items()
        if _current(school, name) != value
    )


def gias_plan(
    *,
    register: pd.DataFrame,
    census: pd.DataFrame | None,
    links: pd.DataFrame | None,
    la_codes: list[str],
    today: dt.date,
) -> GiasPlan:
    """What applying the extract to the LAs `la_codes` would do.

    A school of the extract is added, or changed where its name, LA, phase, pupils on roll or
    % FSM differ (figures the files leave blank are kept) or it was closed. An open school of a
    chosen LA is closed when GIAS says so (on its `CloseDate`, else `today`), or when the extract
    no longer lists it as an open school in any LA (on `today`). With a links file, closed
    schools are followed to their successor's URN. Schools of other LAs are left alone.
    """
    table = gias_table(register, census, links)
    chosen = table[table["la_code"].isin(la_codes)]
    names = _authority_names(register)
    existing = {la.la_code: la for la in LocalAuthority.objects.filter(la_code__in=la_codes)}
    authorities = []
    for code in sorted(la_codes):
        la = existing.get(code)
        name = names.get(code) or (la.name if la else NEW_AUTHORITY_NAME.format(la_code=code))
        renamed = la.name if la is not None and la.name != name else None
        authorities.append(AuthorityPlan(code, name, la is None, renamed))

    # Every school: one of the extract may be in Threshold under any LA (a few tens of thousands
    # at most, fewer than a URN list's query parameters would be).
    schools = {s.urn: s for s in School.objects.select_related("authority")}
    additions, changes = [], []
    for row in chosen.itertuples(index=False):
        urn = int(row.urn)
        values: dict[str, object] = {
            "name": str(row.name),
            "authority": row.la_code,
            "phase": str(row.phase),
            "pupils_on_roll": _optional(row.pupils_on_roll, int),
            "pct_fsm": _optional(row.pct_fsm, float),
            "status": SchoolStatus.OPEN.value,
            "closed_on": None,
            "successor_urn": None,
        }
        school = schools.get(urn)
        if school is None:
            additions.append(SchoolPlan(urn, values["name"], row.la_code, values))
            continue
        values = {k: v for k, v in values.items() if v is not None or k not in FIGURES}
        found = _changes(school, values)
        if found:
            changes.append(SchoolPlan(urn, values["name"], row.la_code, values, found))

    closures = []
    open_urns = set(table["urn"].astype(int))
    status = (
        dict(zip(register["urn"], register["status"], strict=True)) if "status" in register else {}
    )
    close_dates = _close_dates(register)
    leaving = [
        s for s in schools.values() if s.authority.la_code in la_codes and s.urn not in open_urns
    ]
    successors = _successors([s.urn for s in leaving], links)
    names_by_urn = dict(zip(register["urn"], register["name"], strict=True))
    for school in sorted(leaving, key=lambda s: s.urn):
        closed_in_gias = str(status.get(school.urn) or "").casefold() == SchoolStatus.CLOSED
        successor_urn = successors.get(school.urn, school.successor_urn)
        values = {"successor_urn": successor_urn}
        successor = (
            ""
            if successor_urn is None
            else f"{successor_urn} {names_by_urn.get(successor_urn, '')}"
        )
        if school.urn in close_dates:
            values["closed_on"] = close_dates[school.urn]
        if school.status == SchoolStatus.OPEN:
            values = {"status": SchoolStatus.CLOSED.value, "closed_on": today} | values
            reason = (
                REASON_CLOSED
                if closed_in_gias
                else REASON_MISSING.format(la_code=school.authority.la_code)
            )
            closures.append(
                SchoolPlan(
                    school.urn,
                    school.name,
                    school.authority.la_code,
                    values,
                    _changes(school, values),
                    reason,
                    successor.strip(),
                )
            )
            continue
        found = _changes(school, values)
        if found:
            changes.append(
                SchoolPlan(
                    school.urn,
                    school.name,
                    school.authority.la_code,
                    values,
                    found,
                    successor=successor.strip(),
                )
            )
    return GiasPlan(tuple(authorities), tuple(additions), tuple(changes), tuple(closures))
