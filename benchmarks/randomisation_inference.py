"""Randomisation inference speed: 10,000 re-randomisations of the primary model, 308 schools.

Measures `randomisation_test` (the trial's own blocked procedure, every draw's coefficient from
matrix products) and, in the same run, refitting a statsmodels OLS per draw (on a sample of
draws, extrapolated). Target (issue 17): at least 30x faster than the refit. Both are timed
best of `--repeat`, in wall and CPU seconds (CPU is steadier on a shared machine).

    .venv/bin/python benchmarks/randomisation_inference.py [--draws N] [--statsmodels-sample N]
"""

from __future__ import annotations

import argparse
import time
import tomllib
import warnings

import numpy as np
import statsmodels.api as sm

from threshold.analysis import assemble, itt_design, randomisation_test
from threshold.synth import WorldConfig, synthesise
from threshold.trial import (
    EVALUATION_DESIGN,
    draw_assignments,
    parse_protocol,
    randomise_as_evaluated,
    template,
)

TARGET_RATIO = 30


def best_of(repeat: int, run) -> tuple[float, float]:
    """The least wall and CPU seconds of `repeat` calls of `run`."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--statsmodels-sample", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    world = synthesise(WorldConfig(seed=1), randomise_as_evaluated)
    data = assemble(world.tables, parse_protocol(tomllib.loads(template())))

    result = randomisation_test(data, "nfa_contacts", EVALUATION_DESIGN, draws=args.draws, seed=3)
    batched = best_of(
        args.repeat,
        lambda: randomisation_test(
            data, "nfa_contacts", EVALUATION_DESIGN, draws=args.draws, seed=3
        ),
    )

    units, outcome = data.units, data.outcomes["nfa_contacts"]
    sample = ~units["withdrawn"] & outcome["y"].notna()
    design = itt_design(units.loc[sample], outcome.loc[sample, "baseline"], ())
    covariates = sm.add_constant(design.drop(columns="treated").to_numpy())
    y = outcome.loc[sample, "y"].to_numpy()
    blocks = units.loc[sample, "block"].astype(str).to_numpy()
    rng = np.random.default_rng(4)
    treated, _, _ = draw_assignments(blocks, EVALUATION_DESIGN, rng, args.statsmodels_sample)

    def refit() -> None:
        with warnings.catch_warnings():  # statsmodels warns about the spanned missing dummy
            warnings.simplefilter("ignore")
            for draw in treated:
                sm.OLS(y, np.column_stack([draw.astype(float), covariates])).fit()

    scale = args.draws / args.statsmodels_sample
    refits = tuple(seconds * scale for seconds in best_of(args.repeat, refit))

    print(f"schools analysed: {int(sample.sum())}; draws: {args.draws:,}; p = {result.p_value:.4f}")
    print(f"randomisation inference: {batched[0]:.3f} s wall, {batched[1]:.3f} s CPU")
    print(
        f"statsmodels refit per draw: {refits[0] / args.draws * 1000:.2f} ms -> "
        f"{refits[0]:.1f} s wall, {refits[1]:.1f} s CPU for {args.draws:,}"
    )
    print(
        f"ratio: {refits[0] / batched[0]:.0f}x faster (wall), {refits[1] / batched[1]:.0f}x (CPU); "
        f"target >= {TARGET_RATIO}x"
    )


if __name__ == "__main__":
    main()
