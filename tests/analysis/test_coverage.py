"""Repeated-simulation checks: nominal 95% intervals cover the truth ~95% of the time."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from etr._rng import spawn_seeds
from etr.analysis import mixed_effects, rank_correlation, synthetic_dataset

REPS = 200
CONFIGS = ["pure_pqc", "hybrid_full"]
SLOPES = {"pure_pqc": 0.8, "hybrid_full": 0.0}


def _binomial_band(p: float, n: int) -> tuple[float, float]:
    """p +- 3 Monte-Carlo standard errors."""
    se = np.sqrt(p * (1 - p) / n)
    return p - 3 * se, p + 3 * se


@pytest.mark.slow
def test_ci_coverage_over_repeated_simulations():
    # population Spearman rho of pure_pqc, from one very large sample of the same model
    big = synthetic_dataset(n_architectures=20_000, configs=["pure_pqc"], slopes=SLOPES,
                            seed=12345)
    rho_true = stats.spearmanr(big["expressibility_kl"], big["grad_var"]).statistic
    hits = {"rho": 0, "slope_pure": 0, "slope_null": 0}
    type1 = 0
    for seed in spawn_seeds(2026, REPS):
        df = synthetic_dataset(n_architectures=60, configs=CONFIGS, slopes=SLOPES, seed=seed)
        rc = rank_correlation(df, x="expressibility_kl", y="grad_var", by="training_config",
                              n_boot=1000, seed=seed).set_index("training_config")
        hits["rho"] += rc.loc["pure_pqc", "ci_low"] < rho_true < rc.loc["pure_pqc", "ci_high"]
        type1 += rc.loc["hybrid_full", "p_value"] < 0.05
        me = mixed_effects(df, y="grad_var", x="expressibility_kl", transform_x="none",
                           lrt=False)
        sl = me.slopes.set_index("training_config")
        hits["slope_pure"] += sl.loc["pure_pqc", "ci_low"] < 0.8 < sl.loc["pure_pqc", "ci_high"]
        hits["slope_null"] += (sl.loc["hybrid_full", "ci_low"] < 0.0
                               < sl.loc["hybrid_full", "ci_high"])
    low, high = _binomial_band(0.95, REPS)
    for name, count in hits.items():
        assert low <= count / REPS <= high, (name, count / REPS)
    low, high = _binomial_band(0.05, REPS)
    assert low <= type1 / REPS <= high, type1 / REPS
