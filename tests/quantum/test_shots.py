"""Finite shots: unbiased estimates with the binomial variance, parameter-shift gradients from them.

Truths: the exact expectation values and gradients (adjoint method), and the variances derived in
closed form from them: (1 - <P>^2) / S for a Pauli estimate, <O>(1 - <O>) / S for the global
projector, and for a gradient sum_t c_t^2 sum_m w_m^2 Var(est_m(shift_t)) over the independent
shifted circuits.
"""

from __future__ import annotations

import numpy as np
import pytest

from etr.circuits import Ansatz, Gate
from etr.errors import InputError
from etr.quantum import (
    ShotBackend,
    expectation_vjp,
    expectations,
    parse_observable,
    sample_expectations,
    shift_rule,
)

CIRCUIT = Ansatz(2, (Gate("RY", (0,), 0), Gate("CRY", (0, 1), 1), Gate("RX", (1,), 0),
                     Gate("RZ", (0,), 2), Gate("CNOT", (0, 1)), Gate("RY", (1,), 3)))
OBS = ["ZI", "XZ", "global"]
WEIGHTS = np.array([0.7, -1.3, 2.0])
THETA = np.array([0.4, 1.9, -0.8, 2.6])


def _single_variance(exact: np.ndarray, shots: int) -> np.ndarray:
    """Variance of one S-shot estimate of each column of OBS."""
    pauli = (1.0 - exact**2) / shots
    glob = exact * (1.0 - exact) / shots
    return np.where(np.array([o != "global" for o in OBS]), pauli, glob)


def _gradient_variance(shots: int) -> np.ndarray:
    """Closed-form variance of each shot gradient entry at THETA."""
    rule = shift_rule(CIRCUIT)
    shifted = expectations(rule.circuit, rule.shifted(THETA[None, :]), OBS)  # (T, M)
    per_term = (_single_variance(shifted, shots) * WEIGHTS**2).sum(axis=1)
    var = np.zeros(CIRCUIT.n_params)
    np.add.at(var, rule.slots[rule.gate], rule.coef**2 * per_term)
    return var


def test_circuit_has_every_kind_of_term():
    rule = shift_rule(CIRCUIT)
    assert rule.n_terms == 2 + 4 + 2 + 2 + 2  # the CRY uses the four-term rule
    assert sorted(set(rule.slots[rule.gate].tolist())) == [0, 1, 2, 3]
    assert list(rule.slots).count(0) == 2  # slot 0 is shared by two gates


@pytest.mark.parametrize("shots", [1, 7, 400])
def test_estimates_are_unbiased_with_the_binomial_variance(shots):
    obs = [parse_observable("Z", 1)] * 3 + [parse_observable("global", 1)] * 3
    values = np.array([[-1.0, -0.6, 0.3, 0.0, 0.3, 0.95]])  # Z, Z, Z, global, global, global
    n = 200_000
    est = sample_expectations(np.repeat(values, n, axis=0), obs, shots, seed=shots)
    var = np.concatenate([(1 - values[0, :3] ** 2), values[0, 3:] * (1 - values[0, 3:])]) / shots
    se = np.sqrt(var / n)
    assert np.all(np.abs(est.mean(axis=0) - values[0]) <= 5 * se + 1e-15)
    # sample variance: relative SE sqrt((kurtosis - 1) / n) <= 0.01 here; allow 6 of them
    nz = var > 0
    np.testing.assert_allclose(est.var(axis=0, ddof=1)[nz], var[nz], rtol=0.06)
    assert np.all(est[:, ~nz] == values[0, ~nz])  # eigenstates: no noise
    assert set(np.unique(est[:, 0] * shots).astype(int)) <= set(range(-shots, shots + 1, 2))


@pytest.mark.slow
@pytest.mark.parametrize("shots", [3, 50])
def test_backend_estimates_over_many_seeds(shots):
    """Across 400 seeds of a ShotBackend, the circuit's estimates are unbiased, binomial."""
    p = np.array([THETA, THETA + 1.0])
    exact = expectations(CIRCUIT, p, OBS)
    est = np.stack([ShotBackend(shots, seed=s).expectations(CIRCUIT, p, OBS)
                    for s in range(400)])
    var = _single_variance(exact, shots)
    assert np.all(np.abs(est.mean(axis=0) - exact) <= 5 * np.sqrt(var / 400) + 1e-15)
    np.testing.assert_allclose(est.var(axis=0, ddof=1), var, rtol=0.3)


@pytest.mark.parametrize("shots", [4, 64])
def test_shot_gradients_are_unbiased_with_the_predicted_variance(shots):
    n = 6000
    p = np.repeat(THETA[None, :], n, axis=0)
    backend = ShotBackend(shots, seed=11)
    values, grads = backend.expectation_vjp(CIRCUIT, p, OBS, np.tile(WEIGHTS, (n, 1)))
    _, exact = expectation_vjp(CIRCUIT, THETA[None, :], OBS, WEIGHTS[None, :])
    var = _gradient_variance(shots)
    assert np.all(np.abs(grads.mean(axis=0) - exact[0]) <= 5 * np.sqrt(var / n))
    np.testing.assert_allclose(grads.var(axis=0, ddof=1), var, rtol=0.12)
    np.testing.assert_allclose(values.var(axis=0, ddof=1),
                               _single_variance(expectations(CIRCUIT, THETA, OBS), shots)[0],
                               rtol=0.12)


def test_shot_gradients_converge_to_the_exact_ones_like_one_over_shots():
    _, exact = expectation_vjp(CIRCUIT, THETA[None, :], OBS, WEIGHTS[None, :])
    n = 400
    p = np.repeat(THETA[None, :], n, axis=0)
    mse = []
    for shots in (10, 100, 1000, 10000):
        _, g = ShotBackend(shots, seed=shots).expectation_vjp(CIRCUIT, p, OBS,
                                                              np.tile(WEIGHTS, (n, 1)))
        mse.append(np.mean((g - exact) ** 2))
        expected = _gradient_variance(shots).mean()
        assert mse[-1] == pytest.approx(expected, rel=0.2)
    assert mse[0] / mse[-1] == pytest.approx(1000, rel=0.3)


def test_value_dependent_cotangent_uses_the_estimated_values():
    p = np.repeat(THETA[None, :], 5, axis=0)
    seen = []

    def cotangent(values, rows):
        seen.append(values.copy())
        return np.ones_like(values)

    values, _ = ShotBackend(20, seed=3).expectation_vjp(CIRCUIT, p, OBS, cotangent)
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], values)


def test_same_seed_same_numbers_whatever_the_chunks():
    p = np.random.default_rng(0).uniform(0, 2 * np.pi, size=(13, CIRCUIT.n_params))
    w = np.random.default_rng(1).normal(size=(13, 3))
    runs = [ShotBackend(50, seed=7).expectation_vjp(CIRCUIT, p, OBS, w, chunk_size=c)
            for c in (None, 1, 5)]
    for values, grads in runs[1:]:
        np.testing.assert_array_equal(values, runs[0][0])
        np.testing.assert_array_equal(grads, runs[0][1])
    other = ShotBackend(50, seed=8).expectation_vjp(CIRCUIT, p, OBS, w)
    assert not np.array_equal(other[1], runs[0][1])


def test_wrt_limits_the_shifted_circuits():
    p = np.repeat(THETA[None, :], 3000, axis=0)
    w = np.tile(WEIGHTS, (3000, 1))
    _, g = ShotBackend(30, seed=2).expectation_vjp(CIRCUIT, p, OBS, w, wrt=np.array([1, 3]))
    assert np.all(g[:, [0, 2]] == 0)
    _, exact = expectation_vjp(CIRCUIT, THETA[None, :], OBS, WEIGHTS[None, :])
    se = np.sqrt(_gradient_variance(30)[[1, 3]] / 3000)
    assert np.all(np.abs(g[:, [1, 3]].mean(axis=0) - exact[0, [1, 3]]) <= 5 * se)


def test_bad_input():
    with pytest.raises(InputError, match="`shots`"):
        ShotBackend(0)
    with pytest.raises(InputError, match="`shots`"):
        sample_expectations(np.zeros((1, 1)), [parse_observable("Z", 1)], 0)
    b = ShotBackend(10, seed=0)
    import qutip

    with pytest.raises(InputError, match="`observables`"):
        b.expectations(CIRCUIT, THETA, [qutip.tensor(qutip.sigmaz(), qutip.sigmaz())])
    with pytest.raises(InputError, match="no states"):
        next(iter(b.states(CIRCUIT, THETA)))
    with pytest.raises(InputError, match="`exact`"):
        ShotBackend(10, exact=b)


def test_exact_backend_without_shared_prefixes_gives_the_same_draws():
    """The fallback for exact backends without `shifted_expectations` (plain shifted circuits)
    feeds the same probabilities to the same draws."""
    from etr.quantum import STATEVECTOR

    class Plain:
        name = "plain"
        exact = True
        states = STATEVECTOR.states
        expectations = STATEVECTOR.expectations
        expectation_vjp = STATEVECTOR.expectation_vjp

    p = np.random.default_rng(3).uniform(0, 2 * np.pi, size=(6, CIRCUIT.n_params))
    w = np.random.default_rng(4).normal(size=(6, 3))
    shared = ShotBackend(40, seed=9).expectation_vjp(CIRCUIT, p, OBS, w)
    plain = ShotBackend(40, seed=9, exact=Plain()).expectation_vjp(CIRCUIT, p, OBS, w)
    np.testing.assert_array_equal(shared[0], plain[0])
    np.testing.assert_array_equal(shared[1], plain[1])
