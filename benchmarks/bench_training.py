"""Training benchmark: one optimiser step, its rate against what one core can do, whole runs, and
the cost of finite shots.

1. The headline step: 10 qubits, 10 layers (RY+RZ, CZ linear, RY encoding), ``hybrid_full`` with
   8-tanh pre- and post-networks, 16 inits x 200 points = 3200 circuit rows of 300 gates (210
   parameters), on both simulation engines side by side (`etr.quantum.statevector`: the
   operation-by-operation kernels, and the row-by-row kernels the step uses from
   `ROW_ENGINE_QUBITS` qubits on), with the step's split between the forward and the adjoint
   kernels and the rest (values, the classical networks, Python). "two passes" is the step as
   it was before the cotangent callback (`expectations`, then a VJP: every row simulated forward
   twice).
2. The 2x2 kernels per amplitude, side by side in one process, per stride of a 10-qubit row:
   the forward pass of a complex and of a real 2x2 and the adjoint pass of a real operation
   (its sum and its un-apply), operation by operation over a 64-row chunk
   (`etr.quantum._kernels_split`, `_kernels`) and row by row (`etr.quantum._kernels_rows`).
3. `evaluate_run` per training configuration (4 qubits, L=2, K=8, T=50, 200 points).
4. Finite shots (`RunSettings.shots`): the cost of one step with S = 1000 shots per circuit and
   Pauli at 4, 6, 8 and 10 qubits (L = 2 and 10, 16 x 200 rows, measured on 200 rows and scaled:
   the cost is linear in rows), against the exact step.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _common import STEP_K, STEP_N, cpu_time, step_model

from etr.hybrid import evaluate_run
from etr.hybrid.model import _bce, _sigmoid
from etr.plan import Architecture, RunSettings
from etr.quantum import ShotBackend, expectation_vjp, expectations, shift_rule


def two_pass_step(model, p: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The step before the cotangent callback: forward for the values, then forward + backward."""
    k, n, m = p.shape[0], x.shape[0], len(model.observables)
    rows, pre_cache = model._rows(p, x)
    z = expectations(model.circuit, rows, model.observables).reshape(k, n, m)
    logit, post_cache = model._post_forward(p, z)
    _bce(logit, y)
    _, g_z = model._post_backward(p, post_cache, (_sigmoid(logit) - y) / n, m)
    _, g_rows = expectation_vjp(model.circuit, rows, model.observables, g_z.reshape(k * n, m))
    g_rows = g_rows.reshape(k, n, -1)
    model.pre.backward(p[:, model.blocks["pre"]], pre_cache, g_rows[:, :, :model.n_inputs])
    return g_rows


def _split(model, p, x, y) -> dict[str, float]:
    """CPU seconds of one step spent in the row kernels' forward and adjoint calls."""
    import time

    from etr.quantum import _kernels_rows as KR

    spent = {"forward_rows": 0.0, "adjoint_rows": 0.0}
    originals = {name: getattr(KR, name) for name in spent}

    def timed(name):
        def call(*args):
            t0 = time.process_time()
            out = originals[name](*args)
            spent[name] += time.process_time() - t0
            return out
        return call

    try:
        for name in spent:
            setattr(KR, name, timed(name))
        model.loss_and_grad(p, x, y)
    finally:
        for name, fn in originals.items():
            setattr(KR, name, fn)
    return spent


def step_section() -> None:
    import etr.quantum.statevector as SV

    model, p, x, y = step_model()
    rows = STEP_K * STEP_N
    gates = model.circuit.n_gates
    print(f"step 10q L10 hybrid_full {STEP_K}x{STEP_N} ({gates} gates, {rows} circuit rows):")
    default = SV.ROW_ENGINE_QUBITS
    times = {}
    try:
        for engine, threshold in (("operation by operation", 99), ("row by row", 0)):
            SV.ROW_ENGINE_QUBITS = threshold
            times[engine] = cpu_time(lambda: model.loss_and_grad(p, x, y), repeats=3)
        SV.ROW_ENGINE_QUBITS = 99
        t_two = cpu_time(lambda: two_pass_step(model, p, x, y), repeats=2)
    finally:
        SV.ROW_ENGINE_QUBITS = default
    for engine, t in times.items():
        print(f"  {engine:24s} {t:6.3f} s   {t / rows / gates * 1e9:5.1f} ns per row and gate")
    ratio = times["operation by operation"] / times["row by row"]
    print(f"  row engine / operation engine: x{ratio:.2f}; two forward passes (operation "
          f"engine, before the cotangent callback): {t_two:6.3f} s")
    spent = _split(model, p, x, y)
    t_now = times["row by row"]
    rest = t_now - sum(spent.values())
    print(f"  split of a row-engine step: forward {spent['forward_rows']:.3f} s, adjoint "
          f"{spent['adjoint_rows']:.3f} s, values / classical networks / Python {rest:.3f} s")


@functools.lru_cache(maxsize=1)
def _kernel_drivers():
    """numba loops calling the row kernels row after row (no Python between rows)."""
    import numba as nb

    from etr.quantum import _kernels_rows as KR

    @nb.njit
    def cplx_rows(re, im, s, m, reps):
        for _ in range(reps):
            for b in range(re.shape[0]):
                KR._cplx2(re[b], im[b], s, m)

    @nb.njit
    def real_rows(re, im, s, reps):
        for _ in range(reps):
            for b in range(re.shape[0]):
                KR._real2(re[b], s, 0.6, -0.8, 0.8, 0.6)
                KR._real2(im[b], s, 0.6, -0.8, 0.8, 0.6)

    @nb.njit
    def back_rows(lr, li, pr, pi, s, t, reps):
        acc = 0.0
        for _ in range(reps):
            for b in range(lr.shape[0]):
                acc += KR._sum_real(lr[b], li[b], pr[b], pi[b], True, s, t)
                KR._real2(lr[b], s, 0.6, 0.8, -0.8, 0.6)
                KR._real2(li[b], s, 0.6, 0.8, -0.8, 0.6)
        return acc

    return cplx_rows, real_rows, back_rows


def kernels_section(n_qubits: int = 10, rows: int = 64, reps: int = 20) -> None:
    """ns per amplitude of the 2x2 passes, operation kernels vs row kernels, side by side."""
    from etr.quantum import _kernels as K
    from etr.quantum import _kernels_split as KS

    cplx_rows, real_rows, back_rows = _kernel_drivers()
    rng = np.random.default_rng(0)
    dim = 2**n_qubits
    lam = rng.normal(size=(2, rows, dim)) / np.sqrt(dim)
    phi = rng.normal(size=(2, rows, dim)) / np.sqrt(dim)
    real = rng.normal(size=(rows, dim)) / np.sqrt(dim)
    u = np.array([[0.6, -0.8j], [-0.8j, 0.6]]) * np.exp(0.3j)
    us = np.ascontiguousarray(np.repeat(u[None], rows, axis=0))
    ur = np.ascontiguousarray(np.repeat(np.array([[[0.6, -0.8], [0.8, 0.6]]]), rows, axis=0))
    m = (complex(u[0, 0]), complex(u[0, 1]), complex(u[1, 0]), complex(u[1, 1]))
    t = np.empty(dim // 2)
    amps = rows * dim * reps

    def ns(fn) -> float:
        return cpu_time(fn, repeats=3) / amps * 1e9

    print(f"2x2 kernels, ns per amplitude ({n_qubits} qubits, {rows} rows; operation kernels over "
          "the chunk | row kernels row by row):")
    print(f"{'stride':>7s} {'complex fwd':>17s} {'real fwd':>17s} {'real adjoint':>17s}")
    for s in (dim // 2, 64, 8, 4, 2, 1):
        old_c = ns(lambda s=s: [KS.u1_apply(phi[0], phi[1], s, us) for _ in range(reps)])
        new_c = ns(lambda s=s: cplx_rows(phi[0], phi[1], s, m, reps))
        old_r = ns(lambda s=s: [K.u1_apply(real, s, ur) for _ in range(reps)]) * 2
        new_r = ns(lambda s=s: real_rows(phi[0], phi[1], s, reps))
        old_b = ns(lambda s=s: [KS.u1_reduce(lam[0], lam[1], phi[0], phi[1], s, us, True)
                                for _ in range(reps)])
        new_b = ns(lambda s=s: back_rows(lam[0], lam[1], phi[0], phi[1], s, t, reps))
        print(f"{s:7d} {old_c:8.2f} | {new_c:6.2f} {old_r:8.2f} | {new_r:6.2f} "
              f"{old_b:8.2f} | {new_b:6.2f}", flush=True)
    print("  (real fwd: both parts of a complex state; the operation kernel's column is two "
          "float64 passes. Real adjoint: the old kernel's reduce + un-apply of both states, the "
          "row engine's sum + un-apply of lambda, phi restored from a checkpoint)")


def runs_section() -> None:
    small = Architecture(n_qubits=4, layers=2, classical_pre="8-tanh", classical_post="8-tanh")
    settings = RunSettings(n_init=8, steps=50, n_train=200, n_test=200)
    for config in ("pure_pqc", "hybrid_quantum_only", "hybrid_full"):
        t = cpu_time(lambda c=config: evaluate_run(small, c, 0, settings), repeats=2)
        print(f"evaluate_run 4q L2 {config:<20} K=8 T=50 N=200 (all definitions): "
              f"{t:6.3f} s/run")


def shots_section(shots: int = 1000, rows_measured: int = 200) -> None:
    print(f"finite shots, S = {shots}: seconds per step of {STEP_K}x{STEP_N} rows "
          f"(measured on {rows_measured} rows, scaled)")
    print(f"{'':24s} {'exact':>9s} {'shots':>9s} {'ratio':>8s} {'circuits/row':>13s}")
    for layers in (2, 10):
        for n_q in (4, 6, 8, 10):
            arch = Architecture(n_qubits=n_q, layers=layers, classical_pre="8-tanh",
                                classical_post="8-tanh")
            for config in ("hybrid_full", "pure_pqc"):
                model, p, x, y = step_model(config, arch, k=1, n=rows_measured)
                noisy = model.with_backend(ShotBackend(shots, seed=0))
                scale = STEP_K * STEP_N / rows_measured
                t_exact = cpu_time(lambda m=model, p=p, x=x, y=y: m.loss_and_grad(p, x, y),
                                   repeats=2) * scale
                t_shot = cpu_time(lambda m=noisy, p=p, x=x, y=y: m.loss_and_grad(p, x, y),
                                  repeats=1) * scale
                terms = shift_rule(model.circuit, model._grad_slots).n_terms
                print(f"{n_q:2d}q L{layers:<2d} {config:<15s} {t_exact:9.3f} {t_shot:9.2f} "
                      f"{t_shot / t_exact:7.0f}x {1 + terms:13d}", flush=True)


def main() -> None:
    print("== etr.hybrid training (CPU seconds, one thread) ==")
    step_section()
    kernels_section()
    runs_section()
    shots_section()
