"""Random allocation of units (schools) to arms.

The evaluation's procedure: blocks are LA × high/low % FSM (a median split within each LA);
within a block every unit draws a random number, units are sorted by it, the first is allocated
to an arm at random and each next unit gets the opposite arm of the one before. Every block is
therefore balanced to within one unit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from threshold.model import Arm
from threshold.model.errors import InputError

MSG_MISSING_COLUMN = "the units table has no column {column!r} (columns: {columns})"
MSG_BLANK_VALUES = "column {column!r} is blank for {count} unit(s), e.g. row {row}"
MSG_DUPLICATE_UNITS = "unit id column {column!r} repeats {value}"

ALLOCATION_COLUMNS = ("unit", "block", "arm", "random_number", "order")


def median_split(values: pd.Series, groups: pd.Series) -> pd.Series:
    """'high' where a value is above its group's median, else 'low' (ties at the median are low)."""
    medians = values.groupby(groups).transform("median")
    return pd.Series(np.where(values > medians, "high", "low"), index=values.index)


def randomise_alternating(
    units: pd.DataFrame,
    *,
    unit: str,
    rng: np.random.Generator,
    block_by: tuple[str, ...] = (),
    median_split_by: str | None = None,
) -> pd.DataFrame:
    """Allocate units by the evaluation's alternating procedure within blocks.

    Blocks are the combinations of `block_by` columns, each further split at its median of
    `median_split_by` when given. Returns one row per unit: unit, block, arm, random_number,
    order (1-based position in the block after sorting), in the units' original order.
    """
    needed = [unit, *block_by, *([median_split_by] if median_split_by else [])]
    for column in needed:
        if column not in units.columns:
            raise InputError(
                MSG_MISSING_COLUMN.format(column=column, columns=", ".join(map(str, units.columns)))
            )
        blank = units[column].isna()
        if blank.any():
            first = int(np.flatnonzero(blank.to_numpy())[0]) + 1
            raise InputError(
                MSG_BLANK_VALUES.format(column=column, count=int(blank.sum()), row=first)
            )
    repeated = units[unit].duplicated()
    if repeated.any():
        raise InputError(
            MSG_DUPLICATE_UNITS.format(column=unit, value=units[unit][repeated].iloc[0])
        )
    parts = [units[column].astype(str) for column in block_by]
    if median_split_by:
        within = (
            parts[0].str.cat(parts[1:], sep="-") if parts else pd.Series("all", index=units.index)
        )
        parts.append(median_split(units[median_split_by].astype(float), within))
    if parts:
        block = parts[0].str.cat(parts[1:], sep="-") if len(parts) > 1 else parts[0]
    else:
        block = pd.Series("all", index=units.index)
    out = pd.DataFrame(
        {
            "unit": units[unit].to_numpy(),
            "block": block.to_numpy(),
            "random_number": rng.random(len(units)),
        }
    )
    out["order"] = out.groupby("block")["random_number"].rank(method="first").astype("int64")
    first_arm = {name: rng.integers(0, 2) for name in sorted(out["block"].unique())}
    starts = out["block"].map(first_arm).to_numpy()
    treated = (starts + out["order"].to_numpy() - 1) % 2 == 0
    out["arm"] = np.where(treated, Arm.TREATMENT.value, Arm.CONTROL.value)
    return out.loc[:, list(ALLOCATION_COLUMNS)]


def randomise_as_evaluated(schools: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The evaluation's design on a contract schools table: blocks LA × high/low % FSM."""
    return randomise_alternating(
        schools, unit="urn", rng=rng, block_by=("la_code",), median_split_by="pct_fsm"
    )
