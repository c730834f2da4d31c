"""etr against qulacs (a fast C++ state-vector simulator), side by side, one thread each.

Workloads:

* expressibility states: all states and pair fidelities of ``expressibility`` for sim11 (4 qubits,
  L=3, 5000 pairs) and hardware_efficient(8, 4, RY+RZ, CZ ring) (2000 pairs). qulacs: one
  `ParametricQuantumCircuit`, parameters set per vector, `update_quantum_state`, then
  `inner_product` per pair;
* gradient variance of the McClean et al. 2018 ansatz at 10, 12 and 14 qubits: all gradients of
  <Z_0> at 200 random parameter vectors. qulacs has no batched adjoint method; it offers
  ``ParametricQuantumCircuit.backprop(observable)`` (reverse-mode gradient of one state), called
  per parameter vector;
* one training step of the 10-qubit, 10-layer ``hybrid_full`` model (16 inits x 200 points:
  3200 circuit rows of 300 gates, every gradient including the input angles). qulacs: per row, a
  forward pass and the 10 <Z_q>; then the cotangent of every row (the post-network's backward
  pass, vectorised numpy, not timed); then per row ``backprop`` of the weighted observable
  sum_q w_q Z_q, which simulates the circuit again: two forward passes and one backward pass
  per row, against etr's one of each.

qulacs convention checks run first: its RX(t) is exp(+i t X / 2) (etr: exp(-i t X / 2)) and its
qubit 0 is the least significant bit (etr: the most significant), so angles are negated and
qubits mirrored; states and gradients agree with etr to 1e-12. Rows are timed on a subset and
extrapolated (the cost per row is constant). Needs ``pip install qulacs`` (the ``bench`` extra).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _common import cpu_time, mcclean_ansatz, per_row, step_model

from etr.circuits import Ansatz, hardware_efficient, sim_circuit
from etr.metrics import expressibility, gradient_variance
from etr.quantum import expectation_and_gradient, statevectors


def _qulacs():
    try:
        import qulacs
    except ImportError:
        return None
    return qulacs


def to_qulacs(qulacs, ansatz: Ansatz):
    """The circuit as a qulacs `ParametricQuantumCircuit` and, per qulacs parameter, the etr
    slot it reads (set it to minus the etr angle)."""
    n = ansatz.n_qubits
    circuit = qulacs.ParametricQuantumCircuit(n)
    slots: list[int] = []
    for g in ansatz.gates:
        q = [n - 1 - x for x in g.qubits]
        if g.name in ("RX", "RY", "RZ"):
            if g.slot is None:
                getattr(circuit, f"add_{g.name}_gate")(q[0], -g.angle)
            else:
                getattr(circuit, f"add_parametric_{g.name}_gate")(q[0], 0.0)
                slots.append(g.slot)
        elif g.name in ("H", "X", "Y", "Z", "S", "T"):
            getattr(circuit, f"add_{g.name}_gate")(q[0])
        elif g.name in ("CZ", "CNOT", "SWAP"):
            getattr(circuit, f"add_{g.name}_gate")(q[0], q[1])
        else:
            raise ValueError(f"{g.name} has no qulacs parametric form here")
    return circuit, np.asarray(slots, dtype=int)


def _set(circuit, slots: np.ndarray, row: np.ndarray) -> None:
    for j, value in enumerate(-row[slots]):
        circuit.set_parameter(j, float(value))


def _z_observable(qulacs, n: int, weights: np.ndarray):
    obs = qulacs.Observable(n)
    for q, w in enumerate(weights):
        obs.add_operator(float(w), f"Z {n - 1 - q}")
    return obs


def check_conventions(qulacs) -> float:
    """Largest deviation of qulacs states and gradients from etr's on two test circuits."""
    worst = 0.0
    rng = np.random.default_rng(0)
    for ansatz in (sim_circuit(11, 4, 2), mcclean_ansatz(5, 3)):
        circuit, slots = to_qulacs(qulacs, ansatz)
        p = rng.uniform(0, 2 * np.pi, size=(2, ansatz.n_params))
        ref = statevectors(ansatz, p)
        _, grads = expectation_and_gradient(ansatz, p, "Z" + "I" * (ansatz.n_qubits - 1))
        obs = _z_observable(qulacs, ansatz.n_qubits, np.eye(ansatz.n_qubits)[0])
        for b in range(2):
            _set(circuit, slots, p[b])
            state = qulacs.QuantumState(ansatz.n_qubits)
            circuit.update_quantum_state(state)
            worst = max(worst, np.abs(state.get_vector() - ref[b]).max())
            g = np.zeros(ansatz.n_params)
            np.add.at(g, slots, -np.asarray(circuit.backprop(obs)))
            worst = max(worst, np.abs(g - grads[b]).max())
    return float(worst)


def qulacs_fidelities(qulacs, ansatz: Ansatz, n_pairs: int, subset: int) -> float:
    circuit, slots = to_qulacs(qulacs, ansatz)
    rng = np.random.default_rng(0)
    draws = rng.uniform(0, 2 * np.pi, size=(subset, 2, ansatz.n_params))
    a = qulacs.QuantumState(ansatz.n_qubits)
    b = qulacs.QuantumState(ansatz.n_qubits)

    def pair(rows: np.ndarray) -> float:
        for state, row in ((a, rows[0]), (b, rows[1])):
            _set(circuit, slots, row)
            state.set_zero_state()
            circuit.update_quantum_state(state)
        return abs(qulacs.state.inner_product(a, b)) ** 2

    return per_row(pair, draws) * n_pairs


def qulacs_gradients(qulacs, ansatz: Ansatz, n_samples: int, subset: int) -> float:
    circuit, slots = to_qulacs(qulacs, ansatz)
    obs = _z_observable(qulacs, ansatz.n_qubits, np.eye(ansatz.n_qubits)[0])
    params = np.random.default_rng(0).uniform(0, 2 * np.pi, size=(subset, ansatz.n_params))

    def grad(row: np.ndarray) -> list[float]:
        _set(circuit, slots, row)
        return circuit.backprop(obs)

    return per_row(grad, params) * n_samples


def qulacs_training_step(qulacs, subset: int = 200) -> float:
    """CPU seconds of the quantum part of one training step, extrapolated from `subset` rows."""
    model, params, x, _ = step_model()
    rows, _ = model._rows(params, x)
    n = model.circuit.n_qubits
    circuit, slots = to_qulacs(qulacs, model.circuit)
    z_ops = [_z_observable(qulacs, n, np.eye(n)[q]) for q in range(n)]
    weights = np.random.default_rng(1).normal(size=(rows.shape[0], n))  # shape of dL/dz
    state = qulacs.QuantumState(n)
    pick = np.linspace(0, rows.shape[0] - 1, subset).astype(int)

    def forward(b: int) -> list[float]:
        _set(circuit, slots, rows[b])
        state.set_zero_state()
        circuit.update_quantum_state(state)
        return [o.get_expectation_value(state) for o in z_ops]

    def backward(b: int) -> list[float]:
        _set(circuit, slots, rows[b])
        return circuit.backprop(_z_observable(qulacs, n, weights[b]))

    return (per_row(forward, pick) + per_row(backward, pick)) * rows.shape[0]


def main() -> None:
    qulacs = _qulacs()
    print("== etr vs qulacs (CPU seconds, one thread each; ratio = qulacs / etr) ==")
    if qulacs is None:
        print("qulacs not installed (pip install -e .[bench]); skipped")
        return
    print(f"qulacs {qulacs.__version__}; convention check: max |qulacs - etr| = "
          f"{check_conventions(qulacs):.1e} (states and gradients)")
    print(f"{'workload':44s} {'qulacs':>9s} {'etr':>9s} {'ratio':>8s}")

    def line(label: str, t_q: float, t_e: float) -> None:
        print(f"{label:44s} {t_q:9.3f} {t_e:9.3f} {t_q / t_e:7.1f}x", flush=True)

    for label, ansatz, n_pairs, subset in (
        ("expressibility states sim11 4q L3 5000p", sim_circuit(11, 4, 3), 5000, 1000),
        ("expressibility states hea 8q L4 ring 2000p",
         hardware_efficient(8, 4, rotations="RY+RZ", topology="ring", entangler="CZ"), 2000, 400),
    ):
        t_e = cpu_time(lambda a=ansatz, m=n_pairs: expressibility(a, n_pairs=m, seed=0,
                                                                  n_boot=0))
        line(label, qulacs_fidelities(qulacs, ansatz, n_pairs, subset), t_e)
    for n_q in (10, 12, 14):
        ansatz = mcclean_ansatz(n_q)
        obs = "Z" + "I" * (n_q - 1)
        t_e = cpu_time(lambda a=ansatz, o=obs: gradient_variance(a, observable=o, n_samples=200,
                                                                  seed=0), repeats=2)
        t_q = qulacs_gradients(qulacs, ansatz, 200, subset=40 if n_q < 14 else 10)
        line(f"grad variance McClean {n_q}q L10 200s (backprop)", t_q, t_e)
    model, params, x, y = step_model()
    t_e = cpu_time(lambda: model.loss_and_grad(params, x, y), repeats=2)
    line("training step 10q L10 hybrid_full 16x200", qulacs_training_step(qulacs), t_e)
    print("etr's training step includes the classical networks; qulacs's only its circuits.")
