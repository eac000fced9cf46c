"""Looking schools up in the register: by URN, by name (within an LA), and by successor links."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from threshold.model import InputError
from threshold.register._files import name_key
from threshold.register.links import current_urns

MSG_NO_LA_COLUMN = "the register has no LA column (LA (code)), so it cannot be searched by LA"


@dataclass(frozen=True, eq=False)
class Register:
    """The register frame of `read_register`, indexed; `links` as read by `read_links`."""

    schools: pd.DataFrame = field(repr=False)
    links: pd.DataFrame | None = field(default=None, repr=False)
    _positions: dict[int, int] = field(init=False, repr=False)
    _names: dict[str, list[int]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        positions = {int(urn): position for position, urn in enumerate(self.schools["urn"])}
        names: dict[str, list[int]] = {}
        for position, name in enumerate(self.schools["name"]):
            names.setdefault(name_key(name or ""), []).append(position)
        object.__setattr__(self, "_positions", positions)
        object.__setattr__(self, "_names", names)

    def __len__(self) -> int:
        return len(self.schools)

    def by_urn(self, urn: int) -> pd.Series | None:
        """The school with this URN, or None."""
        position = self._positions.get(int(urn))
        return None if position is None else self.schools.iloc[position]

    def by_name(self, name: str, la_code: str | None = None) -> pd.DataFrame:
        """Every school of this name (ignoring case, accents, punctuation and spaces), in an LA."""
        found = self.schools.iloc[self._names.get(name_key(name), [])]
        if la_code is None:
            return found
        if "la_code" not in found:
            raise InputError(MSG_NO_LA_COLUMN)
        return found[found["la_code"] == la_code.strip().zfill(3)]

    def successor(self, urn: int) -> int | None:
        """Today's URN of `urn` by the successor links: `urn` itself when it has no successor,
        None when a split or a loop leaves it unresolved (`current_urns` gives the reason)."""
        if self.links is None:
            return int(urn)
        current = current_urns([urn], self.links)["current_urn"].iloc[0]
        return None if pd.isna(current) else int(current)
