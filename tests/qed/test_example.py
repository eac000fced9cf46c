"""The worked example reproduces every published figure of the Warwickshire evaluation, to the
rounding the case study uses, from DSL-level records."""

from __future__ import annotations

import pandas as pd
import pytest

from threshold.qed import implied_cost_per_call, run_example, warwickshire_records


@pytest.fixture(scope="module")
def example():
    return run_example()


def test_records_have_the_published_group_sizes() -> None:
    records = warwickshire_records()
    assert records["group"].value_counts().to_dict() == {"comparison": 984, "trained": 165}
    assert records["dsl_id"].is_unique
    assert (records["dsl_years"] == 1.0).all()
    assert round(165 / len(records) * 100) == 14  # "14 per cent"


def test_sixty_five_per_cent_fewer_contacts(example) -> None:
    _, results = example
    assert round(results.rate_ratio.reduction * 100) == 65
    assert results.rate_ratio.ci_high < 1  # "a significant … effect"


def test_five_and_twenty_one_per_cent_called(example) -> None:
    _, results = example
    trained, comparison = results.groups
    assert round(trained.share_any * 100) == 5
    assert round(comparison.share_any * 100) == 21
    assert round(comparison.share_any / trained.share_any) == 4  # "four times more likely"
    assert results.any_contact.ci_high < 0


def test_1398_fewer_calls_a_year(example) -> None:
    _, results = example
    assert results.savings is not None
    assert round(results.savings.calls_avoided) == 1398


def test_savings_over_370000_out_of_570000(example) -> None:
    _, results = example
    s = results.savings
    assert s is not None
    assert s.saving is not None
    assert s.baseline_cost is not None
    assert s.baseline_cost == pytest.approx(570_000)
    assert 370_000 < s.saving < 371_000
    assert s.cost_per_call == pytest.approx(implied_cost_per_call())
    assert round(s.cost_per_call, 2) == 265.15


def test_records_are_deterministic() -> None:
    pd.testing.assert_frame_equal(warwickshire_records(), warwickshire_records())
