"""The DLA dimension against the dimension of the unitary group a deep circuit reaches.

An independent angle on `lie_algebra`: no Heisenberg picture, no commutators. The unitaries of a
circuit form the connected Lie group exp(g), so at a generic point of an overparametrised
circuit (more parameters than dim g) the tangent vectors U^dag dU/dtheta_k span all of g: their
real rank is dim g (Larocca et al. 2023). U comes from qutip-qip (`theory_dense.unitary`), the
derivatives from central differences.
"""

from __future__ import annotations

import numpy as np
import pytest
from theory_dense import unitary

from etr.circuits import Ansatz, hardware_efficient, sim_circuit
from etr.theory import lie_algebra


def _tangent_rank(ansatz: Ansatz, seed: int, h: float = 1e-5) -> int:
    rng = np.random.default_rng(seed)
    theta = rng.uniform(0, 2 * np.pi, ansatz.n_params)
    u = unitary(ansatz, theta)
    rows = []
    for k in range(ansatz.n_params):
        step = np.zeros_like(theta)
        step[k] = h
        du = (unitary(ansatz, theta + step) - unitary(ansatz, theta - step)) / (2 * h)
        a = u.conj().T @ du  # anti-Hermitian, in the Lie algebra
        rows.append(np.concatenate([a.real.ravel(), a.imag.ravel()]))
    s = np.linalg.svd(np.array(rows), compute_uv=False)
    return int((s > 1e-6 * s[0]).sum())


def _deep(make, dim_hint: int) -> Ansatz:
    """Repeat the one-layer circuit `make(layers)` until it has 1.5 x dim_hint parameters."""
    layers = 1
    while make(layers).n_params < 1.5 * dim_hint:
        layers += 1
    return make(layers)


CASES = {
    "hea2_ryrz_cz": lambda L: hardware_efficient(2, L, topology="linear"),
    "hea3_ryrz_cz_ring": lambda L: hardware_efficient(3, L, topology="ring"),
    "hea3_ryrz_cnot_ring": lambda L: hardware_efficient(3, L, topology="ring", entangler="CNOT"),
    "hea3_ry_cz_linear": lambda L: hardware_efficient(3, L, topology="linear", rotations="RY"),
    "hea4_ryrz_cz_ring": lambda L: hardware_efficient(4, L, topology="ring"),
    "sim2_3q": lambda L: sim_circuit(2, 3, L),
    "sim9_3q": lambda L: sim_circuit(9, 3, L),
    "sim11_3q": lambda L: sim_circuit(11, 3, L),
    "sim14_3q": lambda L: sim_circuit(14, 3, L),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_dla_dimension_is_the_dimension_the_deep_circuit_reaches(name: str) -> None:
    make = CASES[name]
    deep = _deep(make, lie_algebra(make(3)).dim)
    dim = lie_algebra(deep).dim
    assert deep.n_params > dim
    assert _tangent_rank(deep, seed=1) == dim
