"""Schools and local authorities: GIAS registers, DfE census and performance tables, links."""

from threshold.register.census import read_census, read_performance_tables
from threshold.register.gias import COLUMNS, read_register
from threshold.register.links import current_urns, read_former_names, read_links
from threshold.register.lookup import Register
from threshold.register.schools import school_table

__all__ = [
    "COLUMNS",
    "Register",
    "current_urns",
    "read_census",
    "read_former_names",
    "read_links",
    "read_performance_tables",
    "read_register",
    "school_table",
]
