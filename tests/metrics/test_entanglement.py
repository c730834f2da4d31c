"""Meyer-Wallach entanglement and entangling capability against known truths and qutip.ptrace."""

from __future__ import annotations

import numpy as np
import pytest
import qutip

from etr.circuits import Ansatz, sim_circuit
from etr.errors import InputError
from etr.metrics import entangling_capability, meyer_wallach
from etr.quantum import statevectors


def mw_via_ptrace(psi: np.ndarray) -> float:
    n = int(np.log2(psi.size))
    ket = qutip.Qobj(psi.reshape(-1, 1), dims=[[2] * n, [1] * n])
    purities = [(ket.ptrace(k) ** 2).tr().real for k in range(n)]
    return 2 * (1 - np.mean(purities))


def haar_states(n_qubits: int, n: int, seed: int) -> np.ndarray:
    return np.array([qutip.rand_ket(2**n_qubits, seed=seed + i).full().ravel() for i in range(n)])


@pytest.mark.parametrize("n_qubits", [1, 2, 3, 5])
def test_matches_qutip_partial_traces(n_qubits: int) -> None:
    states = haar_states(n_qubits, 6, seed=10)
    want = [mw_via_ptrace(s) for s in states]
    np.testing.assert_allclose(meyer_wallach(states), want, atol=1e-12)


def test_known_states() -> None:
    ghz = np.zeros(8)
    ghz[[0, 7]] = 1 / np.sqrt(2)
    product = np.kron([np.cos(0.3), np.sin(0.3)], [1, 1]) / np.sqrt(2)
    np.testing.assert_allclose(meyer_wallach(np.array([ghz, np.r_[product, 0 * product]])),
                               [1.0, 0.0], atol=1e-12)


@pytest.mark.parametrize(("n_qubits", "n_states", "tol"), [(2, 1500, 0.03), (4, 600, 0.012)])
def test_haar_average(n_qubits: int, n_states: int, tol: float) -> None:
    q = meyer_wallach(haar_states(n_qubits, n_states, seed=99))
    dim = 2**n_qubits
    assert q.mean() == pytest.approx((dim - 2) / (dim + 1), abs=tol)


def test_sim1_is_product_and_sim9_maximal() -> None:
    ec = entangling_capability(sim_circuit(1), n_samples=50, seed=0)
    assert ec == pytest.approx(0, abs=1e-12)
    rng = np.random.default_rng(0)
    a = sim_circuit(9)
    q = meyer_wallach(statevectors(a, rng.uniform(0, 2 * np.pi, (50, a.n_params))))
    np.testing.assert_allclose(q, 1.0, atol=1e-12)


def test_seed_reproducible_and_chunk_independent() -> None:
    a = sim_circuit(13, 3)
    e1 = entangling_capability(a, n_samples=100, seed=4)
    assert e1 == entangling_capability(a, n_samples=100, seed=4, chunk_size=3)
    assert 0 < e1 < 1


def test_bad_inputs() -> None:
    with pytest.raises(InputError, match="`n_samples`"):
        entangling_capability(Ansatz(2, ()), n_samples=1)
    with pytest.raises(InputError, match="`states`"):
        meyer_wallach(np.ones((2, 3)))
