"""Pooling trials: DerSimonian–Laird against its closed form written out here, REML at the
maximum of the restricted likelihood, homogeneous trials, degenerate inputs, results files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from threshold.analysis import analyse_table
from threshold.analysis.meta import Study, pool, studies_from_results
from threshold.model import InputError

Y = np.array([-0.31, 0.05, -0.52, -0.12, 0.20, -0.44, -0.09])
SE = np.array([0.11, 0.14, 0.20, 0.09, 0.17, 0.25, 0.12])


def studies() -> list[Study]:
    return [Study(f"Trial {i}", y, s, 100 + i) for i, (y, s) in enumerate(zip(Y, SE, strict=True))]


def test_dersimonian_laird_matches_its_closed_form():
    ours = pool(studies(), outcome="x", measure="coef", method="dl")
    w = 1 / SE**2
    fixed = (w * Y).sum() / w.sum()
    q = (w * (Y - fixed) ** 2).sum()
    tau2 = max(0.0, (q - 6) / (w.sum() - (w**2).sum() / w.sum()))
    wr = 1 / (SE**2 + tau2)
    mu = (wr * Y).sum() / wr.sum()
    assert ours.fixed.estimate == pytest.approx(fixed, rel=1e-13)
    assert ours.q == pytest.approx(q, rel=1e-13)
    assert ours.tau2 == pytest.approx(tau2, rel=1e-12)
    assert ours.random.estimate == pytest.approx(mu, rel=1e-12)
    assert ours.random.se == pytest.approx(wr.sum() ** -0.5, rel=1e-12)
    assert ours.i2 == pytest.approx((q - 6) / q, rel=1e-12)
    assert ours.q_p_value == pytest.approx(stats.chi2.sf(q, 6), rel=1e-12)
    assert sum(ours.weights_random) == pytest.approx(1.0)


def test_reml_is_the_maximum_of_the_restricted_likelihood():
    v = SE**2

    def minus_restricted(tau2: float) -> float:
        w = 1 / (v + tau2)
        mu = (w * Y).sum() / w.sum()
        return 0.5 * (np.log(v + tau2).sum() + np.log(w.sum()) + (w * (Y - mu) ** 2).sum())

    best = optimize.minimize_scalar(
        minus_restricted, bounds=(0, 5), method="bounded", options={"xatol": 1e-14}
    )
    ours = pool(studies(), outcome="x", measure="coef")
    assert ours.tau2 == pytest.approx(best.x, abs=1e-8)
    assert minus_restricted(ours.tau2) <= minus_restricted(best.x) + 1e-14


def test_homogeneous_trials_have_no_between_trial_variance():
    same = [Study(f"T{i}", 0.1 + 0.001 * i, 0.2) for i in range(6)]
    for method in ("reml", "dl"):
        result = pool(same, outcome="x", measure="coef", method=method)
        assert result.tau2 == 0.0
        assert result.i2 == 0.0
        assert result.random.estimate == pytest.approx(result.fixed.estimate, rel=1e-12)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ([Study("A", 0.1, 0.2)], "1 trial"),
        ([Study("A", 0.1, 0.2), Study("B", 0.3, 0.0)], "B: the standard error is 0.0"),
        ([Study("A", 0.1, 0.2), Study("B", float("nan"), 0.1)], "B: the estimate is nan"),
    ],
)
def test_degenerate_input_is_refused(given, message):
    with pytest.raises(InputError, match=message):
        pool(given, outcome="x", measure="coef")


def test_few_trials_are_flagged_in_the_notes():
    result = pool(studies()[:3], outcome="x", measure="coef")
    assert any("With 3 trials, τ² is estimated imprecisely" in n for n in result.notes)


def _trial(seed: int, effect: float, name: str) -> dict:
    rng = np.random.default_rng(seed)
    n = 90
    arm = np.where(np.arange(n) % 2 == 0, "T", "C")
    y = 2.0 + effect * (arm == "T") + rng.normal(size=n)
    table = pd.DataFrame({"arm": arm, "y": y})
    result = analyse_table(table, arm="arm", treatment="T", outcome="y", software="t", source=name)
    data = result.to_dict()
    data["protocol"]["sha256"] = f"{seed:064d}"
    return data


def test_studies_come_from_results_files_as_glass_delta():
    files = [_trial(1, -0.3, "a.csv"), _trial(2, -0.1, "b.csv")]
    outcome, found = studies_from_results(files, sources=["a.json", "b.json"], labels=("A", "B"))
    assert outcome == "y"
    primary = files[0]["estimates"][0]
    assert found[0].label == "A"
    assert found[0].estimate == primary["glass_delta"]
    assert found[0].se == pytest.approx(primary["se"] / primary["specification"]["control_sd"])
    assert found[0].n == 90


def test_the_same_trial_twice_is_refused():
    one = _trial(1, -0.3, "a.csv")
    with pytest.raises(InputError, match=r"a\.json and b\.json are the same trial"):
        studies_from_results([one, one], sources=["a.json", "b.json"])


def test_different_primary_outcomes_need_to_be_named():
    other = _trial(2, -0.1, "b.csv")
    other["estimates"][0]["outcome"] = "z"
    with pytest.raises(InputError, match=r"primary outcomes differ \(y, z\).*--outcome"):
        studies_from_results([_trial(1, -0.3, "a.csv"), other], sources=["a.json", "b.json"])
    with pytest.raises(InputError, match=r"a\.json: no primary estimate of .z."):
        studies_from_results(
            [_trial(1, -0.3, "a.csv"), other], sources=["a.json", "b.json"], outcome="z"
        )
