"""Schools and local authorities: reading a GIAS-style register."""

from threshold.register.gias import COLUMNS, read_register

__all__ = ["COLUMNS", "read_register"]
