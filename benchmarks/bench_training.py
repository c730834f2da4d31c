"""Training benchmark: one optimiser step, its rate against what one core can do, whole runs, and
the cost of finite shots.

1. The headline step: 10 qubits, 10 layers (RY+RZ, CZ linear, RY encoding), ``hybrid_full`` with
   8-tanh pre- and post-networks, 16 inits x 200 points = 3200 circuit rows of 300 gates (210
   parameters). "two passes" is the step as it was (`expectations`, then a VJP with the
   cotangent from those values: every row simulated forward twice); "one pass" is
   `HybridModel.loss_and_grad` (the VJP's cotangent is a function of the values, so its forward
   pass serves both). The rate counts amplitude updates of the kernel passes of one step
   (forward: one pass per fused operation; backward: the reduction and the un-apply of both
   states, three passes per operation) against `_common.core_limits`: the in-cache streaming rate
   (one read and one write per amplitude, the ceiling of any pass) and the vectorised FMA peak.
2. `evaluate_run` per training configuration (4 qubits, L=2, K=8, T=50, 200 points).
3. Finite shots (`RunSettings.shots`): the cost of one step with S = 1000 shots per circuit and
   Pauli at 4, 6, 8 and 10 qubits (L = 2 and 10, 16 x 200 rows, measured on 200 rows and scaled:
   the cost is linear in rows), against the exact step.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _common import STEP_K, STEP_N, core_limits, cpu_time, step_model

from etr.hybrid import evaluate_run
from etr.hybrid.model import _bce, _sigmoid
from etr.plan import Architecture, RunSettings
from etr.quantum import (
    ShotBackend,
    compile_ansatz,
    expectation_vjp,
    expectations,
    shift_rule,
)


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


def step_section() -> None:
    model, p, x, y = step_model()
    c = compile_ansatz(model.circuit)
    rows = STEP_K * STEP_N
    amps = rows * 2**model.circuit.n_qubits
    t_two = cpu_time(lambda: two_pass_step(model, p, x, y), repeats=3)
    t_one = cpu_time(lambda: model.loss_and_grad(p, x, y), repeats=3)
    print(f"step 10q L10 hybrid_full {STEP_K}x{STEP_N} ({model.circuit.n_gates} gates fused into "
          f"{len(c.initial)} product-state factors + {len(c.ops)} ops):")
    print(f"  two passes (before): {t_two:6.3f} s   one pass (now): {t_one:6.3f} s   "
          f"x{t_two / t_one:.2f}")
    passes = (1 + len(c.ops)) + 3 * len(c.all_ops)
    rate = amps * passes / t_one
    lim = core_limits(model.circuit.n_qubits)
    # a fused complex 2x2 on split parts: 8 multiplies + 6 adds per amplitude and pass
    flop_rate = lim["flops"] / 14
    print(f"  {rate / 1e9:5.2f} G amplitude updates/s ({passes} kernel passes x {amps} "
          f"amplitudes); gate-level: {amps * 3 * model.circuit.n_gates / t_one / 1e9:.2f} G "
          "amplitude-gates/s (forward + backward, 3 per gate)")
    print(f"  per-core limits: streaming {lim['stream'] / 1e9:5.2f} G amplitudes/s "
          f"({100 * rate / lim['stream']:.0f}% reached); FMA peak {lim['flops'] / 1e9:.0f} GFLOP/s "
          f"= {flop_rate / 1e9:.2f} G complex 2x2 updates/s ({100 * rate / flop_rate:.0f}%)")


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
    runs_section()
    shots_section()
