"""DSL-level records of non-urgent calls with a known training effect, for quasi-experimental
comparisons (`threshold.qed`).

Each DSL has a school size (hundreds of pupils) and a primary/secondary phase, a gamma frailty
with mean 1 (shape `frailty_shape`; larger is closer to Poisson) and a rate per DSL-year
`base_rate × exp(size_effect × (size − mean size)) × frailty`. Calls in the earlier period are
Poisson at that rate; calls in the later period are Poisson at that rate times `rate_ratio` for
trained DSLs. Training is taken up with log-odds rising by `selection` per standard deviation of
school size, so `selection ≠ 0` confounds the unadjusted comparison through size; exactly
`n_trained` DSLs are trained (the most likely under that model, with Gumbel noise).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

DSL_COLUMNS = (
    "dsl_id",
    "group",
    "pupils_hundreds",
    "primary",
    "earlier_calls",
    "earlier_years",
    "calls",
    "dsl_years",
)


@dataclass(frozen=True)
class DSLCallWorld:
    """The settings a world was drawn with (its truth) and its records."""

    seed: int
    n_trained: int
    n_comparison: int
    base_rate: float
    rate_ratio: float
    frailty_shape: float
    size_effect: float
    selection: float
    records: pd.DataFrame

    def truth(self) -> dict[str, float | int]:
        """The settings without the records."""
        return {k: v for k, v in asdict(self).items() if k != "records"}


def dsl_call_world(
    seed: int,
    *,
    n_trained: int = 165,
    n_comparison: int = 984,
    base_rate: float = 1.87,
    rate_ratio: float = 0.35,
    frailty_shape: float = 0.5,
    size_effect: float = 0.1,
    selection: float = 0.0,
    years: float = 1.0,
) -> DSLCallWorld:
    """Draw one world; the same seed gives the same records."""
    rng = np.random.default_rng(seed)
    n = n_trained + n_comparison
    size = rng.gamma(4.0, 1.0, n) + 1.0
    primary = (rng.random(n) < 0.8).astype(int)
    z = (size - size.mean()) / size.std()
    propensity = selection * z + rng.gumbel(size=n)
    trained = np.zeros(n, dtype=bool)
    trained[np.argsort(-propensity)[:n_trained]] = True
    rate = base_rate * np.exp(size_effect * (size - size.mean()))
    rate = rate * rng.gamma(frailty_shape, 1 / frailty_shape, n)
    earlier = rng.poisson(rate * years)
    later = rng.poisson(rate * years * np.where(trained, rate_ratio, 1.0))
    records = pd.DataFrame(
        {
            "dsl_id": [f"D{i:05d}" for i in range(1, n + 1)],
            "group": np.where(trained, "trained", "comparison"),
            "pupils_hundreds": size.round(2),
            "primary": primary,
            "earlier_calls": earlier,
            "earlier_years": years,
            "calls": later,
            "dsl_years": years,
        },
        columns=list(DSL_COLUMNS),
    )
    return DSLCallWorld(
        seed, n_trained, n_comparison, base_rate, rate_ratio, frailty_shape, size_effect,
        selection, records,
    )  # fmt: skip
