"""Cost per contact avoided: defined only for a reduction whose CI excludes zero; the effect's
CI carried into the ratio's CI."""

from __future__ import annotations

import pytest

from threshold.costs import (
    REASON_CI_INCLUDES_ZERO,
    REASON_DEFINED,
    REASON_HARMFUL,
    ContactEffect,
    cost_per_contact_avoided,
    summarise_costs,
)
from threshold.costs.api import MSG_BAD_EFFECT
from threshold.model import InputError


def test_defined_with_ci_from_the_effects_ci():
    result = cost_per_contact_avoided(2_575.0, ContactEffect(-5.0, -8.0, -2.0), schools=4)
    assert result.defined
    assert result.reason == REASON_DEFINED
    assert result.value == pytest.approx(515.0)
    # total cost / (avoided per school × schools) is the same ratio
    assert result.value == pytest.approx(2_575 * 4 / (5 * 4))
    assert (result.ci_low, result.ci_high) == pytest.approx((2_575 / 8, 2_575 / 2))
    assert result.contacts_avoided_per_school == 5.0


@pytest.mark.parametrize(
    ("effect", "reason"),
    [
        (ContactEffect(0.5, -1.0, 2.0), REASON_HARMFUL),
        (ContactEffect(0.0, -1.0, 1.0), REASON_HARMFUL),
        (ContactEffect(1.0, 0.5, 1.5), REASON_HARMFUL),
        (ContactEffect(-1.0, -3.0, 0.5), REASON_CI_INCLUDES_ZERO),
        (ContactEffect(-1.0, -3.0, 0.0), REASON_CI_INCLUDES_ZERO),
    ],
)
def test_not_defined_says_why(effect, reason):
    result = cost_per_contact_avoided(2_575.0, effect, schools=4)
    assert not result.defined
    assert result.reason == reason
    assert reason.startswith("not defined")
    assert (result.value, result.ci_low, result.ci_high) == (None, None, None)


@pytest.mark.parametrize(
    ("estimate", "low", "high"),
    [(-1.0, -0.5, 0.5), (-1.0, 0.0, -2.0), (float("nan"), -1.0, 1.0), (-1.0, float("-inf"), 0.0)],
)
def test_effect_with_an_impossible_ci_is_refused(estimate, low, high):
    with pytest.raises(InputError) as error:
        ContactEffect(estimate, low, high)
    assert str(error.value) == MSG_BAD_EFFECT.format(low=low, high=high, estimate=estimate)


def test_summary_uses_the_pooled_cost_per_school(world):
    summary = summarise_costs(
        world["costs"],
        world["allocations"],
        world["schools"],
        effect=ContactEffect(-5.0, -8.0, -2.0),
    )
    result = summary.per_contact_avoided
    assert result.value == pytest.approx(2_575 / 5)
    assert result.schools == 4
    tidy = summary.tidy().set_index("measure")["value"]
    assert tidy["cost_per_contact_avoided"] == pytest.approx(515)
    assert summary.to_dict()["per_contact_avoided"]["defined"] is True
