"""Statistical building blocks shared by the estimators of `trial`, `analysis` and `qed`."""

from threshold.stats.sandwich import (
    MSG_TOO_FEW_CLUSTERS,
    Fit,
    cluster_codes,
    sandwich,
    stata_factor,
)

__all__ = ["MSG_TOO_FEW_CLUSTERS", "Fit", "cluster_codes", "sandwich", "stata_factor"]
