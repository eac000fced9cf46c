"""The building blocks of the data contract: fields, row rules and table schemas.

A table is a CSV file named ``<table>.csv`` (UTF-8, header row, comma-separated). Blank cells
mean "not recorded". Dates are ISO 8601 (``YYYY-MM-DD``); booleans are ``true``/``false``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import pandas as pd

from threshold.model.codes import Code


class Kind(StrEnum):
    """The type of a field's values, as written in a file."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    DATE = "date"
    BOOLEAN = "boolean"
    CODE = "code"


@dataclass(frozen=True)
class Field:
    """One column of a contract table."""

    name: str
    kind: Kind
    description: str
    required: bool = True
    codes: type[Code] | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    pattern_hint: str | None = None
    references: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if (self.kind is Kind.CODE) != (self.codes is not None):
            raise ValueError(f"field {self.name}: a code field needs a code list, and only it")

    @property
    def allowed(self) -> str:
        """Allowed values in words, for documentation and error messages."""
        if self.codes is not None:
            return ", ".join(f"`{value}`" for value in self.codes.values())
        parts: list[str] = []
        if self.pattern_hint:
            parts.append(self.pattern_hint)
        if self.minimum is not None and self.maximum is not None:
            parts.append(f"{_fmt(self.minimum)} to {_fmt(self.maximum)}")
        elif self.minimum is not None:
            parts.append(f"at least {_fmt(self.minimum)}")
        elif self.maximum is not None:
            parts.append(f"at most {_fmt(self.maximum)}")
        if self.references:
            parts.append(f"a `{self.references[1]}` in `{self.references[0]}`")
        return "; ".join(parts) or _ANY[self.kind]


@dataclass(frozen=True)
class RowRule:
    """A rule across fields of one row; `violated` returns a boolean mask of offending rows.

    `violated` receives the table parsed to Python types (dates as Timestamps, numbers as
    floats, blanks and unparseable values as missing, absent columns all missing). It must not
    flag a row for a missing value unless the rule is that the value is required there.
    """

    field: str
    message: str
    violated: Callable[[pd.DataFrame], pd.Series]


@dataclass(frozen=True)
class Table:
    """A contract table: its fields, key and row rules."""

    name: str
    description: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    rules: tuple[RowRule, ...] = field(default=())

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(f"{self.name} has no field {name!r}")


_ANY = {  # what `Field.allowed` says of a field with no constraint beyond its kind
    Kind.STRING: "any text",
    Kind.INTEGER: "any whole number",
    Kind.NUMBER: "any number",
    Kind.DATE: "any date",
    Kind.BOOLEAN: "`true` or `false`",
}


def _fmt(number: float) -> str:
    return f"{number:g}"
