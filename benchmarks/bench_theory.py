"""Theory benchmark: the DLA, the predicted and measured loss variance and the QFIM rank of every
distinct PQC of the `paper` preset (HEA 2-10 qubits x 1-10 layers x 4 topologies x 3 rotation sets
with CZ; Sim circuits 1-19 at 4 qubits, L = 1..5), with the pure-PQC readout mean_q Z_q from
|0...0>.

Prints per-family totals and the slowest circuits for each call, the 10-qubit universal closure,
and how the measured variance (``N_MEASURE`` random parameter vectors) compares with the
deep-circuit prediction by depth (z = (measured - predicted) / SE). The circuits run in grid
order with the library's caches on (as a runner would call them): circuits with the same set of
generator strings, e.g. every HEA with L >= 2 of one width, rotation set and topology, share one
closure while it stays in the cache; the 10-qubit universal closure is also timed from scratch.
Run: ``python benchmarks/bench_theory.py`` or ``python benchmarks/run.py theory``.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict

import numpy as np

from etr.circuits import hardware_efficient
from etr.experiment import preset_spec
from etr.plan.architecture import Architecture
from etr.theory import (
    lie_algebra,
    measured_loss_variance,
    predicted_variance,
    qfim_rank,
    readout_observable,
)
from etr.theory.lie_algebra import clear_caches

os.environ.setdefault("OMP_NUM_THREADS", "1")
N_MEASURE = 2000


def paper_circuits() -> list[Architecture]:
    """The distinct trainable PQCs (no encoding, no classical parts) of the paper preset."""
    g = preset_spec("paper").grid
    out: list[Architecture] = []
    for n in g.hea.n_qubits:
        for layers in g.hea.layers:
            for top in g.hea.topology:
                for rot in g.hea.rotations:
                    for ent in g.hea.entangler:
                        out.append(Architecture(family="hea", circuit="hea", n_qubits=n,
                                                layers=layers, topology=top, rotations=rot,
                                                entangler=ent))
    for circ in g.sim.circuits:
        for n in g.sim.n_qubits:
            for layers in g.sim.layers:
                out.append(Architecture.from_dict(dict(family="sim", circuit=circ, n_qubits=n,
                                                       layers=layers)))
    return out


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    print("== theory: DLA, predicted / measured loss variance, QFIM rank (paper preset) ==")
    archs = paper_circuits()
    totals: dict[tuple[str, str], float] = defaultdict(float)
    slowest: dict[str, list[tuple[float, str]]] = defaultdict(list)
    rows = []
    lie_algebra(hardware_efficient(2, 1))  # numba compilation / cache load
    for arch in archs:
        a = arch.ansatz()
        obs = readout_observable(a.n_qubits)
        label = f"{arch.circuit} n={arch.n_qubits} L={arch.layers}" + (
            f" {arch.rotations}/{arch.topology}" if arch.family == "hea" else "")
        dla, t_dla = _timed(lambda a=a: lie_algebra(a))
        pred, t_pred = _timed(lambda a=a, o=obs: predicted_variance(a, o))
        meas, t_meas = _timed(lambda a=a, o=obs: measured_loss_variance(a, o, n_samples=N_MEASURE,
                                                                         seed=0))
        rank, t_rank = _timed(lambda a=a: qfim_rank(a, n_samples=3, seed=0))
        for name, t in (("lie_algebra", t_dla), ("predicted_variance", t_pred),
                        ("measured_loss_variance", t_meas), ("qfim_rank", t_rank)):
            totals[(arch.family, name)] += t
            slowest[name].append((t, label))
        rows.append((arch, dla, pred, meas, rank))

    print(f"{len(archs)} circuits ({sum(a.family == 'hea' for a in archs)} HEA, "
          f"{sum(a.family == 'sim' for a in archs)} Sim); times in seconds")
    print(f"{'call':24s} {'HEA':>8s} {'Sim':>8s}   slowest")
    for name in ("lie_algebra", "predicted_variance", "measured_loss_variance", "qfim_rank"):
        worst = sorted(slowest[name], reverse=True)[:2]
        text = "; ".join(f"{t:.2f} {lab}" for t, lab in worst)
        print(f"{name:24s} {totals[('hea', name)]:8.2f} {totals[('sim', name)]:8.2f}   {text}")

    a10 = hardware_efficient(10, 10, topology="full", rotations="RX+RY+RZ")
    clear_caches()
    r10, t10 = _timed(lambda: lie_algebra(a10))
    print(f"10-qubit universal HEA (RX+RY+RZ, full, L=10): dim {r10.dim:,} in {t10:.2f} s")

    methods = defaultdict(int)
    reasons = defaultdict(int)
    for _, dla, pred, _, _ in rows:
        methods[dla.method] += 1
        if pred.reason:
            reasons[pred.reason.split(":")[0]] += 1
    print("routes:", dict(methods), "| NaN predictions:", dict(reasons) or 0)

    print(f"measured vs predicted (N = {N_MEASURE}): |z| <= 3 share, median measured/predicted")
    by_depth: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for arch, _, pred, meas, _ in rows:
        if np.isfinite(pred.value) and pred.value > 0:
            z = (meas.value - pred.value) / max(meas.se, 1e-300)
            by_depth[arch.layers].append((z, meas.value / pred.value))
    for layers in sorted(by_depth):
        zs = np.array([z for z, _ in by_depth[layers]])
        ratio = np.median([r for _, r in by_depth[layers]])
        print(f"  L={layers:2d}: {len(zs):3d} circuits, |z|<=3: {np.mean(np.abs(zs) <= 3):5.0%}, "
              f"median ratio {ratio:5.2f}")
    viol = [(arch, rank.rank, dla.dim) for arch, dla, _, _, rank in rows
            if dla.dim is not None and rank.rank > dla.dim]
    print(f"QFIM rank <= dim g: {'holds for all' if not viol else viol}")


if __name__ == "__main__":
    main()
