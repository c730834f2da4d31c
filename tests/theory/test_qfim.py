"""Quantum Fisher information: exact derivatives against finite differences, closed forms, ranks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from theory_dense import dense_dla, heisenberg_generators
from threadpoolctl import threadpool_limits

from etr.circuits import Ansatz, Gate, hardware_efficient, sim_circuit
from etr.errors import InputError
from etr.quantum import qutip_statevectors
from etr.theory import QfimRankResult, lie_algebra, qfim, qfim_rank, state_jacobian


def shared_slot_circuit() -> Ansatz:
    """Controlled rotations, fixed gates and a slot shared by three gates."""
    gates = (
        Gate("RY", (0,), 0), Gate("H", (1,)), Gate("CRX", (0, 1), 1), Gate("RZ", (2,), 0),
        Gate("CNOT", (1, 2)), Gate("CRZ", (2, 0), 2), Gate("T", (1,)), Gate("RX", (1,), 0),
        Gate("CRY", (1, 2), 3), Gate("RY", (2,), None, 0.4),
    )
    return Ansatz(3, gates)


@pytest.mark.parametrize("circuit", ["shared", "sim6", "hea"])
def test_state_derivatives_match_finite_differences(circuit: str) -> None:
    a = {"shared": shared_slot_circuit, "sim6": lambda: sim_circuit(6, 3, 1),
         "hea": lambda: hardware_efficient(3, 2, topology="ring", rotations="RX+RY+RZ")}[circuit]()
    theta = np.random.default_rng(0).uniform(0, 2 * np.pi, (2, a.n_params))
    psi, jac = state_jacobian(a, theta)
    np.testing.assert_allclose(psi, qutip_statevectors(a, theta), atol=1e-10)
    h = 1e-5
    for k in range(a.n_params):
        e = np.zeros(a.n_params)
        e[k] = h
        fd = (qutip_statevectors(a, theta + e) - qutip_statevectors(a, theta - e)) / (2 * h)
        np.testing.assert_allclose(jac[:, :, k], fd, atol=1e-8)


def test_qfim_matches_its_definition_from_finite_differences() -> None:
    a = shared_slot_circuit()
    theta = np.random.default_rng(1).uniform(0, 2 * np.pi, (1, a.n_params))
    h = 1e-5
    psi = qutip_statevectors(a, theta)[0]
    d = []
    for k in range(a.n_params):
        e = np.zeros(a.n_params)
        e[k] = h
        d.append((qutip_statevectors(a, theta + e) - qutip_statevectors(a, theta - e))[0] / (2 * h))
    d = np.array(d)
    expected = 4 * np.real(d.conj() @ d.T - np.outer(d.conj() @ psi, psi.conj() @ d.T))
    np.testing.assert_allclose(qfim(a, theta)[0], expected, atol=1e-7)


def test_single_qubit_closed_form() -> None:
    # RY(a) then RZ(b) on |0>: Bloch sphere metric, F = diag(1, sin(a)^2)
    a = Ansatz.from_gates(1, [("RY", 0), ("RZ", 0)])
    for t in (0.3, 1.2, 2.5):
        np.testing.assert_allclose(qfim(a, [t, 0.7])[0], np.diag([1, np.sin(t) ** 2]), atol=1e-12)


@pytest.mark.parametrize("n", [1, 3, 5])
def test_rank_equals_parameter_count_for_independent_generators(n: int) -> None:
    # one RY and one RZ per qubit from |0>: 2 independent directions per qubit
    for topology in ("none", "ring"):
        r = qfim_rank(hardware_efficient(n, 1, topology=topology), seed=3)
        assert r.rank == r.n_params == 2 * n


def test_redundant_parameters_lower_the_rank() -> None:
    # RX, RY, RZ on |0> reach the 2-dimensional Bloch sphere only
    r = qfim_rank(hardware_efficient(2, 1, topology="none", rotations="RX+RY+RZ"), seed=0)
    assert (r.rank, r.n_params) == (4, 6)


@pytest.mark.parametrize("circuit", ["ring4", "ry_ring4", "ising3", "sim2_deep", "sim6_2"])
def test_rank_saturates_below_dla_dimension(circuit: str) -> None:
    """Larocca et al. 2023: rank <= dim g; also <= 2^(n+1) - 2 (projective state space)."""
    a = {
        "ring4": lambda: hardware_efficient(4, 8, topology="ring"),
        "ry_ring4": lambda: hardware_efficient(4, 8, topology="ring", rotations="RY"),
        "ising3": lambda: ising3(8),
        "sim2_deep": lambda: sim_circuit(2, 3, 10),
        "sim6_2": lambda: sim_circuit(6, 3, 2),
    }[circuit]()
    r = qfim_rank(a, n_samples=2, seed=4)
    dim = lie_algebra(a).dim
    assert r.rank <= min(a.n_params, dim, 2 ** (a.n_qubits + 1) - 2)
    assert r.rank < a.n_params  # overparametrised


def orbit_dimension(a: Ansatz) -> int:
    """dim of the orbit of |0..0> under e^g: dim g - dim {x in g : [x, |0><0|] = 0} (dense)."""
    with threadpool_limits(limits=1, user_api="blas"):
        basis, _ = dense_dla(heisenberg_generators(a))
    dim = 2**a.n_qubits
    rho = np.zeros((dim, dim))
    rho[0, 0] = 1.0
    half = dim * dim
    cols = []
    for j in range(basis.shape[1]):
        x = (basis[:half, j] + 1j * basis[half:, j]).reshape(dim, dim)
        c = x @ rho - rho @ x
        cols.append(np.concatenate([c.real.ravel(), c.imag.ravel()]))
    s = np.linalg.svd(np.column_stack(cols), compute_uv=False)
    return int(np.sum(s > 1e-8 * s[0]))


def ising3(layers: int) -> Ansatz:
    return Ansatz.from_gates(3, [g for _ in range(layers) for g in (
        [("RX", q) for q in range(3)]
        + [h for q in range(2) for h in (("CNOT", q, q + 1), ("RZ", q + 1), ("CNOT", q, q + 1))])])


@pytest.mark.parametrize("circuit", ["ising3", "ry_ring3", "ring3"])
def test_deep_rank_is_the_orbit_dimension(circuit: str) -> None:
    """Larocca et al. 2023: deep enough, the rank saturates at the dimension of the orbit of the
    initial state under the dynamical Lie group (computed here from the dense algebra of two
    layers, which already generate it: the generators repeat with period 2)."""
    build = {
        "ising3": ising3,
        "ry_ring3": lambda L: hardware_efficient(3, L, topology="ring", rotations="RY"),
        "ring3": lambda L: hardware_efficient(3, L, topology="ring"),
    }[circuit]
    deep, shallow = build(8), build(2)
    assert lie_algebra(deep).dim == lie_algebra(shallow).dim
    assert qfim_rank(deep, n_samples=2, seed=0).rank == orbit_dimension(shallow)


def test_result_record() -> None:
    r = qfim_rank(hardware_efficient(2, 1), n_samples=3, seed=9)
    assert isinstance(r, QfimRankResult)
    assert (r.n_samples, r.seed, r.n_params, len(r.ranks)) == (3, 9, 4, 3)
    frame = r.to_frame()
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == ["sample", "rank",
                                                                        "n_params"]
    assert qfim_rank(Ansatz.from_gates(2, [("H", 0)]), seed=0).rank == 0


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"n_samples": 0}, "n_samples"), ({"tol": 0.0}, "tol"), ({"tol": 2.0}, "tol"),
])
def test_bad_input(kwargs: dict, name: str) -> None:
    with pytest.raises(InputError, match=f"`{name}`"):
        qfim_rank(hardware_efficient(2, 1), **kwargs)
