"""Render the data contract as Markdown (docs/data-contract.md is this function's output)."""

from __future__ import annotations

from threshold.model import codes
from threshold.model.contract import TABLES
from threshold.model.schema import Field, Kind, Table

_PREAMBLE = """\
# The data contract

Every table Threshold reads or writes. This page is generated from `threshold.model.contract`
by `threshold contract docs`; a test fails when it is out of date, so edit the code, not this page.

**Files.** Each table is a CSV file named `<table>.csv` (lower case, as headed below):
comma-separated, quoted where needed, with a header row of the field names below in any order.
The text must be UTF-8, with or without a byte-order mark: Excel's "CSV UTF-8" is fine, but
its plain "CSV" is Windows-1252 and is refused as soon as a cell holds a character such as `é`
or `£`. A directory need not hold every table, but a table that refers to another (see
*References*) needs that table beside it. The column of a field that is not required may be
left out; a blank cell means "not recorded".

**Formulas.** Threshold writes its files to be opened in a spreadsheet safely: a text cell
that starts with `=`, `+`, `-`, `@`, a tab or a carriage return, or with `'`, is written with
one `'` before it, so the spreadsheet shows it as text and runs nothing (a school named
`=HYPERLINK(…)` is written `'=HYPERLINK(…)`). Reading strips exactly that `'` (one `'`
followed by one of those characters), so a file reads back as written; any other `'` is part
of the value. Numbers, dates and booleans are never escaped: `-5` stays a number.

**Values.**

- *string*: any text.
- *integer*: a whole number in digits: `1200`, not `1,200` or `1200.0`.
- *number*: digits with an optional decimal point or exponent: `0.25`, `23.5`, `1e-05`; not
  `£`, `%`, thousands separators, `nan` or `inf`.
- *date*: `YYYY-MM-DD`, a real calendar date: `2021-09-01`, not `01/09/2021` or
  `2021-09-01 00:00`.
- *code*: exactly one of the values of its code list (at the end of this page); case and
  spaces matter.

Ranges in *allowed values* include both ends.

**Keys.** No two rows of a table may share its key (all of the key's fields together).

**References.** A field that refers to another table (for example a contact's school URN)
must hold a value present in that table, and that table's file must be in the same directory.

**Checking.** `threshold validate DIR` checks every file ending `.csv` in a directory and reports
every violation with its file, row (1 is the first record after the header, which a spreadsheet
shows as row 2), field and reason; `--json` gives the same as JSON. It exits with status 0 when
everything is valid, 1 when there are violations and 2 when DIR is not a directory.

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
        parts.append(f"\n## `{table.filename}`\n\n{table.description}\n\n{_key(table)}\n")
        parts.append(
            "\n| field | type | required | meaning | allowed values |\n|---|---|---|---|---|\n"
        )
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


def _key(table: Table) -> str:
    fields = [f"`{name}`" for name in table.key]
    if len(fields) == 1:
        return f"Key: {fields[0]} (unique in the table)."
    return f"Key: {', '.join(fields[:-1])} and {fields[-1]} together (unique in the table)."


def _row(field: Field) -> str:
    if field.kind is Kind.CODE and field.codes is not None:
        name = field.codes.__name__
        kind = f"code ({name})"
        allowed = f"see [{name}](#{name.lower()})"
    else:
        kind = str(field.kind)
        allowed = field.allowed
    required = "yes" if field.required else "no"
    return f"| `{field.name}` | {kind} | {required} | {field.description} | {allowed} |\n"


def _code_lists() -> set[type[codes.Code]]:
    return {f.codes for table in TABLES.values() for f in table.fields if f.codes is not None}
