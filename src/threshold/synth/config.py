"""What a synthetic world is made of: its settings and its true effects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields

from threshold.model import InputError

MSG_UNKNOWN_EFFECT = "unknown effect {name!r}; expected one of: {known}"
MSG_BAD_EFFECT = "effect {name}={value!r}: {why}"


@dataclass(frozen=True)
class Effects:
    """True effects of the programme on treatment schools (default: none).

    Rate ratios apply to a school that received the full programme (eight sessions); a school
    with fewer sessions gets the ratio raised to (sessions held so far ÷ 8), so the effect
    builds through the year and the intention-to-treat effect is diluted by low take-up, as in
    the evaluation. Wellbeing effects are shifts in scale points (−6…+6) at endline for
    respondents in treatment schools that held at least one session.
    """

    nfa_contacts: float = 1.0
    """Rate ratio on the school's contacts that end in NFA at contact (the primary outcome)."""
    advice_contacts: float = 1.0
    """Rate ratio on the school's contacts ending in information and advice or Early Help."""
    referrals: float = 1.0
    """Rate ratio on the school's contacts that progress to a referral."""
    referral_nfa: float = 1.0
    """Ratio on the probability that a referral from the school ends in NFA."""
    other_source_contacts: float = 1.0
    """Rate ratio on contacts from other sources about the school's pupils."""
    anxiety_contentment: float = 0.0
    """Shift in the anxiety–contentment scale (points)."""
    depression_enthusiasm: float = 0.0
    """Shift in the depression–enthusiasm scale (points)."""

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def parse(cls, items: list[str]) -> Effects:
        """Effects from `name=value` strings, as given on the command line."""
        values: dict[str, float] = {}
        for item in items:
            name, _, text = item.partition("=")
            name = name.strip().replace("-", "_")
            if name not in cls.names():
                raise InputError(MSG_UNKNOWN_EFFECT.format(name=name, known=", ".join(cls.names())))
            try:
                values[name] = float(text)
            except ValueError:
                raise InputError(
                    MSG_BAD_EFFECT.format(name=name, value=text, why="not a number")
                ) from None
        return cls(**values)

    def __post_init__(self) -> None:
        for name in self.names():
            value = getattr(self, name)
            is_ratio = name not in ("anxiety_contentment", "depression_enthusiasm")
            if is_ratio and not 0 < value <= 5:
                raise InputError(
                    MSG_BAD_EFFECT.format(name=name, value=value, why="a ratio between 0 and 5")
                )
            if not is_ratio and abs(value) > 6:
                raise InputError(
                    MSG_BAD_EFFECT.format(name=name, value=value, why="a shift of at most 6 points")
                )


@dataclass(frozen=True)
class WorldConfig:
    """Settings of a synthetic world; the defaults reproduce the evaluation's scale."""

    seed: int = 20211
    n_schools: int = 308
    effects: Effects = field(default_factory=Effects)
    intervention_year: int = 2021
    """First calendar year of the intervention school year (2021 means 2021/22)."""
    prior_years: int = 2
    """School years of front-door data before the intervention year (baseline and one earlier)."""
    extraction_date: dt.date = dt.date(2022, 9, 30)
    """When the LAs extracted their data: referrals still open then have no outcome yet."""

    def __post_init__(self) -> None:
        if not 44 <= self.n_schools <= 3000:
            raise InputError(
                f"n_schools={self.n_schools}: choose 44 to 3000 schools (at least 4 per LA)"
            )
        if not 1 <= self.prior_years <= 3:
            raise InputError(f"prior_years={self.prior_years}: choose 1 to 3")

    @property
    def school_years(self) -> tuple[int, ...]:
        """First calendar year of each school year, oldest first, ending with the intervention."""
        return tuple(range(self.intervention_year - self.prior_years, self.intervention_year + 1))


def school_year_label(start: int) -> str:
    """`2021` -> `2021/22`."""
    return f"{start}/{(start + 1) % 100:02d}"
