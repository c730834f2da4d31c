"""Noise-induced barren plateaus (Wang et al. 2021) and their absence for the last layers of a
local cost under non-unital noise (Mele et al. 2024), on the density-matrix backend."""

from __future__ import annotations

import numpy as np
import pytest

from etr.circuits import Ansatz
from etr.quantum import STATEVECTOR, DensityMatrixBackend, NoiseModel

pytestmark = pytest.mark.slow

K = 200


def layered(n: int, layers: int, rotations: tuple[str, ...] = ("RY",)) -> Ansatz:
    """Per layer: each rotation on every qubit, then a CZ chain."""
    gates: list[tuple] = []
    for _ in range(layers):
        for r in rotations:
            gates += [(r, q) for q in range(n)]
        gates += [("CZ", q, q + 1) for q in range(n - 1)]
    return Ansatz.from_gates(n, gates)


def gradients(ansatz: Ansatz, backend, seed: int) -> np.ndarray:
    theta = np.random.default_rng(seed).uniform(0, 2 * np.pi, (K, ansatz.n_params))
    obs = "Z" + "I" * (ansatz.n_qubits - 1)
    return backend.expectation_vjp(ansatz, theta, [obs], np.ones((K, 1)))[1]


def test_local_depolarizing_gradients_obey_the_wang_bound_and_decay_exponentially():
    """Bound, by the argument of Wang et al. (noisy outputs approach I/d by a factor q per
    layer), written here in the Hilbert-Schmidt norm: parameter shift writes dC/dtheta as half
    the difference of two noisy outputs, so |dC| <= ||O||_2 max ||rho_out - I/d||_2. Each layer
    holds a depolarizing channel on every qubit (after its RY), which multiplies every
    non-identity Pauli component by (1 - p)^weight <= q = 1 - p; gates and the other channels
    are unital, so they do not increase the norm of a traceless operator. Hence
    |dC| <= sqrt(d) sqrt(1 - 1/d) q^L = sqrt(d - 1) q^L for every sample and parameter, and the
    gradient variance decays at least at the rate q^(2L). The noiseless circuit violates that
    bound at depth (its variance stays ~0.12): the test can fail."""
    n, p = 3, 0.1
    q = 1 - p
    depths = np.array([4, 8, 12, 16, 24])
    variances = []
    for layers in depths:
        a = layered(n, layers)
        g = gradients(a, DensityMatrixBackend(NoiseModel(depolarizing=p)), int(layers))
        assert np.abs(g).max() <= np.sqrt(2**n - 1) * q**layers
        variances.append(g.var(axis=0).mean())
    slope, intercept = np.polyfit(depths, np.log(variances), 1)
    fitted = intercept + slope * depths
    r2 = 1 - np.sum((np.log(variances) - fitted) ** 2) / np.sum(
        (np.log(variances) - np.log(variances).mean()) ** 2)
    assert r2 > 0.99  # exponential in L
    assert slope <= 2 * np.log(q)  # at least the bound's rate
    noiseless = gradients(layered(n, 24), STATEVECTOR, 24).var(axis=0).mean()
    assert noiseless > (2**n - 1) * q ** (2 * 24)


def test_amplitude_damping_keeps_last_layer_gradients_where_depolarizing_does_not():
    """Mele et al. 2024: under non-unital noise the gradient variance of a local cost w.r.t. the
    last layer's parameters stays bounded away from 0 at any depth, while early layers' decays;
    under depolarizing noise (unital) both decay exponentially."""
    n = 3
    last: dict[str, list[float]] = {"ad": [], "dep": []}
    first: dict[str, list[float]] = {"ad": [], "dep": []}
    depths = [4, 8, 16, 32]
    for layers in depths:
        a = layered(n, layers, ("RY", "RZ"))
        tail = np.arange(a.n_params - 2 * n, a.n_params)
        head = np.arange(2 * n)
        for key, noise in (("ad", NoiseModel(amplitude_damping=0.1)),
                           ("dep", NoiseModel(depolarizing=0.1))):
            g = gradients(a, DensityMatrixBackend(noise), layers)
            last[key].append(g[:, tail].var(axis=0).mean())
            first[key].append(g[:, head].var(axis=0).mean())
    # amplitude damping: the last layer's variance does not fall with depth from L = 8 on
    assert min(last["ad"][1:]) > 0.5 * max(last["ad"][1:]) > 1e-3
    # ... while the first layer's does, and depolarizing takes both to 0
    assert first["ad"][-1] < 1e-6 * first["ad"][0]
    assert last["dep"][-1] < 1e-9 * last["dep"][0]
    assert last["dep"][-1] < 1e-8 * last["ad"][-1]
