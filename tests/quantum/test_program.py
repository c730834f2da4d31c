"""Lowering of compiled circuits for the row kernels (`etr.quantum.program`): what sinks where,
what stays real, runs, pairs and the diagonal tail."""

from __future__ import annotations

import numpy as np

from etr.circuits import Ansatz, encoded_circuit, hardware_efficient
from etr.quantum import compile_ansatz
from etr.quantum.program import KIND, PAIR_STRIDE, lower


def _kinds(prog) -> list[str]:
    names = {v: k for k, v in KIND.items()}
    return [names[k] for k in prog.ops[:, 0]]


def test_rz_sinks_into_the_next_diagonal_layer_and_leaves_real_operations():
    prog = lower(compile_ansatz(hardware_efficient(3, 2, rotations="RY+RZ")))
    # RY RZ | CZ | RY RZ | CZ: the RZs of a layer join the CZ layer after it
    assert _kinds(prog) == ["diag", "u1_real", "u1_real", "u1_real", "diag"]
    assert prog.pops.shape[0] == 6 and set(prog.pops[:, 2]) == set(range(1, 12, 2))
    assert np.all(prog.pops[:, 1] == 0)  # uncontrolled phases
    # each RZ's derivative is taken by the operation it left (initial ones included)
    assert np.all(prog.pops[:, 3] == 0)
    assert sorted(prog.zslot) == list(range(1, 12, 2))
    assert prog.init.shape == (3, 5) and np.all(prog.init[:, 4] > prog.init[:, 3])
    assert prog.n_run == 4 and not prog.real(True) and not prog.real(False)


def test_diagonal_tail_is_dropped_and_a_real_body_stays_real():
    a = Ansatz.from_gates(2, [("RY", 0), ("RY", 1), ("CZ", 0, 1), ("RZ", 0), ("RZ", 1)])
    prog = lower(compile_ansatz(a))
    assert _kinds(prog) == ["diag"] and prog.n_run == 0
    assert prog.real(True) and not prog.real(False)
    # without entanglers every layer fuses into the product state; the last RZ sinks to the end
    prog = lower(compile_ansatz(hardware_efficient(3, 3, rotations="RY+RZ", topology="none")))
    assert _kinds(prog) == ["diag"] and prog.n_run == 0 and prog.init.shape[0] == 3


def test_blocked_rz_stays_in_a_complex_operation():
    # CNOT targets qubit 1 right after its RZ: the RZ cannot pass, qubit 0's can (control)
    a = Ansatz.from_gates(2, [("H", 0), ("H", 1), ("CZ", 0, 1), ("RY", 0), ("RZ", 0), ("RY", 1),
                              ("RZ", 1), ("CNOT", 0, 1), ("RX", 1)])
    prog = lower(compile_ansatz(a))
    kinds = _kinds(prog)
    assert kinds.count("u1") == 2 and kinds.count("cnot") == 1
    assert kinds[-1] == "diag" and prog.pops[-1, 2] == 1  # qubit 0's RZ sank to the end


def test_an_operation_emptied_by_sinking_leaves_the_derivative_to_the_diagonal():
    a = Ansatz.from_gates(2, [("H", 0), ("H", 1), ("CZ", 0, 1), ("RZ", 0), ("RY", 1),
                              ("CZ", 0, 1)])
    prog = lower(compile_ansatz(a))
    own = {int(slot): int(flag) for _, _, slot, flag in prog.pops}
    assert own == {0: 1}  # the RZ alone: its U1 vanished, the diagonal layer differentiates it
    assert prog.zslot.size == 0


def test_runs_checkpoints_and_pairs_of_a_wide_layered_circuit():
    blocks = [hardware_efficient(10, 1, rotations="RY+RZ").shifted(0) for _ in range(4)]
    circuit, _ = encoded_circuit(blocks, "ry")
    prog = lower(compile_ansatz(circuit))
    ends = np.flatnonzero(prog.ops[:, 10] >= 0)
    assert prog.n_checkpoints == len(ends) == 3  # one run per layer after the first
    for k in ends:
        k0 = prog.ops[k, 10]
        run = prog.ops[k0:k + 1]
        assert len(run) == 10 and np.all(run[:, 0] == KIND["u1_real"])
        assert prog.ops[k0, 11] == prog.ops[k, 11]  # store before the run, restore after it
        first = run[run[:, 12] >= 0]
        assert len(first) == np.sum(run[:, 12] == -2)
        for row in first:
            partner = prog.ops[row[12]]
            assert min(row[1], partner[1]) >= PAIR_STRIDE and row[1] != partner[1]
