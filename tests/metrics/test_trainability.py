from __future__ import annotations

import numpy as np
import pytest

from etr.errors import DegenerateDataWarning, InputError
from etr.metrics.trainability import (
    effective_dimension,
    fisher_information,
    grad_norm,
    grad_var,
    grad_var_landscape,
    grad_var_readout,
    grad_var_train,
    loss_decrease,
    steps_to_target,
)


def test_gradient_statistics_match_direct_formulas():
    rng = np.random.default_rng(0)
    g = rng.normal(size=(6, 5, 3))  # T, K, P
    expected_var = np.mean([[np.var(g[t, :, k], ddof=1) for k in range(3)] for t in range(6)])
    assert grad_var_train(g) == pytest.approx(expected_var)
    assert grad_var(g[0]) == pytest.approx(np.mean([np.var(g[0, :, k], ddof=1)
                                                    for k in range(3)]))
    rms = [[np.sqrt(np.sum(g[t, i] ** 2) / 3) for i in range(5)] for t in range(6)]
    assert grad_norm(g) == pytest.approx(np.mean(rms))
    assert loss_decrease([2.0, 1.0], [1.0, 1.0]) == pytest.approx(0.25)


def test_gradient_statistics_reject_bad_shapes():
    with pytest.raises(InputError, match="`grads`"):
        grad_var(np.ones((1, 3)))
    with pytest.raises(InputError, match="`grads`"):
        grad_var_train(np.ones((4, 3)))
    with pytest.raises(InputError, match="`initial`"):
        loss_decrease([1.0], [1.0, 2.0])


def _kappa(n):
    return n / (2 * np.pi * np.log(n))


def test_effective_dimension_constant_unit_fisher_exact_and_tends_to_one():
    for n in (100, 1000, 10**6):
        k = _kappa(n)
        assert effective_dimension(np.ones((3, 1, 1)), n_data=n) == pytest.approx(
            np.log1p(k) / np.log(k), rel=1e-12)
    values = [effective_dimension(np.ones((3, 1, 1)), n_data=n) for n in (10**3, 10**6, 10**12)]
    assert values[0] > values[1] > values[2] > 1.0
    assert values[2] == pytest.approx(1.0, abs=2e-10)


def test_effective_dimension_rank_deficient_tends_to_rank_fraction():
    fisher = np.array([[[1.0, 0.0], [0.0, 0.0]]])  # one of two directions informative
    n = 10**12
    k = _kappa(n)
    expected = 0.5 * np.log1p(2 * k) / np.log(k)  # F_hat = diag(2, 0)
    got = effective_dimension(fisher, n_data=n)
    assert got == pytest.approx(expected, rel=1e-12)
    assert got == pytest.approx(0.5, abs=0.02)


def test_effective_dimension_matches_naive_average_of_sqrt_det():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(5, 3, 3))
    fisher = a @ a.transpose(0, 2, 1)
    n = 200
    k = _kappa(n)
    f_hat = 3 * fisher / np.mean(np.trace(fisher, axis1=1, axis2=2))
    integral = np.mean([np.sqrt(np.linalg.det(np.eye(3) + k * f)) for f in f_hat])
    expected = 2 * np.log(integral) / np.log(k)
    assert effective_dimension(fisher, n_data=n, normalise=False) == pytest.approx(expected)
    # invariant under a global rescaling of the Fisher information
    assert effective_dimension(7.0 * fisher, n_data=n) == pytest.approx(expected / 3)


def test_effective_dimension_degenerate_and_bad_input():
    with pytest.warns(DegenerateDataWarning):
        assert np.isnan(effective_dimension(np.zeros((2, 2, 2)), n_data=100))
    with pytest.raises(InputError, match="`n_data`"):
        effective_dimension(np.ones((1, 1, 1)), n_data=10)
    with pytest.raises(InputError, match="`fisher`"):
        effective_dimension(np.ones((2, 3)), n_data=100)


def test_fisher_information_single_qubit_ry_is_one():
    theta = np.linspace(0.1, 3.0, 7)
    p = np.stack([np.cos(theta / 2) ** 2, np.sin(theta / 2) ** 2], axis=1)[:, None, :]
    dp = np.stack([-np.sin(theta) / 2, np.sin(theta) / 2], axis=1)[:, None, :, None]
    np.testing.assert_allclose(fisher_information(p, dp)[:, 0, 0], 1.0, rtol=1e-12)


def test_early_window_uses_only_the_leading_steps():
    rng = np.random.default_rng(2)
    g = rng.normal(size=(8, 4, 3))
    g[3:] *= 100.0  # late steps would dominate an average over the trajectory
    assert grad_var_train(g, window=3) == pytest.approx(grad_var_train(g[:3]))
    assert grad_norm(g, window=3) == pytest.approx(grad_norm(g[:3]))
    assert grad_var_train(g, window=50) == pytest.approx(grad_var_train(g))  # clipped to T
    with pytest.raises(InputError, match="`window`"):
        grad_norm(g, window=0)


def test_landscape_variance_is_the_mean_within_set_variance():
    rng = np.random.default_rng(3)
    g = rng.normal(size=(3, 7, 2)) * np.array([1.0, 2.0])
    expected = np.mean([np.var(g[j, :, k], ddof=1) for j in range(3) for k in range(2)])
    assert grad_var_landscape(g) == pytest.approx(expected)
    # shifting one set's gradients does not change a within-set variance
    h = g.copy()
    h[1] += 5.0
    assert grad_var_landscape(h) == pytest.approx(expected)
    with pytest.raises(InputError, match="`grads`"):
        grad_var_landscape(np.ones((3, 1, 2)))


def test_readout_variance_is_the_mean_over_sets_inputs_and_parameters():
    rng = np.random.default_rng(4)
    g = rng.normal(size=(2, 6, 3, 2)) * np.array([1.0, 3.0])  # K, S, N, P
    expected = np.mean([np.var(g[j, :, i, k], ddof=1)
                        for j in range(2) for i in range(3) for k in range(2)])
    assert grad_var_readout(g) == pytest.approx(expected)
    h = g.copy()
    h[:, :, 1] += 4.0  # an input's mean gradient does not enter a variance over theta
    assert grad_var_readout(h) == pytest.approx(expected)
    with pytest.raises(InputError, match="`grads`"):
        grad_var_readout(np.ones((2, 1, 3, 2)))
    with pytest.raises(InputError, match="`grads`"):
        grad_var_readout(np.ones((2, 3, 2)))


def test_steps_to_target_first_crossing_and_lower_median():
    t = np.arange(11)
    # init k decays as 2 exp(-t / tau_k); with f = 0.5 the target 1 is crossed after
    # tau_k ln 2 steps: first step t >= tau_k ln 2
    taus = np.array([1.0, 2.0, 4.0, 100.0])
    losses = 2.0 * np.exp(-t[:, None] / taus)
    r = steps_to_target(losses, fraction=0.5)
    np.testing.assert_array_equal(r.per_init, np.ceil(taus * np.log(2)).clip(max=10))
    np.testing.assert_array_equal(r.reached, [True, True, True, False])
    np.testing.assert_allclose(r.target, 1.0)
    assert r.steps == 2.0 and not r.censored  # 2nd smallest of (1, 2, 3, inf)
    assert list(r.to_frame().columns) == ["init", "target", "steps", "reached"]
    # exactly on the target counts as reached
    assert steps_to_target(np.array([[1.0], [0.75]]), fraction=0.25).per_init.tolist() == [1]


def test_steps_to_target_is_censored_when_more_than_half_never_reach():
    t = np.arange(6)[:, None]
    flat = np.ones((6, 1))
    fast = 1.0 - 0.2 * t
    two_of_four = np.hstack([fast, fast, flat, flat])
    r = steps_to_target(two_of_four, fraction=0.5)  # target 0.5 reached at t = 3 by two
    assert r.steps == 3.0 and not r.censored  # ceil(4/2) = 2 inits reached: not censored
    one_of_three = np.hstack([fast, flat, flat])
    r = steps_to_target(one_of_three, fraction=0.5)
    assert r.censored and r.steps == 5.0  # reported as T, never a made-up number
    assert r.per_init.tolist() == [3, 5, 5] and r.reached.tolist() == [True, False, False]
    # a loss that rises never reaches a target below L0
    assert steps_to_target(1.0 + 0.1 * t, fraction=0.1).censored


def test_steps_to_target_floor_and_bad_input():
    losses = np.array([[1.0], [0.7], [0.55]])
    assert steps_to_target(losses, fraction=0.5, floor=0.2).per_init.tolist() == [2]  # 0.6
    assert steps_to_target(losses, fraction=0.5).per_init.tolist() == [2]  # 0.5: not reached
    assert steps_to_target(losses, fraction=0.5).censored
    for bad, needle in (({"fraction": 0.0}, "`fraction`"), ({"fraction": 1.5}, "`fraction`")):
        with pytest.raises(InputError, match=needle):
            steps_to_target(losses, **bad)
    with pytest.raises(InputError, match="`losses`"):
        steps_to_target(np.ones((1, 3)))
    with pytest.raises(InputError, match="`losses`"):
        steps_to_target(np.array([[1.0], [np.nan]]))
