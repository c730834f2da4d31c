"""The QuTiP reference path: gate conventions and conversion."""

from __future__ import annotations

import numpy as np
import pytest
import qutip

from etr.circuits import GATES, Ansatz, Gate
from etr.errors import InputError
from etr.quantum import qutip_statevector, to_qubit_circuit

I2 = np.eye(2)
X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]])
Z = np.diag([1.0, -1.0]).astype(complex)
P0 = np.diag([1.0, 0.0])
P1 = np.diag([0.0, 1.0])
FIXED = {
    "H": np.array([[1, 1], [1, -1]]) / np.sqrt(2), "X": X, "Y": Y, "Z": Z,
    "S": np.diag([1, 1j]), "T": np.diag([1, np.exp(1j * np.pi / 4)]),
}
PAULIS = {"X": X, "Y": Y, "Z": Z}


def expected_matrix(name: str, theta: float) -> np.ndarray:
    """Our convention, from its definition: R_P(t) = exp(-i t P / 2) = cos(t/2) I - i sin(t/2) P."""
    kind = GATES[name]
    if name in FIXED:
        return FIXED[name]
    if kind.rotation:
        r = np.cos(theta / 2) * I2 - 1j * np.sin(theta / 2) * PAULIS[kind.pauli]
        return r if not kind.controlled else np.kron(P0, I2) + np.kron(P1, r)
    if name == "CZ":
        return np.diag([1, 1, 1, -1]).astype(complex)
    if name == "CNOT":
        return np.kron(P0, I2) + np.kron(P1, X)
    swap = np.zeros((4, 4))
    swap[[0, 1, 2, 3], [0, 2, 1, 3]] = 1
    return swap


@pytest.mark.parametrize("name", sorted(GATES))
def test_each_gate_matches_our_convention(name: str) -> None:
    kind = GATES[name]
    theta = 0.7317
    n = kind.n_qubits
    gate = Gate(name, tuple(range(n)), None, theta if kind.rotation else None)
    a = Ansatz(n, (gate,))
    qc = to_qubit_circuit(a, np.zeros(0))
    # the circuit's full unitary, column by column from QubitCircuit.run on basis states
    cols = [qc.run(qutip.basis([2] * n, [int(b) for b in np.binary_repr(i, n)])).full().ravel()
            for i in range(2**n)]
    assert np.allclose(np.array(cols).T, expected_matrix(name, theta), atol=1e-12)


def test_qubit_order_is_qutip_tensor_order() -> None:
    a = Ansatz.from_gates(3, [("X", 0)])
    state = qutip_statevector(a, np.zeros(0))
    assert state.dims == [[2, 2, 2], [1]]
    assert abs(state.full()[4, 0]) == pytest.approx(1.0)  # |100>


def test_controlled_gate_control_target_order() -> None:
    a = Ansatz.from_gates(2, [("X", 1), ("CNOT", 1, 0)])
    assert abs(qutip_statevector(a, np.zeros(0)).full()[3, 0]) == pytest.approx(1.0)


def test_shared_slots_and_fixed_angles() -> None:
    gates = (Gate("RY", (0,), 0), Gate("RY", (0,), 0), Gate("RX", (1,), None, 0.3))
    a = Ansatz(2, gates)
    psi = qutip_statevector(a, np.array([0.4])).full().ravel()
    ry = np.cos(0.4) * np.array([1, 0]) + np.sin(0.4) * np.array([0, 1])
    rx = np.array([np.cos(0.15), -1j * np.sin(0.15)])
    assert np.allclose(psi, np.kron(ry, rx))


def test_bad_params_shape_names_argument() -> None:
    a = Ansatz.from_gates(1, [("RY", 0)])
    with pytest.raises(InputError, match="`params`"):
        to_qubit_circuit(a, np.zeros(2))
    with pytest.raises(InputError, match="`params`"):
        qutip_statevector(a, np.zeros((2, 1)))


# ------------------------------------------------------------------- QutipBackend (the seam)
def test_qutip_backend_equals_the_statevector_backend():
    """The QuTiP reference behind the Backend seam: states, values and parameter-shift
    gradients (four-term rule for controlled rotations) against the fast path, 1e-10."""
    from etr.quantum import STATEVECTOR, Backend, QutipBackend

    from .conftest import random_ansatz

    b = QutipBackend()
    assert isinstance(b, Backend) and b.exact and b.name == "qutip"
    obs = ["ZII", "IXY", "global", "YYZ"]
    for seed in range(3):
        a = random_ansatz(3, 16, seed)
        rng = np.random.default_rng(seed)
        p = rng.uniform(-4, 4, size=(3, a.n_params))
        w = rng.normal(size=(3, len(obs)))
        blocks = list(b.states(a, p, chunk_size=2))
        assert [r.start for r, _ in blocks] == [0, 2]
        got = np.concatenate([x for _, x in blocks])
        np.testing.assert_allclose(got, np.concatenate([x for _, x in STATEVECTOR.states(a, p)]),
                                   atol=1e-10)
        v0, g0 = STATEVECTOR.expectation_vjp(a, p, obs, w)
        v1, g1 = b.expectation_vjp(a, p, obs, lambda v, rows, w=w: w[rows])
        np.testing.assert_allclose(v1, v0, atol=1e-10)
        np.testing.assert_allclose(g1, g0, atol=1e-10)
        wrt = np.array([0, 2])
        _, g2 = b.expectation_vjp(a, p, obs, w, wrt=wrt)
        np.testing.assert_allclose(g2[:, wrt], g0[:, wrt], atol=1e-10)
        others = np.setdiff1d(np.arange(a.n_params), wrt)
        assert others.size and np.all(g2[:, others] == 0)


def test_qutip_observables_are_built_by_qutip():
    from etr.quantum import parse_observable
    from etr.quantum.qutip_backend import qutip_observable

    for label in ("XYZ", "IZI", "YYI"):
        o = parse_observable(label, 3)
        np.testing.assert_allclose(qutip_observable(o).full(), o.to_qobj().full(), atol=1e-15)
    g = parse_observable("global", 2)
    np.testing.assert_allclose(qutip_observable(g).full(), np.diag([1, 0, 0, 0]))
