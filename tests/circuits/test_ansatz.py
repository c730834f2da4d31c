from __future__ import annotations

import dataclasses

import pytest

from etr.circuits import Ansatz, Gate


def test_from_gates_assigns_slots_in_order_and_keeps_fixed_angles():
    a = Ansatz.from_gates(
        3, [("RY", 0), ("RY", 1, 0.785), ("CZ", 0, 1), ("H", 2), ("CRX", 0, 2), ("rz", 1)]
    )
    assert a.n_params == 3
    assert a.gates[0] == Gate("RY", (0,), 0, None)
    assert a.gates[1] == Gate("RY", (1,), None, 0.785)
    assert a.gates[2] == Gate("CZ", (0, 1))
    assert a.gates[4] == Gate("CRX", (0, 2), 1, None)
    assert a.gates[5] == Gate("RZ", (1,), 2, None)  # names are case-insensitive


def test_arity_decides_between_qubit_and_angle():
    a = Ansatz.from_gates(3, [("CRX", 0, 1, 0.3), ("CX", 2, 0)])
    assert a.gates[0].angle == pytest.approx(0.3) and a.gates[0].slot is None
    assert a.gates[1].name == "CNOT" and a.gates[1].qubits == (2, 0)
    assert a.n_params == 0


@pytest.mark.parametrize(
    ("gates", "message"),
    [
        ([("FOO", 0)], "unknown gate 'FOO'"),
        ([("CZ", 0)], "CZ takes"),
        ([("RY", 0, 1, 2)], "RY takes"),
        ([("RY", 3)], "qubit 3 out of range"),
        ([("CNOT", 1, 1)], "distinct"),
        ([("H", 0, 0.5)], "H takes"),
        ([("RY", 0.5)], "not an integer"),
        (["RY"], "write a gate as a tuple"),
    ],
)
def test_bad_gates_name_the_offending_gate(gates, message):
    with pytest.raises(ValueError, match=message):
        Ansatz.from_gates(3, gates)


def test_bad_qubit_count():
    with pytest.raises(ValueError, match="n_qubits"):
        Ansatz.from_gates(0, [])


def test_ansatz_is_immutable_and_hashable():
    a = Ansatz.from_gates(2, [("RY", 0), ("CZ", 0, 1)])
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.n_qubits = 3  # type: ignore[misc]
    b = Ansatz.from_gates(2, [("RY", 0), ("CZ", 0, 1)])
    assert a == b and hash(a) == hash(b)
    assert {a: 1}[b] == 1


def test_then_shifts_or_shares_slots():
    a = Ansatz.from_gates(2, [("RY", 0), ("RY", 1)])
    b = Ansatz.from_gates(2, [("RX", 0)])
    assert a.then(b).n_params == 3
    assert a.then(b).gates[-1].slot == 2
    shared = a.then(a, shift=False)
    assert shared.n_params == 2 and [g.slot for g in shared.gates] == [0, 1, 0, 1]
    with pytest.raises(ValueError, match="compose"):
        a.then(Ansatz.from_gates(3, []))


def test_summary_repr_and_drawing():
    a = Ansatz.from_gates(3, [("H", 0), ("CNOT", 0, 2), ("RY", 1)], name="demo")
    assert "demo: 3 qubits, 1 parameters" in a.summary()
    assert "n_params=1" in repr(a)
    drawing = a.draw().splitlines()
    assert len(drawing) == 3
    assert "●" in drawing[0] and "X" in drawing[2] and "│" in drawing[1]
    assert a.depth() == 3  # the CNOT's wire crosses qubit 1, so RY(θ0) waits
