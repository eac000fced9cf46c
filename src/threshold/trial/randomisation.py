"""Random allocation of units (schools, or clusters of pupils) to two arms.

Every method gives each unit (or cluster) a uniform random number and sorts its block by it:

- `alternating` — the evaluation's procedure: the first unit in the block is allocated to an arm
  at random and each next unit gets the opposite arm of the one before (1:1 only), so every
  block is balanced to within one unit;
- `blocked` — within each block the first round(n·s) units are treated, where s is the treatment
  share of the ratio; a fractional remainder is decided by one more random draw, so every unit's
  probability of treatment is exactly s;
- `complete` — `blocked` with the whole table as one block.

Blocks are the combinations of the `block_by` columns, each optionally split at its median of
`median_split` (above the median: `high`; at or below: `low`). With `cluster`, clusters are
randomised (block columns must be constant within a cluster; the median split uses cluster
means) and every unit gets its cluster's arm.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from threshold.model import Arm, InputError, restore_formulas

MSG_UNREADABLE = "{path}: cannot read the units table ({reason})"
MSG_MISSING_COLUMN = "the units table has no column {column!r} (columns: {columns})"
MSG_BLANK_VALUES = "column {column!r} is blank for {count} unit(s), e.g. row {row}"
MSG_DUPLICATE_UNITS = "unit id column {column!r} repeats {value}"
MSG_NOT_NUMERIC = "column {column!r} must be numeric for a median split; row {row} holds {value!r}"
MSG_CLUSTER_BLOCKS = "cluster {cluster!r} has more than one value of block column {column!r}"
MSG_RATIO = "ratio {ratio} must be two positive whole numbers, treatment:control"
MSG_ALTERNATING_RATIO = "the alternating method allocates 1:1; use method 'blocked' for {ratio}"
MSG_METHOD = "method {method!r} must be one of: alternating, blocked, complete"

Method = Literal["alternating", "blocked", "complete"]
ALLOCATION_COLUMNS = ("unit", "block", "arm", "random_number", "order")


@dataclass(frozen=True)
class RandomisationSpec:
    """How to randomise: the unit id column, method, blocking, clustering and ratio."""

    unit: str
    method: Method = "alternating"
    block_by: tuple[str, ...] = ()
    median_split: str | None = None
    cluster: str | None = None
    ratio: tuple[int, int] = (1, 1)

    def __post_init__(self) -> None:
        if self.method not in ("alternating", "blocked", "complete"):
            raise InputError(MSG_METHOD.format(method=self.method))
        treat, control = self.ratio
        if not (isinstance(treat, int) and isinstance(control, int) and treat > 0 and control > 0):
            raise InputError(MSG_RATIO.format(ratio=":".join(map(str, self.ratio))))
        if self.method == "alternating" and treat != control:
            raise InputError(MSG_ALTERNATING_RATIO.format(ratio=f"{treat}:{control}"))

    @property
    def treatment_share(self) -> float:
        return self.ratio[0] / sum(self.ratio)

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "block_by": list(self.block_by), "ratio": list(self.ratio)}

    @classmethod
    def from_dict(cls, values: dict[str, object]) -> RandomisationSpec:
        """The inverse of `to_dict` (as read back from JSON or TOML)."""
        return cls(
            **{**values, "block_by": tuple(values["block_by"]), "ratio": tuple(values["ratio"])}
        )  # type: ignore[arg-type]


EVALUATION_DESIGN = RandomisationSpec(unit="urn", block_by=("la_code",), median_split="pct_fsm")
"""The evaluation's design on a contract schools table: blocks LA × high/low % FSM, alternating."""


def read_units(path: Path) -> pd.DataFrame:
    """A units table from CSV (any columns; blanks are missing; the escapes Threshold writes
    before formula-like text removed, `restore_formulas`), or a clear error."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise InputError(MSG_UNREADABLE.format(path=path, reason=error)) from None
    return restore_formulas(frame).replace("", None)


def median_split(values: pd.Series, groups: pd.Series) -> pd.Series:
    """'high' where a value is above its group's median, else 'low' (ties at the median are low)."""
    medians = values.groupby(groups).transform("median")
    return pd.Series(np.where(values > medians, "high", "low"), index=values.index)


def randomise(
    units: pd.DataFrame, spec: RandomisationSpec, rng: np.random.Generator
) -> pd.DataFrame:
    """Allocate units to arms. Returns one row per unit, in the table's order: `unit`, `block`,
    `arm`, `random_number`, `order` (position in the block after sorting), and `cluster` when
    clusters were randomised (then the random number and order are the cluster's)."""
    check_units(units, spec)
    if spec.cluster is None:
        return _allocate(units[spec.unit].to_numpy(), _blocks(units, spec), spec, rng)
    clusters = units.groupby(spec.cluster, sort=False)
    for column in spec.block_by:
        varying = clusters[column].nunique() > 1
        if varying.any():
            raise InputError(MSG_CLUSTER_BLOCKS.format(cluster=varying.idxmax(), column=column))
    aggregated = clusters.agg(
        {
            **dict.fromkeys(spec.block_by, "first"),
            **({spec.median_split: "mean"} if spec.median_split else {}),
        }
    ).reset_index()
    allocation = _allocate(
        aggregated[spec.cluster].to_numpy(), _blocks(aggregated, spec), spec, rng
    )
    per_cluster = allocation.set_index("unit")
    out = per_cluster.loc[units[spec.cluster].to_numpy()].reset_index(names="cluster")
    out.insert(0, "unit", units[spec.unit].to_numpy())
    return out.loc[:, [*ALLOCATION_COLUMNS, "cluster"]]


def randomise_as_evaluated(schools: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The evaluation's design on a contract schools table: blocks LA × high/low % FSM."""
    return randomise(schools, EVALUATION_DESIGN, rng)


def check_units(units: pd.DataFrame, spec: RandomisationSpec) -> None:
    """InputError unless `units` has the columns `spec` needs, filled, with unique ids and a
    numeric median-split column."""
    needed = [spec.unit, *spec.block_by, *filter(None, [spec.median_split, spec.cluster])]
    for column in needed:
        if column not in units.columns:
            columns = ", ".join(map(str, units.columns))
            raise InputError(MSG_MISSING_COLUMN.format(column=column, columns=columns))
        blank = units[column].isna().to_numpy()
        if blank.any():
            first = int(np.flatnonzero(blank)[0]) + 1
            raise InputError(
                MSG_BLANK_VALUES.format(column=column, count=int(blank.sum()), row=first)
            )
    repeated = units[spec.unit].duplicated().to_numpy()
    if repeated.any():
        value = units[spec.unit].to_numpy()[repeated][0]
        raise InputError(MSG_DUPLICATE_UNITS.format(column=spec.unit, value=value))
    if spec.median_split:
        numbers = pd.to_numeric(units[spec.median_split], errors="coerce")
        bad = numbers.isna().to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            value = units[spec.median_split].to_numpy()[row]
            raise InputError(
                MSG_NOT_NUMERIC.format(column=spec.median_split, row=row + 1, value=value)
            )


def _blocks(units: pd.DataFrame, spec: RandomisationSpec) -> np.ndarray:
    parts = [units[column].astype(str) for column in spec.block_by]
    if spec.median_split:
        within = _join(parts, units.index)
        parts.append(median_split(pd.to_numeric(units[spec.median_split]), within))
    return _join(parts, units.index).to_numpy()


def _join(parts: list[pd.Series], index: pd.Index) -> pd.Series:
    if not parts:
        return pd.Series("all", index=index)
    return parts[0].str.cat(parts[1:], sep="-") if len(parts) > 1 else parts[0]


def draw_assignments(
    blocks: np.ndarray, spec: RandomisationSpec, rng: np.random.Generator, draws: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`draws` independent allocations by `spec`'s method at once, for re-randomisation.

    `blocks` holds each unit's block label. Returns boolean `treated`, the `random_number`s and
    each unit's 1-based `order` in its block, all of shape (draws, units). One draw consumes the
    generator exactly as `randomise` does, so both give the same allocation for the same seed.
    No Python loop: one row-wise sort of block code + random number puts every block's units in
    random order, contiguously, so each sorted position's order in its block is the same for
    every draw and is scattered back to the units in one step.
    """
    names, codes = np.unique(blocks, return_inverse=True)  # names sorted
    n, sizes = len(codes), np.bincount(codes, minlength=len(names))
    numbers = rng.random((draws, n))
    by_block = np.argsort(numbers + codes, axis=1, kind="stable")
    starts = np.cumsum(sizes) - sizes
    order = np.empty_like(by_block)
    order[np.arange(draws)[:, None], by_block] = np.arange(1, n + 1) - np.repeat(starts, sizes)
    if spec.method == "alternating":
        first = rng.integers(0, 2, (draws, len(names))).astype(bool)
        treated = first[:, codes] != (order & 1).astype(bool)  # (first + order - 1) % 2 == 0
    else:
        exact = sizes * spec.treatment_share
        extra = rng.random((draws, len(names))) < exact - np.floor(exact)
        n_treated = np.floor(exact).astype(int)[None, :] + extra
        treated = order <= n_treated[:, codes]
    return treated, numbers, order


def _allocate(
    ids: np.ndarray, blocks: np.ndarray, spec: RandomisationSpec, rng: np.random.Generator
) -> pd.DataFrame:
    if spec.method == "complete":
        blocks = np.full(len(ids), "all", dtype=object)
    treated, numbers, order = draw_assignments(blocks.astype(str), spec, rng, 1)
    return pd.DataFrame(
        {
            "unit": ids,
            "block": blocks,
            "arm": np.where(treated[0], Arm.TREATMENT.value, Arm.CONTROL.value),
            "random_number": numbers[0],
            "order": order[0].astype("int64"),
        }
    )
