"""Balance between arms: means, SDs and percentages by arm, with standardised differences."""

from __future__ import annotations

import numpy as np
import pandas as pd

from threshold.model import Arm

SCHOOL_CHARACTERISTICS = (
    "pupils_on_roll",
    "pct_fsm",
    "pct_eal",
    "pct_sen_support",
    "urban_rural",
    "ofsted_rating",
)
"""The contract's school characteristics a balance table shows by default."""

BALANCE_COLUMNS = (
    "characteristic",
    "level",
    "n_treatment",
    "n_control",
    "mean_treatment",
    "sd_treatment",
    "mean_control",
    "sd_control",
    "std_difference",
)


def balance_table(units: pd.DataFrame, arms: pd.Series, characteristics: list[str]) -> pd.DataFrame:
    """One row per numeric characteristic (mean and SD by arm) and per level of a categorical
    one (percentage by arm, `mean_*` in percent). The standardised difference is the difference
    in means over the pooled SD √((s²_T + s²_C)/2); for a level, over
    √((p_T(1−p_T) + p_C(1−p_C))/2). Missing values are left out: `n_*` counts those with a value."""
    treated = (arms == Arm.TREATMENT).to_numpy()
    rows: list[dict[str, object]] = []
    for name in characteristics:
        values = units[name]
        numbers = pd.to_numeric(values, errors="coerce")
        if numbers.notna().sum() == values.notna().sum() and values.notna().any():
            t, c = numbers[treated].dropna(), numbers[~treated].dropna()
            pooled = np.sqrt((t.var() + c.var()) / 2)
            rows.append(
                _row(name, None, t, c, (t.mean() - c.mean()) / pooled if pooled > 0 else np.nan)
            )
            continue
        for level in sorted(values.dropna().astype(str).unique()):
            t = values[treated].dropna().astype(str).eq(level)
            c = values[~treated].dropna().astype(str).eq(level)
            p_t, p_c = t.mean(), c.mean()
            pooled = np.sqrt((p_t * (1 - p_t) + p_c * (1 - p_c)) / 2)
            row = _row(
                name,
                level,
                100 * t.astype(float),
                100 * c.astype(float),
                (p_t - p_c) / pooled if pooled > 0 else np.nan,
            )
            row["sd_treatment"] = row["sd_control"] = np.nan
            rows.append(row)
    return pd.DataFrame(rows, columns=list(BALANCE_COLUMNS))


def _row(
    name: str, level: str | None, t: pd.Series, c: pd.Series, difference: float
) -> dict[str, object]:
    return {
        "characteristic": name,
        "level": level,
        "n_treatment": int(t.size),
        "n_control": int(c.size),
        "mean_treatment": t.mean(),
        "sd_treatment": t.std(),
        "mean_control": c.mean(),
        "sd_control": c.std(),
        "std_difference": difference,
    }
