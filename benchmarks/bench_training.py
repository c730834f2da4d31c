"""Training benchmark: time per run and per optimiser step of `etr.hybrid.evaluate_run`.

Cases: a 4-qubit, 2-layer model (K=8 inits, T=50 steps, 200 training points) in all three training
configurations, and a 6-qubit, 3-layer ``hybrid_full`` run (200 points, 100 steps, K=16). For the
small case the K stacked initialisations are also timed against a Python loop over single models
(same work, one quantum call per model instead of one for all K), side by side in one run.
"""

from __future__ import annotations

import time

import numpy as np

from etr.hybrid import Architecture, HybridModel, RunSettings, evaluate_run, load_task


def _best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _stacked_vs_loop(arch: Architecture, k: int, steps: int) -> tuple[float, float]:
    model = HybridModel(arch, "hybrid_full", 4)
    task = load_task("synthetic", n_features=4, n_train=200, n_test=10, seed=0)
    params = model.init_params(k, seed=0)

    def stacked():
        for _ in range(steps):
            model.loss_and_grad(params, task.x_train, task.y_train)

    def loop():
        for _ in range(steps):
            for j in range(k):
                model.loss_and_grad(params[j], task.x_train, task.y_train)

    return _best(stacked, 2), _best(loop, 2)


def _quantum_share(arch: Architecture, k: int, steps: int) -> tuple[float, float]:
    """Time of `loss_and_grad` vs its two quantum calls alone on the same circuit rows."""
    from etr.quantum import expectation_vjp, expectations

    model = HybridModel(arch, "hybrid_full", 4)
    task = load_task("synthetic", n_features=4, n_train=200, n_test=10, seed=0)
    params = model.init_params(k, seed=0)
    rows, _ = model._rows(params, task.x_train)
    cot = np.ones((rows.shape[0], len(model.observables)))

    def full():
        for _ in range(steps):
            model.loss_and_grad(params, task.x_train, task.y_train)

    def quantum():
        for _ in range(steps):
            expectations(model.circuit, rows, model.observables)
            expectation_vjp(model.circuit, rows, model.observables, cot)

    return _best(full, 3), _best(quantum, 3)


def main() -> None:
    print("== etr.hybrid training (evaluate_run) ==")
    small = Architecture(n_qubits=4, layers=2, classical_pre="8-tanh", classical_post="8-tanh")
    s_small = RunSettings(n_init=8, steps=50, n_train=200, n_test=200)
    evaluate_run(small, "hybrid_full", 0, s_small)  # warm-up (compilation caches)
    for config in ("pure_pqc", "hybrid_quantum_only", "hybrid_full"):
        t = _best(lambda c=config: evaluate_run(small, c, 0, s_small))
        print(f"4 qubits L=2 {config:<20} K=8 T=50 N=200: {t:7.3f} s/run "
              f"{1e3 * t / 50:7.2f} ms/step")
    t_stack, t_loop = _stacked_vs_loop(small, 8, 10)
    print(f"loss_and_grad, K=8 stacked vs loop over models (10 steps): {t_stack:.3f} s vs "
          f"{t_loop:.3f} s (x{t_loop / t_stack:.1f})")
    t_all, t_q = _quantum_share(small, 8, 20)
    print(f"loss_and_grad K=8: {1e3 * t_all / 20:.2f} ms/step, of which quantum calls "
          f"{1e3 * t_q / 20:.2f} ms ({100 * t_q / t_all:.0f}%)")
    big = Architecture(n_qubits=6, layers=3, classical_pre="8-tanh", classical_post="8-tanh")
    s_big = RunSettings(n_init=16, steps=100, n_train=200, n_test=200)
    t = _best(lambda: evaluate_run(big, "hybrid_full", 0, s_big), 1)
    print(f"6 qubits L=3 hybrid_full          K=16 T=100 N=200: {t:7.3f} s/run "
          f"{1e3 * t / 100:7.2f} ms/step")
    rows = 16 * 200
    print(f"  ({rows} circuit rows per step; {1e9 * t / 100 / rows:.0f} ns per row per step)")


if __name__ == "__main__":
    main()
