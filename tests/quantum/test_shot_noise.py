"""`shot_gradient_noise`: the exact gradient and the variance of its finite-shot estimate,
without sampling.

Truths: the exact gradient of the adjoint method; the closed-form variance of a shot gradient
with fixed weights, sum_t c_t^2 sum_m w_m^2 (1 - <O_m(t)>^2) / S (the independent shifted
circuits; <O>(1 - <O>)/S for the global projector); and, for weights that depend on the values
(a post-network's backward pass), a brute-force Monte-Carlo of `ShotBackend.expectation_vjp`
repeated on many independent draws.
"""

from __future__ import annotations

import numpy as np
import pytest

from etr.errors import InputError
from etr.quantum import (
    ShotBackend,
    expectation_vjp,
    expectations,
    shift_rule,
    shot_gradient_noise,
)
from etr.quantum.qutip_backend import QutipBackend

# every kind of shift term (two-term rotations, a four-term controlled rotation, a slot shared
# by two gates), a Pauli string and the global projector: the circuit of the sampling tests
from .test_shots import CIRCUIT, OBS, WEIGHTS

THETA = np.array([[0.4, 1.9, -0.8, 2.6], [2.2, -0.3, 1.1, 0.5]])


def _closed_form(theta: np.ndarray, shots: int) -> np.ndarray:
    """sum_t c_t^2 sum_m w_m^2 Var(est_m(shift_t)) per row and slot, from exact values."""
    rule = shift_rule(CIRCUIT)
    out = np.zeros(theta.shape)
    for b, row in enumerate(theta):
        z = expectations(rule.circuit, rule.shifted(row[None, :]), OBS)  # (T, M)
        single = np.where(np.array([o != "global" for o in OBS]), 1 - z**2, z * (1 - z))
        np.add.at(out[b], rule.slots[rule.gate], rule.coef**2 * (single / shots
                                                                 * WEIGHTS**2).sum(axis=1))
    return out


@pytest.mark.parametrize("shots", [1, 16, 1000])
def test_fixed_weights_give_the_closed_form(shots):
    w = np.tile(WEIGHTS, (2, 1))
    g, var = shot_gradient_noise(CIRCUIT, THETA, OBS, w, shots)
    _, exact = expectation_vjp(CIRCUIT, THETA, OBS, w)
    np.testing.assert_allclose(g, exact, atol=1e-12)
    np.testing.assert_allclose(var, _closed_form(THETA, shots), rtol=1e-12)


def test_same_numbers_from_an_exact_backend_without_shared_prefixes():
    w = np.tile(WEIGHTS, (2, 1))
    fast = shot_gradient_noise(CIRCUIT, THETA, OBS, w, 10)
    reference = shot_gradient_noise(CIRCUIT, THETA, OBS, w, 10, exact=QutipBackend())
    for a, b in zip(fast, reference, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-10)


def _post_network(values: np.ndarray, rows: slice) -> np.ndarray:
    """A nonlinear cotangent as a post-network makes one: d/dz of tanh(0.5 z . w + 0.3)^2 per
    row (curved enough that the values' noise matters, mild enough for a first-order
    prediction at these shot counts, as the sigmoid of a classifier's loss is)."""
    a = np.tanh(0.5 * values @ WEIGHTS + 0.3)
    return (2 * a * (1 - a**2) * 0.5)[:, None] * WEIGHTS[None, :]


@pytest.mark.parametrize("shots", [50, 500])
def test_value_dependent_weights_match_a_monte_carlo(shots):
    """The delta-method variance (shift terms plus the values' noise through the cotangent)
    against the sample variance of 8000 independent shot gradients per row: the relative SE
    of a sample variance is ~ sqrt(2 / 8000) = 1.6%; 5 SE allowed. Without the values' term
    the prediction is too small by more than that on some entries (checked below)."""
    reps = 8000
    p = np.repeat(THETA, reps, axis=0)
    _, draws = ShotBackend(shots, seed=shots).expectation_vjp(CIRCUIT, p, OBS, _post_network)
    draws = draws.reshape(2, reps, -1)
    g, var = shot_gradient_noise(CIRCUIT, THETA, OBS, _post_network, shots)
    mc = draws.var(axis=1, ddof=1)
    np.testing.assert_allclose(mc, var, rtol=5 * np.sqrt(2 / reps))
    # the mean is the exact gradient up to the O(1/S) bias of a cotangent taken at estimates
    se = np.sqrt(var / reps)
    assert np.all(np.abs(draws.mean(axis=1) - g) < 5 * se + 2.0 / shots)
    _, shift_only = shot_gradient_noise(CIRCUIT, THETA, OBS,
                                        _post_network(expectations(CIRCUIT, THETA, OBS), None),
                                        shots)
    assert np.max(mc / shift_only) > 1 + 5 * np.sqrt(2 / reps)


def test_wrt_and_bad_input():
    w = np.tile(WEIGHTS, (2, 1))
    g, var = shot_gradient_noise(CIRCUIT, THETA, OBS, w, 10, wrt=np.array([1, 3]))
    assert np.all(g[:, [0, 2]] == 0) and np.all(var[:, [0, 2]] == 0)
    assert np.all(var[:, [1, 3]] > 0)
    with pytest.raises(InputError, match="`shots`"):
        shot_gradient_noise(CIRCUIT, THETA, OBS, w, 0)
    with pytest.raises(InputError, match="`exact`"):
        shot_gradient_noise(CIRCUIT, THETA, OBS, w, 10, exact=ShotBackend(5))
