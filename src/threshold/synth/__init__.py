"""A synthetic world of fictional LAs and schools, calibrated to the evaluation, for demos,
tests and benchmarks."""

from threshold.synth.api import Allocate, World, synthesise, write_world
from threshold.synth.config import Effects, WorldConfig
from threshold.synth.messy import MESSY_PROFILE, mangle_school_name, write_messy_exports

__all__ = [
    "MESSY_PROFILE",
    "Allocate",
    "Effects",
    "World",
    "WorldConfig",
    "mangle_school_name",
    "synthesise",
    "write_messy_exports",
    "write_world",
]
