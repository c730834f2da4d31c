"""Quantum benchmark: etr's fast path vs QuTiP's own circuit simulation vs PennyLane, side by side.

Workloads (the ones the experiments run most):

* expressibility of sim11 (4 qubits, L=3, 5000 pairs = 10000 states) and of
  hardware_efficient(8, 4, RY+RZ, CZ ring) (2000 pairs = 4000 states);
* gradient variance of the McClean et al. 2018 ansatz (RY(pi/4) layer, then 10 layers of RY on
  every qubit and a CZ chain) at 8 and 10 qubits: all-parameter gradients of <Z0> at 200 random
  parameter vectors;
* the frame potential F_2 (all M (M - 1) / 2 pairs of M states) of hardware_efficient(n, 4,
  RY+RZ, CZ ring) at 8 and 10 qubits for M = 3000 and the default M, beside the Sim et al. KL of
  the same number of states (M / 2 pairs), with the time split into simulation and Gram sums.

Columns: QuTiP (`QubitCircuit` built and `run` per parameter vector, warmed up, extrapolated from a
subset; gradients by the parameter-shift rule), etr (fast batched path; adjoint gradients),
PennyLane default.qubit with parameter broadcasting (backprop for gradients) and lightning.qubit
(adjoint, one parameter vector at a time) when ``import pennylane`` works (``pip install -e
.[bench]``). Times are the best of a few repeats on one core; ratios are X time / etr time.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

import numpy as np
from _common import cpu_time, mcclean_ansatz, per_row
from threadpoolctl import threadpool_limits

from etr.circuits import Ansatz, hardware_efficient, sim_circuit
from etr.metrics import expressibility, frame_potential, gradient_variance
from etr.metrics.frame_potential import DEFAULT_N_STATES
from etr.quantum import compile_ansatz, parse_observable, qutip_statevector, statevectors

os.environ.setdefault("OMP_NUM_THREADS", "1")
N_SAMPLES_GV = 200
FP_STATES = (3000, DEFAULT_N_STATES)


def best_time(fn: Callable[[], object], repeats: int = 3) -> float:
    """Best wall time of `repeats` calls after a warm-up (the peers are timed the same way)."""
    return cpu_time(fn, repeats, clock=time.perf_counter)


def per_call(fn: Callable[[np.ndarray], object], params: np.ndarray) -> float:
    """Wall seconds per call of fn(row) over the rows of `params`, after two warm-up calls."""
    return per_row(fn, params, clock=time.perf_counter)


def memory_bandwidth() -> float:
    """Streaming copy bandwidth in bytes/s (read + write) of a 128 MB array."""
    a = np.ones(2**24)
    b = np.empty_like(a)
    np.copyto(b, a)
    t = best_time(lambda: np.copyto(b, a), repeats=5)
    return 2 * a.nbytes / t


# ------------------------------------------------------------------------------ QuTiP (reference)
def qutip_expressibility(ansatz: Ansatz, n_states: int, subset: int) -> float:
    rng = np.random.default_rng(0)
    params = rng.uniform(0, 2 * np.pi, (subset, ansatz.n_params))
    return per_call(lambda p: qutip_statevector(ansatz, p).full(), params) * n_states


def qutip_parameter_shift(ansatz: Ansatz, obs: str, subset: int) -> float:
    """Per circuit run times the 2 P runs per sample of the parameter-shift rule."""
    rng = np.random.default_rng(0)
    params = rng.uniform(0, 2 * np.pi, (subset, ansatz.n_params))
    op = parse_observable(obs, ansatz.n_qubits)
    t = per_call(lambda p: op.expectation(qutip_statevector(ansatz, p).full().T), params)
    return t * 2 * ansatz.n_params * N_SAMPLES_GV


# ------------------------------------------------------------------------------------ PennyLane
def _pennylane():
    try:
        import pennylane as qml
    except Exception:
        return None
    return qml


def _pl_apply(qml, ansatz: Ansatz, params) -> None:
    for g in ansatz.gates:
        angle = params[..., g.slot] if g.slot is not None else g.angle
        w = list(g.qubits)
        if g.name in ("RX", "RY", "RZ", "CRX", "CRY", "CRZ"):
            getattr(qml, g.name)(angle, wires=w)
        else:
            {"H": qml.Hadamard, "X": qml.PauliX, "Y": qml.PauliY, "Z": qml.PauliZ, "S": qml.S,
             "T": qml.T, "CZ": qml.CZ, "CNOT": qml.CNOT, "SWAP": qml.SWAP}[g.name](wires=w)


def pennylane_expressibility(qml, ansatz: Ansatz, n_pairs: int) -> float:
    dev = qml.device("default.qubit", wires=ansatz.n_qubits)

    @qml.qnode(dev, interface=None)
    def state(p):
        _pl_apply(qml, ansatz, p)
        return qml.state()

    rng = np.random.default_rng(0)

    def run() -> float:
        draws = rng.uniform(0, 2 * np.pi, (2, n_pairs, ansatz.n_params))
        a, b = np.asarray(state(draws[0])), np.asarray(state(draws[1]))
        return np.abs(np.einsum("bi,bi->b", a.conj(), b)) ** 2

    return best_time(run, repeats=2)


def pennylane_backprop(qml, ansatz: Ansatz) -> float:
    from pennylane import numpy as pnp

    dev = qml.device("default.qubit", wires=ansatz.n_qubits)

    @qml.qnode(dev, diff_method="backprop", interface="autograd")
    def cost(p):
        _pl_apply(qml, ansatz, p)
        return qml.expval(qml.PauliZ(0))

    rng = np.random.default_rng(0)
    params = pnp.array(rng.uniform(0, 2 * np.pi, (N_SAMPLES_GV, ansatz.n_params)),
                       requires_grad=True)
    grad = qml.grad(lambda p: pnp.sum(cost(p)))  # samples are independent: rows = gradients
    return best_time(lambda: grad(params), repeats=2)


def lightning_adjoint(qml, ansatz: Ansatz, subset: int = 20) -> float | None:
    try:
        dev = qml.device("lightning.qubit", wires=ansatz.n_qubits)
    except Exception:
        return None
    from pennylane import numpy as pnp

    @qml.qnode(dev, diff_method="adjoint")
    def cost(p):
        _pl_apply(qml, ansatz, p)
        return qml.expval(qml.PauliZ(0))

    grad = qml.grad(cost)
    rng = np.random.default_rng(0)
    params = rng.uniform(0, 2 * np.pi, (subset, ansatz.n_params))
    return per_call(lambda p: grad(pnp.array(p, requires_grad=True)), params) * N_SAMPLES_GV


# ----------------------------------------------------------------------------------------- main
def _fmt(t: float | None) -> str:
    return "      n/a" if t is None else f"{t:9.3f}"


def _ratio(t: float | None, ref: float) -> str:
    return "    n/a" if t is None else f"{t / ref:7.1f}x"


def main(argv: list[str] | None = None) -> None:
    """All workloads on one core (BLAS limited to one thread); ``fp`` runs only the frame
    potential rows."""
    args = sys.argv[1:] if argv is None else argv
    with threadpool_limits(1):
        if "fp" not in args:
            simulation_rows()
        frame_potential_rows()


def simulation_rows() -> None:
    qml = _pennylane()
    print("== quantum simulation: etr fast path vs QuTiP vs PennyLane (seconds, one core) ==")
    print(f"PennyLane: {'available ' + qml.__version__ if qml else 'not installed (.[bench])'}")
    header = (f"{'workload':34s} {'QuTiP':>9s} {'etr':>9s} {'PL dq':>9s} {'PL light':>9s}"
              f" {'QuTiP/etr':>9s} {'PL/etr':>8s} {'light/etr':>9s}")
    print(header)
    bandwidth = memory_bandwidth()
    rows: list[tuple[str, float, int, int, int]] = []

    work = [("expressibility sim11 4q L3 5000p", sim_circuit(11, 4, 3), 5000, 60),
            ("expressibility hea 8q L4 ring 2000p",
             hardware_efficient(8, 4, rotations="RY+RZ", topology="ring", entangler="CZ"),
             2000, 30)]
    for label, ansatz, n_pairs, subset in work:
        t_etr = best_time(lambda a=ansatz, n=n_pairs: expressibility(a, n_pairs=n, seed=0,
                                                                     n_boot=0))
        t_qt = qutip_expressibility(ansatz, 2 * n_pairs, subset)
        t_pl = pennylane_expressibility(qml, ansatz, n_pairs) if qml else None
        print(f"{label:34s} {_fmt(t_qt)} {_fmt(t_etr)} {_fmt(t_pl)} {_fmt(None)}"
              f" {_ratio(t_qt, t_etr):>9s} {_ratio(t_pl, t_etr):>8s} {'n/a':>9s}", flush=True)
        rows.append((label, t_etr, 2 * n_pairs, ansatz.n_qubits, ansatz.n_gates))

    for n in (8, 10):
        ansatz = mcclean_ansatz(n)
        obs = "Z" + "I" * (n - 1)
        t_etr = best_time(lambda a=ansatz, o=obs: gradient_variance(a, observable=o,
                                                                    n_samples=N_SAMPLES_GV,
                                                                    seed=0))
        t_qt = qutip_parameter_shift(ansatz, obs, subset=10)
        t_pl = pennylane_backprop(qml, ansatz) if qml else None
        t_li = lightning_adjoint(qml, ansatz) if qml else None
        label = f"grad variance McClean {n}q L10 200s"
        print(f"{label:34s} {_fmt(t_qt)} {_fmt(t_etr)} {_fmt(t_pl)} {_fmt(t_li)}"
              f" {_ratio(t_qt, t_etr):>9s} {_ratio(t_pl, t_etr):>8s} {_ratio(t_li, t_etr):>9s}",
              flush=True)
        # forward + backward sweep: about 3 passes over the amplitudes per gate
        rows.append((label, t_etr, 3 * N_SAMPLES_GV, n, ansatz.n_gates))

    print("QuTiP times are extrapolated from a subset of parameter vectors (per-vector cost is "
          "constant);\nQuTiP gradients = 2 P circuit runs per sample (parameter shift).")
    print(f"\nmemory bandwidth (numpy copy, read+write): {bandwidth / 1e9:.1f} GB/s -> a gate "
          f"pass streaming complex128 in and out costs >= {32 / bandwidth * 1e9:.2f} ns/amplitude "
          "from DRAM (chunks stay in cache)")
    for label, t, n_states, n_q, n_gates in rows:
        amps = n_states * 2**n_q
        c = compile_ansatz_summary(label)
        print(f"{label:34s} {t / (amps * n_gates) * 1e9:6.2f} ns per amplitude per gate "
              f"({n_gates} gates{c})")


def best_wall_cpu(fn: Callable[[], object], repeats: int = 3) -> tuple[float, float]:
    """Best wall-clock and best process-CPU seconds of `fn` (CPU time is what one core spends;
    on a shared machine wall time is larger)."""
    fn()
    wall = cpu = np.inf
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall = min(wall, time.perf_counter() - w0)
        cpu = min(cpu, time.process_time() - c0)
    return float(wall), float(cpu)


def frame_potential_rows() -> None:
    """Frame potential (all pairs) vs Sim KL at equal numbers of states, 8 and 10 qubits."""
    print("\n== frame potential F_2 (all pairs of M states) vs Sim KL (M/2 pairs), one core ==")
    print(f"{'workload':26s} {'M':>5s} {'FP wall':>8s} {'FP CPU':>7s} {'sim CPU':>7s} "
          f"{'KL wall':>8s} {'KL CPU':>7s} {'FP ns/amp':>9s} {'Gram ns/pair-amp':>16s} "
          f"{'rel SE':>7s}")
    for n in (8, 10):
        ansatz = hardware_efficient(n, 4, rotations="RY+RZ", topology="ring", entangler="CZ")
        for m in FP_STATES:
            res = frame_potential(ansatz, n_states=m, seed=0)
            w_fp, c_fp = best_wall_cpu(lambda a=ansatz, m=m: frame_potential(a, n_states=m,
                                                                               seed=0))
            params = np.random.default_rng(0).uniform(0, 2 * np.pi, (m, ansatz.n_params))
            _, c_sim = best_wall_cpu(lambda a=ansatz, p=params: statevectors(a, p))
            w_kl, c_kl = best_wall_cpu(lambda a=ansatz, m=m: expressibility(a, n_pairs=m // 2,
                                                                             seed=0, n_boot=0))
            amps = m * 2**n
            pair_amps = m * (m - 1) / 2 * 2**n
            label = f"hea {n}q L4 RY+RZ CZ ring"
            print(f"{label:26s} {m:5d} {w_fp:8.3f} {c_fp:7.3f} {c_sim:7.3f} {w_kl:8.3f} "
                  f"{c_kl:7.3f} {c_fp / amps * 1e9:9.1f} {(c_fp - c_sim) / pair_amps * 1e9:16.4f} "
                  f"{res.se / res.estimate:7.4f}", flush=True)
    print("seconds, best of 3. FP ns/amp: FP CPU time per amplitude of the M simulated states; "
          "Gram ns/pair-amp:\n(FP - simulation) CPU time per pair and amplitude (3 real dgemm "
          "products for complex states).\nsim = simulation alone. KL = Sim et al. KL from the "
          "same number of states (M/2 pairs, 75 bins, no bootstrap).")


def compile_ansatz_summary(label: str) -> str:
    ansatz = {"expressibility sim11 4q L3 5000p": sim_circuit(11, 4, 3),
              "expressibility hea 8q L4 ring 2000p": hardware_efficient(
                  8, 4, rotations="RY+RZ", topology="ring", entangler="CZ")}.get(label)
    if ansatz is None:
        ansatz = mcclean_ansatz(int(label.split()[3].rstrip("q")))
    c = compile_ansatz(ansatz)
    kind = "real" if c.real else "complex"
    return f" fused into {len(c.initial)} product-state + {len(c.ops)} ops, {kind} arithmetic"


if __name__ == "__main__":
    main()
