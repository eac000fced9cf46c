"""A synthetic world of fictional LAs and schools, calibrated to the evaluation, for demos,
tests and benchmarks."""

from threshold.synth.api import Allocate, World, synthesise, write_world
from threshold.synth.config import Effects, WorldConfig
from threshold.synth.dsl_calls import DSLCallWorld, dsl_call_world
from threshold.synth.messy import (
    MESSY_PROFILE,
    mangle_school_name,
    write_messy_exports,
    write_referral_extracts,
)

__all__ = [
    "MESSY_PROFILE",
    "Allocate",
    "DSLCallWorld",
    "Effects",
    "World",
    "WorldConfig",
    "dsl_call_world",
    "mangle_school_name",
    "synthesise",
    "write_messy_exports",
    "write_referral_extracts",
    "write_world",
]
