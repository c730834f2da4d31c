"""Noisy simulation benchmark: etr's density-matrix backend vs its QuTiP reference vs PennyLane
``default.mixed``, side by side in one run, on expectations with gradients.

Workload: hardware_efficient(n, 4, RY+RZ, CZ ring) at n = 6 and 8 qubits under
NoiseModel(depolarizing=0.01, amplitude_damping=0.02, phase_damping=0.01) (a channel after every
gate on each of its qubits), <Z_0> and its gradient w.r.t. every parameter for B random
parameter rows (B = 64 at 6 qubits, 16 at 8).

Columns (CPU seconds of this process, one thread for BLAS / numba; see each column):

* etr: `DensityMatrixBackend.expectation_vjp` over all B rows (adjoint through the dual
  channels, one forward and one backward sweep per row), best of 3 after a warm-up;
* QuTiP: `QutipDensityBackend` (Kraus maps on `Qobj` density matrices; parameter-shift
  gradients need 1 + 2P circuit runs per row): the time of one circuit run, measured on a few
  rows, times (1 + 2P) B;
* PennyLane: ``default.mixed`` with broadcasting over rows and backprop (autograd), the same
  channels (DepolarizingChannel(3p/4), AmplitudeDamping, PhaseDamping after every gate); measured
  on a subset of rows and scaled to B (per-row cost is constant). The largest difference between
  its gradients and etr's on that subset is printed as a check.

Ratios are X / etr from the same run. Targets: >= 100x QuTiP and >= 10x PennyLane.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import time
from collections.abc import Callable

import numpy as np
from _common import cpu_time
from threadpoolctl import threadpool_limits

from etr.circuits import Ansatz, hardware_efficient
from etr.quantum import DensityMatrixBackend, NoiseModel, QutipDensityBackend

NOISE = NoiseModel(depolarizing=0.01, amplitude_damping=0.02, phase_damping=0.01)
WORK = ((6, 64, 8), (8, 16, 2))  # (qubits, rows B, PennyLane subset)


def cpu_once(fn: Callable[[], object]) -> tuple[float, object]:
    t0 = time.process_time()
    out = fn()
    return time.process_time() - t0, out


def _pennylane():
    try:
        import pennylane as qml
        from pennylane import numpy as pnp
    except Exception:
        return None, None
    return qml, pnp


def pennylane_grad(qml, pnp, ansatz: Ansatz, noise: NoiseModel
                   ) -> Callable[[np.ndarray], object]:
    """Broadcast rows -> gradients of sum_b <Z_0>(theta_b) (rows are independent)."""
    dev = qml.device("default.mixed", wires=ansatz.n_qubits)

    @qml.qnode(dev, diff_method="backprop", interface="autograd")
    def cost(p):
        for g in ansatz.gates:
            wires = list(g.qubits)
            if g.kind.rotation:
                getattr(qml, g.name)(p[..., g.slot] if g.slot is not None else g.angle,
                                     wires=wires)
            else:
                {"CZ": qml.CZ, "CNOT": qml.CNOT, "H": qml.Hadamard}[g.name](wires=wires)
            for w in wires:
                qml.DepolarizingChannel(0.75 * noise.depolarizing, wires=w)
                qml.AmplitudeDamping(noise.amplitude_damping, wires=w)
                qml.PhaseDamping(noise.phase_damping, wires=w)
        return qml.expval(qml.PauliZ(0))

    grad = qml.grad(lambda p: pnp.sum(cost(p)))
    return lambda rows: grad(pnp.array(rows, requires_grad=True))


def main() -> None:
    qml, pnp = _pennylane()
    print("== noisy simulation: etr density matrices vs QuTiP reference vs PennyLane "
          "default.mixed (CPU s, one thread) ==")
    print(f"noise: {NOISE}")
    print(f"PennyLane: {qml.__version__ if qml else 'not installed (.[bench])'}")
    print(f"{'workload':30s} {'P':>4s} {'B':>4s} {'QuTiP':>10s} {'etr':>8s} {'PL mixed':>9s} "
          f"{'QuTiP/etr':>10s} {'PL/etr':>8s} {'max|dg| PL':>11s}")
    with threadpool_limits(1):
        for n, rows, subset in WORK:
            ansatz = hardware_efficient(n, 4, rotations="RY+RZ", topology="ring")
            obs = "Z" + "I" * (n - 1)
            theta = np.random.default_rng(0).uniform(0, 2 * np.pi, (rows, ansatz.n_params))
            fast = DensityMatrixBackend(NOISE)
            t_etr = cpu_time(lambda a=ansatz, th=theta, o=obs, b=fast: b.expectation_vjp(
                a, th, [o], np.ones((th.shape[0], 1))))
            ref = QutipDensityBackend(NOISE)
            ref.expectations(ansatz, theta[:1], [obs])  # warm-up: builds the expanded Kraus sets
            t_run, _ = cpu_once(lambda a=ansatz, th=theta, o=obs, r=ref: r.expectations(
                a, th[:2], [o]))
            t_qt = t_run / 2 * (1 + 2 * ansatz.n_params) * rows
            t_pl = diff = None
            if qml is not None:
                grad = pennylane_grad(qml, pnp, ansatz, NOISE)
                grad(theta[:1])  # warm-up
                t_sub, g_pl = cpu_once(lambda th=theta, s=subset, f=grad: f(th[:s]))
                t_pl = t_sub / subset * rows
                _, g_etr = fast.expectation_vjp(ansatz, theta[:subset], [obs],
                                                np.ones((subset, 1)))
                diff = float(np.abs(np.asarray(g_pl).reshape(subset, -1) - g_etr).max())
            label = f"hea {n}q L4 RY+RZ CZ ring"
            pl = "n/a" if t_pl is None else f"{t_pl:9.2f}"
            print(f"{label:30s} {ansatz.n_params:4d} {rows:4d} {t_qt:10.1f} {t_etr:8.3f} "
                  f"{pl:>9s} {t_qt / t_etr:9.0f}x "
                  f"{'n/a' if t_pl is None else f'{t_pl / t_etr:7.1f}x':>8s} "
                  f"{'n/a' if diff is None else f'{diff:.1e}':>11s}", flush=True)
    print("QuTiP: one circuit run timed on 2 rows x (1 + 2P) runs per row (parameter shift) x B; "
          "PennyLane: timed on a subset of rows (broadcast), scaled to B.")


if __name__ == "__main__":
    main()
