"""Content ids: equal circuits share one id, different circuits do not."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from etr.circuits import Ansatz, canonical_gates, circuit_id, hardware_efficient, sim_circuit
from etr.errors import InputError
from etr.quantum import statevectors


def _unitary_columns(a: Ansatz, theta: np.ndarray) -> np.ndarray:
    """Final states of every basis input (prepended X gates), as an independent check."""
    cols = []
    for b in range(2**a.n_qubits):
        bits = [(b >> (a.n_qubits - 1 - q)) & 1 for q in range(a.n_qubits)]
        prep = [("X", q) for q in range(a.n_qubits) if bits[q]]
        full = Ansatz.from_gates(a.n_qubits, prep).then(a)
        cols.append(statevectors(full, theta[None, :])[0])
    return np.array(cols)


def test_commuting_reorders_and_symmetric_qubits_share_an_id():
    a = Ansatz.from_gates(3, [("RY", 0), ("RX", 2), ("CZ", 0, 1), ("CZ", 2, 1), ("RZ", 1)])
    b = Ansatz.from_gates(3, [("RX", 2), ("RY", 0), ("CZ", 1, 2), ("RZ", 1), ("CZ", 1, 0)])
    assert circuit_id(a) == circuit_id(b)
    # the two really are one unitary (slots renumbered the canonical way)
    theta = np.array([0.3, 1.1, -0.7])
    perm_b = {0: 1, 1: 0, 2: 2}  # b's slot k holds a's parameter perm_b[k]
    assert np.allclose(_unitary_columns(a, theta),
                       _unitary_columns(b, theta[[perm_b[k] for k in range(3)]]))


@pytest.mark.parametrize("gates_a, gates_b", [
    ([("RY", 0), ("CNOT", 0, 1)], [("CNOT", 0, 1), ("RY", 0)]),      # do not commute
    ([("CNOT", 0, 1)], [("CNOT", 1, 0)]),                              # direction matters
    ([("RX", 0), ("RZ", 0)], [("RZ", 0), ("RX", 0)]),                  # order on one qubit
    ([("RY", 0, 0.5)], [("RY", 0, 0.25)]),                             # fixed angles
    ([("RY", 0), ("RY", 1)], [("RY", 0), ("RY", 0)]),                  # where gates act
])
def test_different_circuits_get_different_ids(gates_a, gates_b):
    assert circuit_id(Ansatz.from_gates(2, gates_a)) != circuit_id(Ansatz.from_gates(2, gates_b))


def test_topologies_at_two_qubits_and_library_names():
    ids = {t: circuit_id(hardware_efficient(2, 2, topology=t))
           for t in ("linear", "ring", "full", "star")}
    assert len(set(ids.values())) == 1
    assert circuit_id(hardware_efficient(2, 2, topology="none")) != ids["linear"]
    four = {t: circuit_id(hardware_efficient(4, 2, topology=t))
            for t in ("none", "linear", "ring", "full", "star")}
    assert len(set(four.values())) == 5
    # CNOT ring at 3 qubits has a wrap-around control 2 -> 0; full has 0 -> 2: not equal
    ring3 = hardware_efficient(3, 1, topology="ring", entangler="CNOT")
    full3 = hardware_efficient(3, 1, topology="full", entangler="CNOT")
    assert circuit_id(ring3) != circuit_id(full3)
    # names do not enter: the same gate list under another name has the same id
    s = sim_circuit(1, n_qubits=3, layers=2)
    assert circuit_id(s) == circuit_id(Ansatz(s.n_qubits, s.gates, name="other"))


def test_canonical_form_is_invariant_under_every_valid_reordering():
    """Brute force: every permutation of a small gate list that keeps the unitary's dependency
    order (checked by simulation) gets the same canonical form."""
    gates = [("RY", 0), ("RZ", 1), ("CZ", 0, 1), ("RZ", 0), ("RX", 2), ("CZ", 1, 2)]
    base = Ansatz.from_gates(3, gates)
    theta = np.array([0.4, -1.2, 0.9, 2.1])
    ref = _unitary_columns(base, theta)
    forms = set()
    for perm in itertools.permutations(range(len(gates))):
        # keep slot order: give each gate its original slot explicitly
        a = Ansatz(3, tuple(base.gates[i] for i in perm))
        if np.allclose(_unitary_columns(a, theta), ref):
            forms.add(canonical_gates(a))
    assert len(forms) == 1


def test_bad_input():
    with pytest.raises(InputError, match="`ansatz` must be an Ansatz"):
        circuit_id("hea")
