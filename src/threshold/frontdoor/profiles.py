"""Column-mapping profiles: which source column holds each contract field, and how the LA
spells its codes.

A profile is TOML (see docs/frontdoor.md) or one of the built-in profiles for the standard
formats (SSD, Ofsted Annex A, CIN census). Headers match whatever their case and spacing;
values match after case and spacing are normalised. Besides contract fields a profile may map
the inputs the standards use to say how a referral ended (`cine_referral_nfa`,
`cine_close_reason`, and the start dates of a plan that followed, `cine_cin_plan_date` and
`cine_cp_plan_date`) and the SSD's
`cont_contact_outcome_json`.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from threshold.frontdoor.readers import ENCODINGS
from threshold.model import TABLES, ContactOutcome, InputError, ReferralOutcome, SourceCode

MSG_PROFILE_TOML = "{file}: is not valid TOML ({reason})"
MSG_PROFILE_KEY = "{file}: [{section}] {key!r} {problem}"
MSG_PROFILE_TABLE = "{file}: [profile] table must be 'contacts' or 'referrals', not {value!r}"
MSG_PROFILE_MISSING = "{file}: [{section}] {key} is required"
MSG_PROFILE_TYPE = "{file}: [{section}] must be a table of keys and values, not {value!r}"
MSG_PROFILE_VALUE = "{file}: [profile] {key} must be {expected}, not {value!r}"
MSG_DATE_FORMAT = (
    "{file}: [profile] date_formats: {value!r} is not a date format; write each with %d, %m "
    '(or %b, %B) and %Y (or %y), for example "%d/%m/%Y"'
)

TableName = Literal["contacts", "referrals"]
UK_DATE_FORMATS = (
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%d/%m/%y",
    "%d-%b-%y",
    "%d-%b-%Y",
    "%d %b %Y",
    "%d %B %Y",
)
"""Date formats tried in order when a profile declares none (day first, never US order)."""

EXTRA_FIELDS: dict[str, tuple[str, ...]] = {
    "contacts": ("cont_contact_outcome_json",),
    "referrals": (
        "cine_referral_nfa",
        "cine_close_reason",
        "cine_cin_plan_date",
        "cine_cp_plan_date",
    ),
}
"""Inputs a profile may map besides the contract fields, by table."""

_CODE_FIELDS = {
    "cont_contact_source_code": SourceCode,
    "cine_referral_source_code": SourceCode,
    "cont_contact_outcome": ContactOutcome,
    "cine_referral_outcome": ReferralOutcome,
}
_DATE_DIRECTIVES = re.compile(r"%[dmyYbBaA%]")
_ANNEX_A_CODE = re.compile(r"^(?:[a-z]\d?\)\s*)?(1[a-d]|2[ab]|3[a-f]|10|[4-9]|5[a-d])\s*(?::|$|\s)")


def spelling_key(text: str) -> str:
    """A value as profiles match it: case-folded, inner spacing collapsed, trimmed."""
    return " ".join(str(text).casefold().split())


@dataclass(frozen=True)
class Profile:
    """How one kind of export maps onto a contract table."""

    name: str
    table: TableName
    columns: Mapping[str, tuple[str, ...]]
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    date_formats: tuple[str, ...] = UK_DATE_FORMATS
    encoding: str = "auto"
    sheet: str | None = None

    def code(self, target: str, text: str) -> str | None:
        """The code `text` stands for in field `target`, or None if it is not recognised."""
        key = spelling_key(text)
        mapped = self.values.get(target, {}).get(key)
        if mapped is not None:
            return mapped
        codes = _CODE_FIELDS[target]
        for code in codes:
            if key in (spelling_key(code.value), spelling_key(code.label)):
                return code.value
        if codes is SourceCode:
            match = _ANNEX_A_CODE.match(key)
            if match:
                return match.group(1).upper()
        return None


def load_profile(path: Path) -> Profile:
    """Read a TOML profile, checking every field and code it names."""
    file = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InputError(MSG_PROFILE_TOML.format(file=file, reason=error)) from None
    except OSError as error:
        raise InputError(MSG_PROFILE_TOML.format(file=file, reason=error.strerror)) from None
    head = _section(data, "profile", file)
    table = head.get("table")
    if table not in ("contacts", "referrals"):
        raise InputError(MSG_PROFILE_TABLE.format(file=file, value=table))
    allowed = set(TABLES[table].columns) | set(EXTRA_FIELDS[table])
    columns: dict[str, tuple[str, ...]] = {}
    for target, source in _section(data, "columns", file).items():
        if target not in allowed:
            raise InputError(
                MSG_PROFILE_KEY.format(
                    file=file, section="columns", key=target, problem=f"is not a field of {table}"
                )
            )
        names = (source,) if isinstance(source, str) else tuple(_listed(source))
        if not names or not all(isinstance(name, str) and name.strip() for name in names):
            raise InputError(
                MSG_PROFILE_KEY.format(
                    file=file, section="columns", key=target, problem="needs a header name"
                )
            )
        columns[target] = names
    if not columns:
        raise InputError(MSG_PROFILE_MISSING.format(file=file, section="columns", key="a column"))
    values: dict[str, dict[str, str]] = {}
    sections = _section(data, "values", file)
    for target in sections:
        codes = _CODE_FIELDS.get(target)
        if codes is None or target not in allowed:
            raise InputError(
                MSG_PROFILE_KEY.format(
                    file=file, section="values", key=target, problem="is not a coded field"
                )
            )
        known = {code.value.casefold(): code.value for code in codes}
        values[target] = {}
        for code, words in _section(sections, target, file, f"values.{target}").items():
            if code.casefold() not in known:
                raise InputError(
                    MSG_PROFILE_KEY.format(
                        file=file,
                        section=f"values.{target}",
                        key=code,
                        problem=f"is not a code ({', '.join(known.values())})",
                    )
                )
            for word in (words,) if isinstance(words, str) else _listed(words):
                values[target][spelling_key(word)] = known[code.casefold()]
    encoding = head.get("encoding", "auto")
    if encoding not in ("auto", *ENCODINGS):
        expected = "one of: " + ", ".join(("auto", *ENCODINGS))
        raise InputError(
            MSG_PROFILE_VALUE.format(file=file, key="encoding", expected=expected, value=encoding)
        )
    for key in ("name", "sheet"):
        if not isinstance(head.get(key, ""), str):
            raise InputError(
                MSG_PROFILE_VALUE.format(file=file, key=key, expected="text", value=head[key])
            )
    return Profile(
        name=head.get("name", path.stem),
        table=table,
        columns=columns,
        values=values,
        date_formats=_date_formats(head.get("date_formats", list(UK_DATE_FORMATS)), file),
        encoding=encoding,
        sheet=head.get("sheet"),
    )


def _section(data: dict, key: str, file: str, name: str | None = None) -> dict:
    """A TOML table of the profile (empty when absent), or an error naming it."""
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise InputError(MSG_PROFILE_TYPE.format(file=file, section=name or key, value=value))
    return value


def _listed(value: object) -> list:
    """A TOML array as a list; anything else as an empty one (which the caller refuses)."""
    return value if isinstance(value, list) else []


def _round_trips(fmt: str) -> bool:
    """Whether a date written in `fmt` reads back as itself."""
    sample = dt.date(2023, 9, 4)
    try:
        return dt.datetime.strptime(sample.strftime(fmt), fmt).date() == sample
    except (ValueError, re.error):
        return False


def _date_formats(formats: object, file: str) -> tuple[str, ...]:
    """The profile's date formats, each checked: text with a day, a month and a year, and
    nothing strptime would refuse or a date cannot fill."""
    if isinstance(formats, str):
        formats = [formats]
    if not isinstance(formats, list) or not formats:
        raise InputError(MSG_DATE_FORMAT.format(file=file, value=formats))
    wanted = ({"%d"}, {"%m", "%b", "%B"}, {"%Y", "%y"})
    for fmt in formats:
        directives = set(_DATE_DIRECTIVES.findall(fmt)) if isinstance(fmt, str) else set()
        if not (
            isinstance(fmt, str)
            and "%" not in _DATE_DIRECTIVES.sub("", fmt)  # no directive but these
            and all(group & directives for group in wanted)
            and _round_trips(fmt)
        ):
            raise InputError(MSG_DATE_FORMAT.format(file=file, value=fmt))
    return tuple(formats)


SSD_CONTACTS = Profile(
    name="Standard Safeguarding Dataset: ssd_contacts",
    table="contacts",
    columns={
        "cont_contact_id": ("cont_contact_id",),
        "cont_person_id": ("cont_person_id",),
        "cont_contact_date": ("cont_contact_date",),
        "cont_contact_source_code": ("cont_contact_source_code",),
        "cont_contact_outcome_json": ("cont_contact_outcome_json",),
        "cont_source_school_urn": ("cont_source_school_urn",),
        "cont_source_school_name": ("cont_source_school_name",),
        "cont_child_school_urn": ("cont_child_school_urn",),
    },
)
SSD_CIN_EPISODES = Profile(
    name="Standard Safeguarding Dataset: ssd_cin_episodes",
    table="referrals",
    columns={
        "cine_referral_id": ("cine_referral_id",),
        "cine_contact_id": ("cine_contact_id",),
        "cine_person_id": ("cine_person_id",),
        "cine_referral_date": ("cine_referral_date",),
        "cine_referral_source_code": ("cine_referral_source_code",),
        "cine_referral_nfa": ("cine_referral_nfa",),
        "cine_close_reason": ("cine_close_reason",),
        "cine_close_date": ("cine_close_date",),
        "cine_source_school_urn": ("cine_source_school_urn",),
        "cine_child_school_urn": ("cine_child_school_urn",),
    },
)
ANNEX_A_CONTACTS = Profile(
    name="Ofsted Annex A: List 1 (contacts)",
    table="contacts",
    sheet="List 1",
    columns={
        "cont_person_id": ("Child Unique ID", "Child ID", "Unique Child ID"),
        "cont_contact_date": ("Date of Contact", "Contact Date"),
        "cont_contact_source_code": ("Contact Source", "Source of Contact"),
        "cont_source_school_name": ("Referring School", "School", "Source Organisation"),
        "cont_contact_outcome": ("Contact Outcome", "Outcome of Contact", "Outcome"),
    },
)
ANNEX_A_REFERRALS = Profile(
    name="Ofsted Annex A: List 3 (referrals)",
    table="referrals",
    sheet="List 3",
    columns={
        "cine_person_id": ("Child Unique ID", "Child ID", "Unique Child ID"),
        "cine_referral_date": ("Date of Referral", "Referral Date"),
        "cine_referral_source_code": ("Referral Source", "Source of Referral"),
        "cine_referral_nfa": ("Referral NFA?", "Referral NFA"),
    },
)
CIN_CENSUS = Profile(
    name="DfE Children in Need census (XML)",
    table="referrals",
    date_formats=("%Y-%m-%d",),
    columns={
        "cine_person_id": ("LAchildID",),
        "cine_referral_date": ("CINreferralDate",),
        "cine_referral_source_code": ("ReferralSource",),
        "cine_referral_nfa": ("ReferralNFA",),
        "cine_close_date": ("CINclosureDate",),
        "cine_close_reason": ("ReasonForClosure",),
        "cine_cin_plan_date": ("CINPlanStartDate",),
        "cine_cp_plan_date": ("CPPstartDate",),
    },
)
