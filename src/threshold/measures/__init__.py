"""Per-school, per-period outcome measures from front-door records (DuckDB)."""

from threshold.measures.outcomes import (
    FRONT_DOOR_MEASURES,
    MEASURE_COLUMNS,
    MISSING_NO_PUPILS,
    MISSING_ZERO_PUPILS,
    MeasureSpec,
    build_measures,
    period_label,
    school_year_window,
    school_years,
)

__all__ = [
    "FRONT_DOOR_MEASURES",
    "MEASURE_COLUMNS",
    "MISSING_NO_PUPILS",
    "MISSING_ZERO_PUPILS",
    "MeasureSpec",
    "build_measures",
    "period_label",
    "school_year_window",
    "school_years",
]
