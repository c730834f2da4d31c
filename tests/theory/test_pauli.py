"""Pauli strings, Pauli sums, theory observables and the Heisenberg-picture generators."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from theory_dense import fixed_prefix_unitary, gate_generator, pauli_matrix

from etr.circuits import GATES, Ansatz, Gate, hardware_efficient
from etr.errors import InputError
from etr.quantum import parse_observable
from etr.theory import readout_observable
from etr.theory.heisenberg import apply_frame, heisenberg_picture
from etr.theory.pauli import (
    anticommute,
    key_from_label,
    label_from_key,
    matrix_of_key,
    parse_pauli_sum,
    pauli_product,
)

LABELS2 = ["".join(p) for p in itertools.product("IXYZ", repeat=2)]


def sum_matrix(op: dict, n: int) -> np.ndarray:
    return sum(c * matrix_of_key(k, n) for k, c in op.items())


@pytest.mark.parametrize("label", [*LABELS2, "XYZ", "ZIY", "YYY"])
def test_key_label_round_trip_and_matrix(label: str) -> None:
    n = len(label)
    key = key_from_label(label)
    assert label_from_key(key, n) == label
    np.testing.assert_allclose(matrix_of_key(key, n), pauli_matrix(label), atol=0)


def test_matrix_matches_quantum_observable() -> None:
    # the same bit order as etr.quantum: qubit 0 is the most significant bit
    for label in ("XZI", "IYX", "ZZY"):
        dense = parse_observable(label, 3).to_qobj().full()
        np.testing.assert_allclose(matrix_of_key(key_from_label(label), 3), dense, atol=1e-15)


def test_products_and_anticommutation_against_matrices() -> None:
    for a, b in itertools.product(LABELS2, repeat=2):
        ka, kb = key_from_label(a), key_from_label(b)
        e, c = pauli_product(ka, kb, 2)
        np.testing.assert_allclose(pauli_matrix(a) @ pauli_matrix(b),
                                   1j**e * matrix_of_key(c, 2), atol=1e-15)
        anti = np.allclose(pauli_matrix(a) @ pauli_matrix(b), -pauli_matrix(b) @ pauli_matrix(a))
        assert anticommute(ka, kb, 2) == anti


def test_parse_pauli_sum_forms() -> None:
    z0, z1 = key_from_label("ZI"), key_from_label("IZ")
    assert parse_pauli_sum("zi", 2) == {z0: 1.0}
    assert parse_pauli_sum({"ZI": 0.5, "IZ": -2}, 2) == {z0: 0.5, z1: -2.0}
    assert parse_pauli_sum([(1, "ZI"), (2.0, "ZI")], 2) == {z0: 3.0}
    assert parse_pauli_sum(parse_observable("IZ", 2), 2) == {z1: 1.0}
    glob = parse_pauli_sum("global", 2)
    np.testing.assert_allclose(sum_matrix(glob, 2), np.diag([1.0, 0, 0, 0]))
    assert parse_pauli_sum(readout_observable(2), 2) == {z0: 0.5, z1: 0.5}


@pytest.mark.parametrize("bad", [
    "ZZZ", "QI", 3.0, [], [(1.0, "ZZZ")], [(1j, "ZI")], [(np.nan, "ZI")], {"ZI": "a"},
    [("ZI", 1.0)], parse_observable("ZI", 2).to_qobj(),
])
def test_parse_pauli_sum_rejects(bad: object) -> None:
    with pytest.raises(InputError, match="`observable`"):
        parse_pauli_sum(bad, 2)


def test_readout_observable() -> None:
    assert readout_observable(3) == [(1 / 3, "ZII"), (1 / 3, "IZI"), (1 / 3, "IIZ")]
    with pytest.raises(InputError, match="`n_qubits`"):
        readout_observable(0)


def random_circuit(n: int, n_gates: int, seed: int) -> Ansatz:
    """Every gate kind, fixed angles (some multiples of pi/2) and shared slots."""
    rng = np.random.default_rng(seed)
    names = sorted(GATES)
    gates: list[Gate] = []
    for _ in range(n_gates):
        kind = GATES[names[rng.integers(len(names))]]
        qubits = tuple(int(q) for q in rng.choice(n, size=kind.n_qubits, replace=False))
        if not kind.rotation:
            gates.append(Gate(kind.name, qubits))
        elif rng.random() < 0.3:
            angle = float(rng.choice([np.pi / 2, -np.pi, rng.uniform(-4, 4)]))
            gates.append(Gate(kind.name, qubits, None, angle))
        else:
            gates.append(Gate(kind.name, qubits, int(rng.integers(5)), None))
    return Ansatz(n, tuple(gates))


@pytest.mark.parametrize("seed", range(6))
def test_generators_match_dense_conjugation(seed: int) -> None:
    a = random_circuit(3, 14, seed)
    heis = heisenberg_picture(a)
    k = 0
    for pos, gate in enumerate(a.gates):
        if gate.slot is None:
            continue
        b = fixed_prefix_unitary(a, pos)
        dense = b.conj().T @ gate_generator(a, gate) @ b
        ours = sum_matrix(heis.generators[k], 3)
        # our generators are P (rotations) and (P - Z_c P)/2 (controlled): the qutip-qip
        # generator is half of that
        np.testing.assert_allclose(ours / 2, dense, atol=1e-9)
        assert heis.slots[k] == gate.slot
        k += 1
    assert k == len(heis.generators)


@pytest.mark.parametrize("seed", range(4))
def test_frame_conjugates_observables(seed: int) -> None:
    a = random_circuit(3, 12, 100 + seed)
    heis = heisenberg_picture(a)
    b = fixed_prefix_unitary(a, len(a.gates))
    op = {key_from_label("ZXI"): 0.7, key_from_label("IYZ"): -1.2}
    np.testing.assert_allclose(sum_matrix(apply_frame(heis.frame, op, 3), 3),
                               b.conj().T @ sum_matrix(op, 3) @ b, atol=1e-10)


def test_clifford_flag_and_pauli_generators() -> None:
    assert heisenberg_picture(hardware_efficient(3, 2, topology="ring")).pauli_generators
    t_gate = heisenberg_picture(Ansatz.from_gates(1, [("T", 0), ("RX", 0)]))
    assert not t_gate.clifford and not t_gate.pauli_generators
    quarter = heisenberg_picture(Ansatz.from_gates(1, [("RY", 0, np.pi / 2), ("RX", 0)]))
    assert quarter.clifford and quarter.pauli_generators  # RY(pi/2)^dag X RY(pi/2) = Z
    assert label_from_key(next(iter(quarter.generators[0])), 1) == "Z"
    controlled = heisenberg_picture(Ansatz.from_gates(2, [("CRX", 0, 1)]))
    assert controlled.generators[0] == {key_from_label("IX"): 0.5, key_from_label("ZX"): -0.5}


@pytest.mark.parametrize("name", ["RX", "RZ", "CRX", "CRY", "CRZ"])
def test_clifford_precheck_agrees_with_the_frame(name: str) -> None:
    from etr.theory.lie_algebra import _clifford_gate

    for angle in (np.pi / 2, np.pi, 3 * np.pi / 2, 2 * np.pi, 0.3):
        gate = (name, 0, 1, angle) if name.startswith("C") else (name, 0, angle)
        a = Ansatz.from_gates(2, [gate])
        assert _clifford_gate(a.gates[0]) == heisenberg_picture(a).clifford, (name, angle)
