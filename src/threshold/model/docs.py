"""Render the data contract as Markdown (docs/data-contract.md is this function's output)."""

from __future__ import annotations

from threshold.model import codes
from threshold.model.contract import TABLES
from threshold.model.schema import Field, Kind

_PREAMBLE = """\
# The data contract

Every table Threshold reads or writes. This page is generated from `threshold.model.contract`
by `threshold contract docs`; a test fails when it is out of date, so edit the code, not this page.

**Files.** Each table is a CSV file named `<table>.csv`: UTF-8, a header row with the field
names below (any order), comma-separated, quoted where needed. A blank cell means "not
recorded". Dates are ISO 8601 (`YYYY-MM-DD`). Whole numbers have no decimal point.
`threshold validate DIR` checks a directory of such files and reports every violation with
its file, row (1 is the first record after the header), field and reason.

**Keys and references.** Each table's key must be unique. A field that refers to another
table (for example a contact's school URN) must hold a value present in that table when that
table is in the same directory.

**Alignment.** Contacts and referrals use the Standard Safeguarding Dataset's names
(`ssd_contacts` → `cont_*`, `ssd_cin_episodes` → `cine_*`); fields the SSD lacks (the LA,
which school made a contact, which school the child attends) are marked *extension*. Source
codes are the DfE Children in Need census codes.

**Privacy.** No table holds a child's name, date of birth or Unique Pupil Number: children
are pseudonymised identifiers, survey respondents opaque tokens, and supervision sessions
carry no case details.
"""


def contract_markdown() -> str:
    """The whole data contract as a Markdown document."""
    parts = [_PREAMBLE]
    for table in TABLES.values():
        parts.append(f"\n## `{table.filename}`\n\n{table.description}\n\nKey: {', '.join(f'`{k}`' for k in table.key)}.\n")
        parts.append("\n| field | type | required | meaning | allowed values |\n|---|---|---|---|---|\n")
        parts.extend(_row(f) for f in table.fields)
        if table.rules:
            parts.append("\nRules across fields:\n\n")
            parts.extend(f"- `{rule.field}` {rule.message}.\n" for rule in table.rules)
    parts.append("\n## Code lists\n")
    for code_list in sorted(_code_lists(), key=lambda c: c.__name__):
        doc = (code_list.__doc__ or "").strip().splitlines()
        heading = f"\n### {code_list.__name__}\n\n"
        if doc:
            heading += f"{doc[0]}\n\n"
        parts.append(heading + "| value | meaning |\n|---|---|\n")
        parts.extend(f"| `{member.value}` | {member.label} |\n" for member in code_list)
    return "".join(parts)


def _row(field: Field) -> str:
    kind = f"code ({field.codes.__name__})" if field.kind is Kind.CODE and field.codes else str(field.kind)
    allowed = "see below" if field.codes is not None else field.allowed
    required = "yes" if field.required else "no"
    return f"| `{field.name}` | {kind} | {required} | {field.description} | {allowed} |\n"


def _code_lists() -> set[type[codes.Code]]:
    return {f.codes for table in TABLES.values() for f in table.fields if f.codes is not None}
