from .api import Allocate, World, synthesise, write_world
from .config import Effects, WorldConfig
from .dsl_calls import DSLCallWorld, dsl_call_world
from .messy import (
    HEADER_STYLES,
    MESSY_PROFILE,
    mangle_school_name,
    write_messy_exports,
    write_referral_extracts,
)
from .school_names import invent_former_names, repeat_mentions, school_mentions

__all__ = [
    "HEADER_STYLES",
    "MESSY_PROFILE",
    "Allocate",
    "DSLCallWorld",
    "Effects",
    "World",
    "WorldConfig",
    "dsl_call_world",
    "invent_former_names",
    "mangle_school_name",
    "repeat_mentions",
    "school_mentions",
    "synthesise",
    "write_messy_exports",
    "write_referral_extracts",
    "write_world",
]
