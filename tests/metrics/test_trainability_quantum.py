"""Fisher information and effective dimension of circuits with a closed-form Fisher matrix."""

from __future__ import annotations

import numpy as np
import pytest

from etr.circuits import Ansatz
from etr.metrics.trainability import effective_dimension, fisher_information
from etr.quantum import jacobian


def _z_model_fisher(ansatz: Ansatz, thetas: np.ndarray, observable: str) -> np.ndarray:
    """Fisher matrices of the two-outcome distribution p = (1 +- <O>) / 2."""
    values, jac = jacobian(ansatz, thetas, [observable])
    p = 0.5 * (1 + values[:, 0])
    probs = np.stack([p, 1 - p], axis=1)[:, None, :]
    dp = 0.5 * jac[:, 0, :]
    dprobs = np.stack([dp, -dp], axis=1)[:, None, :, :]
    return fisher_information(probs, dprobs)


def test_single_qubit_ry_fisher_is_one_everywhere():
    ansatz = Ansatz.from_gates(1, [("RY", 0)])
    # theta = pi puts p on the edge of the simplex (0/0 in the formula): not sampled
    thetas = np.linspace(0.2, 2 * np.pi - 0.2, 8)[:, None]
    fisher = _z_model_fisher(ansatz, thetas, "Z")
    np.testing.assert_allclose(fisher[:, 0, 0], 1.0, rtol=1e-9)
    n = 5000
    kappa = n / (2 * np.pi * np.log(n))
    assert effective_dimension(fisher, n_data=n) == pytest.approx(
        np.log1p(kappa) / np.log(kappa), rel=1e-9)


def test_redundant_parameters_halve_the_effective_dimension():
    # RY(a) RY(b) depends on a + b only: Fisher = [[1, 1], [1, 1]], rank 1 of 2.
    ansatz = Ansatz.from_gates(1, [("RY", 0), ("RY", 0)])
    thetas = np.random.default_rng(0).uniform(0.3, 1.2, size=(6, 2))
    fisher = _z_model_fisher(ansatz, thetas, "Z")
    np.testing.assert_allclose(fisher, np.ones((6, 2, 2)), rtol=1e-9)
    assert effective_dimension(fisher, n_data=10**12) == pytest.approx(0.5, abs=0.02)
