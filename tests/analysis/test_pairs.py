"""The pair-kernel engine against brute force, scipy and closed forms."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from etr.analysis import _pairs as kp


def _brute(x, y, s, c, counts):
    """num, X2, Y2 by looping over the expanded sample (copies of a circuit never pair)."""
    rows = [(x[i], y[i], s[i], c[i], rep) for k in range(len(counts))
            for rep in range(int(counts[k])) for i in np.flatnonzero(c == k)]
    num = x2 = y2 = 0.0
    for (xi, yi, si, ci, _), (xj, yj, sj, cj, _) in itertools.product(rows, rows):
        if si != sj or ci == cj:
            continue
        sx, sy = np.sign(xi - xj), np.sign(yi - yj)
        num += sx * sy
        x2 += abs(sx)
        y2 += abs(sy)
    return num, x2, y2


@pytest.mark.parametrize("trial", range(8))
def test_quadratic_sums_equal_brute_force_with_ties_and_strata(trial):
    rng = np.random.default_rng(trial)
    g = 7
    c = rng.integers(0, g, 36)
    x = rng.integers(0, 4, g).astype(float)[c]  # ties between circuits
    y = rng.integers(0, 5, 36).astype(float)    # ties in y
    s = c % 3 if trial % 2 else rng.integers(0, 2, 36)  # circuits spanning strata too
    strata = list(kp.build(x, y, s, c).values())
    counts = rng.integers(0, 3, g)
    got = [float(v[0]) for v in kp.quadratic_sums(strata, counts[None, :])]
    np.testing.assert_allclose(got, _brute(x, y, s, c, counts))
    tot = kp.totals(strata)
    np.testing.assert_allclose([tot.num, tot.x2, tot.y2], _brute(x, y, s, c, np.ones(g)))


def test_one_run_per_circuit_is_scipy_kendall_tau_b():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 6, 40).astype(float)
    y = np.round(x + rng.normal(0, 2, 40))
    strata = list(kp.build(x, y, np.zeros(40, int), np.arange(40)).values())
    assert kp.totals(strata).tau == pytest.approx(stats.kendalltau(x, y).statistic, abs=1e-12)


def test_null_variance_is_kendalls_permutation_variance():
    for n in (3, 5, 12):
        x = np.arange(n, dtype=float)
        y = np.random.default_rng(n).permutation(n).astype(float)
        st = next(iter(kp.build(x, y, np.zeros(n, int), np.arange(n)).values()))
        var_tau = kp.null_variance(st) / (n * (n - 1)) ** 2
        assert var_tau == pytest.approx(2 * (2 * n + 5) / (9 * n * (n - 1)))
        # and the exact permutation variance of tau, by enumeration for small n
        if n <= 5:
            taus = [stats.kendalltau(x, p).statistic for p in itertools.permutations(y)]
            assert var_tau == pytest.approx(np.var(taus))


def test_ustat_variance_is_unbiased():
    # Monte Carlo: the mean of the estimator matches the variance of the sum it estimates
    rng = np.random.default_rng(3)
    n, reps = 9, 4000
    sums, estimates = [], []
    for _ in range(reps):
        v = rng.normal(size=n)
        h = np.abs(v[:, None] - v[None, :]) + (v[:, None] * v[None, :])  # symmetric kernel
        np.fill_diagonal(h, 0.0)
        sums.append(h.sum())
        estimates.append(kp.ustat_variance(h))
    se = np.std(estimates) / np.sqrt(reps)
    assert np.mean(estimates) == pytest.approx(np.var(sums, ddof=1), abs=4 * se + 0.03 *
                                               np.var(sums))


def test_greiner_transform():
    assert kp.to_r(0.0) == 0.0
    assert kp.to_r(1.0) == pytest.approx(1.0)
    # Gaussian copula: tau = 2/pi arcsin(r)
    assert kp.to_r(2 / np.pi * np.arcsin(0.3)) == pytest.approx(0.3)
    assert kp.dr_dtau(0.0) == pytest.approx(np.pi / 2)


def test_jackknife_variance_is_the_delete_one_jackknife_of_the_pair_mean():
    rng = np.random.default_rng(5)
    n = 7
    h = rng.normal(size=(n, n))
    np.fill_diagonal(h, 0.0)
    means = []
    for i in range(n):
        keep = np.delete(np.arange(n), i)
        sub = h[np.ix_(keep, keep)]
        means.append(sub.sum() / ((n - 1) * (n - 2)))
    means = np.array(means)
    brute = (n - 1) / n * ((means - means.mean()) ** 2).sum() * (n * (n - 1)) ** 2
    assert kp.jackknife_variance(h) == pytest.approx(brute)
    assert kp.jackknife_variance(h[:2, :2]) == 0.0


def test_guarded_variance_keeps_a_plausible_unbiased_estimate_and_replaces_a_vanishing_one():
    rng = np.random.default_rng(6)
    v = rng.normal(size=30)
    h = np.abs(v[:, None] - v[None, :]) + v[:, None] * v[None, :]
    np.fill_diagonal(h, 0.0)
    assert kp.guarded_variance([h]) == pytest.approx(kp.ustat_variance(h))  # many clusters
    # five clusters, where the unbiased estimator comes out negative
    w = np.random.default_rng(2).normal(size=5)
    small = np.abs(w[:, None] - w[None, :]) + w[:, None] * w[None, :]
    np.fill_diagonal(small, 0.0)
    assert kp.ustat_variance(small) < 0 < kp.jackknife_variance(small)
    assert kp.guarded_variance([small]) == pytest.approx(kp.jackknife_variance(small))
    # summed with a block whose estimate it would cancel, the guard still holds
    blocks = [small, h[:5, :5]]
    assert kp.guarded_variance(blocks) >= kp.JACKKNIFE_GUARD * sum(
        kp.jackknife_variance(b) for b in blocks)


@pytest.mark.parametrize(("g", "n"), [(6, 40), (300, 900)])  # summed per cell / sparse product
def test_sign_sums_equal_brute_force(g, n):
    assert (g * n >= kp._SPARSE_MIN_WORK) == (g == 300)
    rng = np.random.default_rng(g)
    cell = rng.integers(0, g - 1, n)  # the last cell holds no row
    y = np.round(rng.normal(size=n), 1)  # many ties
    s = np.sign(y[:, None] - y[None, :])
    want_d, want_e = np.zeros((g, g)), np.zeros((g, g))
    np.add.at(want_d, (cell[:, None], cell[None, :]), s)
    np.add.at(want_e, (cell[:, None], cell[None, :]), (s == 0).astype(float))
    d, e = kp._sign_sums(y, cell, g)
    np.testing.assert_array_equal(d, want_d)
    np.testing.assert_array_equal(e, want_e)
