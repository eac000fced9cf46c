"""Randomisation inference: each draw's coefficient equals a refit, and the p-value behaves."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

from threshold.analysis.data import AnalysisData, assemble
from threshold.analysis.impact import estimate_itt
from threshold.analysis.inference import randomisation_test
from threshold.model.errors import InputError
from threshold.synth import Effects, WorldConfig, synthesise
from threshold.trial import EVALUATION_DESIGN, draw_assignments, randomise_as_evaluated
from threshold.trial.protocol import parse_protocol, template


def _data(**effects: float) -> AnalysisData:
    world = synthesise(WorldConfig(seed=41, effects=Effects(**effects)), randomise_as_evaluated)
    return assemble(world.tables, parse_protocol(tomllib.loads(template())))


@pytest.fixture(scope="module")
def data() -> AnalysisData:
    return _data()


def test_observed_coefficient_is_the_itt_estimate_and_draws_respect_blocks(data):
    result = randomisation_test(data, "nfa_contacts", EVALUATION_DESIGN, draws=500, seed=2)
    assert result.coef == pytest.approx(estimate_itt(data, "nfa_contacts").coef, rel=1e-9)
    assert 0 < result.p_value <= 1
    again = randomisation_test(data, "nfa_contacts", EVALUATION_DESIGN, draws=500, seed=2)
    assert again == result


def test_a_draws_coefficient_equals_refitting_the_model_on_that_allocation(data):
    units = data.units
    sample = ~units["withdrawn"] & data.outcomes["nfa_contacts"]["y"].notna()
    blocks = units.loc[sample, "block"].astype(str).to_numpy()
    treated, _, _ = draw_assignments(blocks, EVALUATION_DESIGN, np.random.default_rng(7), 3)
    for draw in treated:
        moved = units.copy()
        moved.loc[sample, "treated"] = draw.astype(float)
        refit = estimate_itt(AnalysisData(moved, data.outcomes), "nfa_contacts").coef
        shifted = AnalysisData(moved, data.outcomes)
        assert randomisation_test(
            shifted, "nfa_contacts", EVALUATION_DESIGN, draws=100
        ).coef == pytest.approx(refit, rel=1e-9)


def test_a_strong_true_effect_gives_a_small_randomisation_p_value():
    strong = randomisation_test(
        _data(nfa_contacts=0.05), "nfa_contacts", EVALUATION_DESIGN, draws=2000
    )
    assert strong.p_value < 0.01


def test_too_few_draws_is_refused(data):
    with pytest.raises(InputError, match="draws=10 must be at least 100"):
        randomisation_test(data, "nfa_contacts", EVALUATION_DESIGN, draws=10)
