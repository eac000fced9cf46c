"""Per-school, per-period outcome measures from front-door records (DuckDB)."""

from threshold.measures.outcomes import (
    FRONT_DOOR_MEASURES,
    MEASURE_COLUMNS,
    MeasureSpec,
    build_measures,
    school_years,
)

__all__ = [
    "FRONT_DOOR_MEASURES",
    "MEASURE_COLUMNS",
    "MeasureSpec",
    "build_measures",
    "school_years",
]
