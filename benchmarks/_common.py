"""Helpers shared by the training and qulacs benchmarks (not a benchmark itself).

Times are CPU seconds of this process (`time.process_time`), best of a few repeats after a
warm-up call: every workload here runs on one thread (BLAS, numba and OpenMP limited to one), and
CPU time is far less disturbed than wall time when other jobs share the machine.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS",
             "QULACS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from etr.circuits import Ansatz  # noqa: E402
from etr.hybrid import HybridModel, load_task  # noqa: E402
from etr.plan import Architecture  # noqa: E402

threadpool_limits(1)  # BLAS may have been loaded before the variables above were set

#: the headline training step: 10 qubits, 10 layers, hybrid_full, 16 inits x 200 points.
STEP_ARCH = Architecture(n_qubits=10, layers=10, classical_pre="8-tanh", classical_post="8-tanh")
STEP_K, STEP_N = 16, 200


def cpu_time(fn: Callable[[], object], repeats: int = 3, *,
             clock: Callable[[], float] = time.process_time) -> float:
    """Best time of `repeats` calls of fn() after one warm-up call (numba compilation, caches),
    CPU time unless another `clock` is given (``time.perf_counter`` for wall time)."""
    fn()
    best = np.inf
    for _ in range(repeats):
        t0 = clock()
        fn()
        best = min(best, clock() - t0)
    return float(best)


def per_row(fn: Callable[[np.ndarray], object], rows: np.ndarray, *,
            clock: Callable[[], float] = time.process_time) -> float:
    """Seconds (CPU unless another `clock`) per call of fn(row) over `rows`, after two warm-up
    calls."""
    fn(rows[0])
    fn(rows[-1])
    t0 = clock()
    for row in rows:
        fn(row)
    return (clock() - t0) / len(rows)


def mcclean_ansatz(n_qubits: int, layers: int = 10) -> Ansatz:
    """McClean et al. 2018: RY(pi/4) on every qubit, then `layers` of (RY on every qubit, CZ
    chain)."""
    gates: list[tuple] = [("RY", q, np.pi / 4) for q in range(n_qubits)]
    for _ in range(layers):
        gates += [("RY", q) for q in range(n_qubits)]
        gates += [("CZ", q, q + 1) for q in range(n_qubits - 1)]
    return Ansatz.from_gates(n_qubits, gates, name=f"mcclean{n_qubits}")


def step_model(config: str = "hybrid_full", arch: Architecture = STEP_ARCH, k: int = STEP_K,
               n: int = STEP_N, backend=None) -> tuple[HybridModel, np.ndarray, np.ndarray,
                                                       np.ndarray]:
    """The model, K initial parameter rows and N training points of a training-step workload."""
    n_features = arch.n_qubits
    model = HybridModel(arch, config, n_features, backend=backend)
    task = load_task("synthetic", n_features=n_features, n_train=n, n_test=10, seed=0)
    return model, model.init_params(k, seed=0), task.x_train, task.y_train
