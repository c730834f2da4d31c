"""Circuit values and their noise against independent implementations (statsmodels OLS,
pingouin's intraclass correlation)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
import statsmodels.formula.api as smf

from etr.analysis._circuits import _additive, circuit_cells, normal_scores


def _table(rng: np.random.Generator, g: int, j: int, keep: float) -> np.ndarray:
    a = rng.normal(size=g)[:, None]
    b = rng.normal(0, 0.7, size=j)[None, :]
    t = a + b + rng.normal(0, 0.8, size=(g, j))
    mask = rng.uniform(size=(g, j)) < keep
    mask[np.arange(g), np.arange(g) % j] = True   # every circuit on some instance
    mask[:, 0] |= ~mask.any(axis=1)
    mask[0, :] = True                               # one circuit on every instance: connected
    return np.where(mask, t, np.nan)


@pytest.mark.parametrize("keep", [1.0, 0.6])
def test_circuit_effects_and_their_noise_equal_ols(keep):
    rng = np.random.default_rng(3)
    table = _table(rng, 9, 5, keep)
    fit = _additive(table)
    k, j = np.nonzero(np.isfinite(table))
    df = pd.DataFrame({"y": table[k, j], "c": k.astype(str), "i": j.astype(str)})
    ols = smf.ols("y ~ 0 + C(c) + C(i)", df).fit()
    names = [f"C(c)[{c}]" for c in range(9)]
    effects = ols.params[names].to_numpy()
    # circuit effects are identified up to one constant
    np.testing.assert_allclose(fit.a - fit.a.mean(), effects - effects.mean(), atol=1e-10)
    assert fit.df == int(ols.df_resid)
    np.testing.assert_allclose(fit.pooled, ols.scale, rtol=1e-10)
    # Var(a_k - a_l) / sigma^2 = 1/m_k + 1/m_l + (c_k - c_l)' C^+ (c_k - c_l)
    cov = ols.cov_params().loc[names, names].to_numpy() / ols.scale
    m = np.isfinite(table).sum(axis=1)
    want = np.diag(cov)[:, None] + np.diag(cov)[None, :] - 2 * cov
    got = 1.0 / m[:, None] + 1.0 / m[None, :] + fit.quad
    np.fill_diagonal(got, 0.0)
    np.testing.assert_allclose(got, want, atol=1e-9)
    # per-circuit residual variances are unbiased per cell: their leverage-weighted mean is the
    # pooled estimate in a complete design
    if keep == 1.0:
        np.testing.assert_allclose(fit.sigma2.mean(), ols.scale, rtol=1e-10)


def test_reliability_of_a_complete_design_is_pingouins_consistency_icc_of_k_raters():
    # circuits = targets, instances = raters: the reliability of the circuit means with the
    # instances' main effects removed is the consistency ICC of the average of k raters
    rng = np.random.default_rng(5)
    g, j = 14, 4
    table = _table(rng, g, j, 1.0)
    k, i = np.nonzero(np.isfinite(table))
    frame = pd.DataFrame({"_t": table[k, i], "_x": k.astype(float), "_xr": k.astype(float),
                          "_xq": 0.0, "_c": k, "_i": i.astype(str)})
    cells, _ = circuit_cells(frame, np.full(len(frame), "s", dtype=object))
    c = cells["s"]
    ks = (0.5 * (c.y[:, None] - c.y[None, :]) ** 2).sum()
    kn = c.noise.sum()
    icc = pg.intraclass_corr(pd.DataFrame({"t": k, "r": i, "y": table[k, i]}), targets="t",
                             raters="r", ratings="y").set_index("Type").loc["ICC(C,k)", "ICC"]
    assert 1.0 - kn / ks == pytest.approx(icc, abs=1e-10)


def test_disconnected_instances_fall_back_to_circuit_means():
    # circuits 0-1 only on instance 0, circuits 2-3 only on instance 1: instance effects cannot
    # be told from circuit effects, so they stay in the noise
    table = np.array([[1.0, np.nan], [2.0, np.nan], [np.nan, 3.0], [np.nan, 5.0]])
    fit = _additive(table)
    np.testing.assert_allclose(fit.a, [1.0, 2.0, 3.0, 5.0])
    assert fit.df == 0 and np.isnan(fit.pooled)


def test_normal_scores_are_blom_with_mid_ranks():
    from scipy import stats
    z = normal_scores(np.array([5.0, 1.0, 1.0, 3.0]))
    ranks = np.array([4.0, 1.5, 1.5, 3.0])
    np.testing.assert_allclose(z, stats.norm.ppf((ranks - 0.375) / 4.25))
    np.testing.assert_allclose(normal_scores(np.arange(5.0)),
                               -normal_scores(-np.arange(5.0)), atol=1e-12)
