"""Design diagnosis speed: K = 2,000 simulated trials of 308 schools with the primary regression.

Target (issue 3): under 10 s on the 2-core machine. Prints the batched time and, measured in the
same run, the time of fitting one statsmodels OLS (HC1) per replicate, extrapolated to K.

    .venv/bin/python benchmarks/diagnosis.py [--replicates 2000] [--statsmodels-sample 200]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import statsmodels.api as sm

from threshold.synth import WorldConfig, synthesise
from threshold.trial import EVALUATION_DESIGN, diagnose, draw_assignments, randomise_as_evaluated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replicates", type=int, default=2000)
    parser.add_argument("--statsmodels-sample", type=int, default=200)
    args = parser.parse_args()

    schools = synthesise(WorldConfig(seed=1), randomise_as_evaluated).tables["schools"]
    rng = np.random.default_rng(7)
    schools = schools.assign(
        outcome=rng.gamma(0.6, 0.01, len(schools)),
        baseline=lambda f: np.where(
            rng.random(len(f)) < 0.25, np.nan, f["outcome"] * rng.uniform(0.5, 1.5, len(f))
        ),
    )

    started = time.perf_counter()
    result = diagnose(
        schools,
        EVALUATION_DESIGN,
        effect_sd=0.2,
        rng=np.random.default_rng(1),
        replicates=args.replicates,
        outcome="outcome",
        baseline="baseline",
    )
    batched = time.perf_counter() - started

    blocks = pd.Series(
        randomise_as_evaluated(schools, np.random.default_rng(0))["block"]
    ).to_numpy()
    base = schools["baseline"].to_numpy()
    missing = np.isnan(base).astype(float)
    dummies = pd.get_dummies(blocks, drop_first=True, dtype=float).to_numpy()
    covariates = np.column_stack([np.ones(len(schools)), np.nan_to_num(base), missing, dummies])
    treated, _, _ = draw_assignments(
        blocks, EVALUATION_DESIGN, np.random.default_rng(2), args.statsmodels_sample
    )
    started = time.perf_counter()
    for row in treated:
        design = np.column_stack([row.astype(float), covariates])
        sm.OLS(schools["outcome"].to_numpy() + 0.002 * row, design).fit(cov_type="HC1")
    per_fit = (time.perf_counter() - started) / args.statsmodels_sample
    one_by_one = per_fit * args.replicates

    print(f"replicates: {args.replicates:,}; schools: {len(schools)}; blocks: {len(set(blocks))}")
    print(
        f"batched diagnosis (randomise, fit with, without effect): {batched:.3f} s (target < 10 s)"
    )
    print(
        f"statsmodels, one OLS+HC1 fit per replicate: {per_fit * 1000:.2f} ms/fit -> "
        f"{one_by_one:.1f} s for {args.replicates:,} (measured on {args.statsmodels_sample})"
    )
    print(f"speed-up: {one_by_one / batched:.0f}x")
    print(
        f"power {result.power:.3f}, type I error {result.type_i_error:.3f}, "
        f"coverage {result.coverage:.3f}, bias {result.bias:+.2e}"
    )


if __name__ == "__main__":
    main()
