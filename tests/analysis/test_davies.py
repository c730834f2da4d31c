from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from etr.analysis import davies_test, segment_regimes, synthetic_dataset
from etr.errors import InputError


def test_wald_statistic_matches_statsmodels_ols():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, 50)
    y = 0.5 * x + rng.normal(0, 0.2, 50)
    # with k=2 the evaluation points are the 10th and 90th percentiles
    m, _ = davies_test(x, y, k=2)
    t_values = []
    for psi in np.quantile(x, [0.1, 0.9]):
        fit = sm.OLS(y, np.column_stack([np.ones(50), x, np.maximum(x - psi, 0)])).fit()
        t_values.append(fit.tvalues[2])
    assert m == pytest.approx(max(abs(t) for t in t_values), rel=1e-10)


def test_detects_a_kink_and_respects_the_direction():
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 1, 60)
    y = x + 2.0 * np.maximum(x - 0.5, 0) + rng.normal(0, 0.15, 60)
    assert davies_test(x, y)[1] < 1e-3
    assert davies_test(x, y, alternative="greater")[1] < 1e-3
    assert davies_test(x, y, alternative="less")[1] > 0.5


def test_level_under_the_null_is_at_most_nominal():
    rng = np.random.default_rng(3)
    p = []
    for _ in range(300):
        x = rng.uniform(0, 1, 60)
        p.append(davies_test(x, 0.7 * x + rng.normal(0, 0.3, 60))[1])
    rate = np.mean(np.array(p) < 0.05)
    assert rate <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / 300)  # the bound is conservative
    assert np.mean(np.array(p) < 0.5) > 0.2  # but not useless


def test_segment_regimes_reports_davies_p():
    df = synthetic_dataset(n_architectures=150, configs=["pure_pqc", "hybrid_full"],
                           slopes={"pure_pqc": 2.0, "hybrid_full": 0.0}, breakpoint=0.6,
                           intercept_sd=0.1, seed=5)
    res = segment_regimes(df, x="expressibility_kl", y="grad_var", by="training_config",
                          n_boot=0, seed=0, transform_x="none")
    sel = res.selection.set_index("training_config")
    assert sel.loc["pure_pqc", "davies_p"].max() < 0.01  # the kinked configuration
    assert sel.loc["hybrid_full", "davies_p"].min() > 0.01  # no relationship at all
    assert (res.selection["davies_p"].between(0, 1)).all()


def test_bad_input():
    with pytest.raises(InputError, match="equal length"):
        davies_test([1, 2, 3], [1, 2, 3])
    with pytest.raises(InputError, match="`alternative`"):
        davies_test(np.arange(10.0), np.arange(10.0), alternative="both")
