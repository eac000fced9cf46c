"""Synthetic worlds shared by the synth tests, built once per session."""

from __future__ import annotations

import pytest

from threshold.synth import World, WorldConfig, synthesise
from threshold.trial import randomise_as_evaluated

CALIBRATION_SEEDS = (11, 12, 13, 14)


@pytest.fixture(scope="session")
def worlds() -> list[World]:
    return [
        synthesise(WorldConfig(seed=seed), randomise_as_evaluated) for seed in CALIBRATION_SEEDS
    ]
