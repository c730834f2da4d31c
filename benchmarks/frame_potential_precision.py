"""Relative standard error of the frame potential F_2 over every distinct PQC of the `paper` preset.

``python benchmarks/frame_potential_precision.py [N_STATES] [--seeds K]`` computes
`etr.metrics.frame_potential` (t = 2) of each distinct circuit (HEA 2-10 qubits x layers x
topologies x rotation sets; Sim circuits 1-19 at 4 qubits, L = 1..5) with N_STATES states
(default: ``etr.metrics.frame_potential.DEFAULT_N_STATES``) and prints the worst relative SEs, the
seconds per circuit by width,
and the number of states each circuit needs for a 1 % relative SE, extrapolated from the
Hoeffding components zeta_1, zeta_2 estimated from the same pairs:

    Var(U) / F^2 = [4 (M - 2) zeta_1 + 2 zeta_2] / (M (M - 1) F^2).

With ``--seeds K`` the circuits whose relative SE exceeds 0.8 % are recomputed with K further
seeds (the SE of a heavy-tailed kernel is itself noisy) and the largest value is reported.
Not run by ``make bench`` (it takes minutes); it is how `DEFAULT_N_STATES` was chosen.
"""

from __future__ import annotations

import importlib
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from etr.experiment import expand_grid, preset_spec
from etr.metrics import frame_potential

fp = importlib.import_module("etr.metrics.frame_potential")  # the module (private helpers)

TARGET = 0.01


def paper_circuits() -> dict[str, object]:
    """label -> Ansatz for every distinct PQC of the `paper` preset."""
    out: dict[str, object] = {}
    for cell in expand_grid(preset_spec("paper")):
        arch = cell.arch
        if arch.pqc_id in out:
            continue
        label = (f"hea {arch.rotations}/{arch.topology}" if arch.family == "hea"
                 else arch.circuit) + f" n={arch.n_qubits} L={arch.layers}"
        out[arch.pqc_id] = (label, arch.ansatz())
    return dict(out.values())


def needed_states(rel_var_terms: tuple[float, float]) -> int:
    """Smallest M with [4 (M - 2) a + 2 b] / (M (M - 1)) <= TARGET**2 (a, b relative zetas)."""
    a, b = rel_var_terms
    m = 4
    while (4 * (m - 2) * max(a, 0.0) + 2 * max(b, 0.0)) / (m * (m - 1)) > TARGET**2:
        m = int(m * 1.05) + 1
    return m


def zetas(ansatz: object, n_states: int, seed: int) -> tuple[float, float, float, float]:
    """(rel SE, zeta_1 / F^2, zeta_2 / F^2, seconds) from the pair sums `frame_potential` uses."""
    t0 = time.perf_counter()
    sums = fp._sums(ansatz, 2, n_states, seed, None)
    u, z1, z2 = fp._components(sums)
    dt = time.perf_counter() - t0
    se = np.sqrt(max(fp._u_statistic(sums)[1], 0.0))
    return se / u, z1 / u**2, z2 / u**2, dt


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    seeds = 0
    if "--seeds" in args:
        i = args.index("--seeds")
        seeds = int(args[i + 1])
        del args[i:i + 2]
    n_states = int(args[0]) if args else fp.DEFAULT_N_STATES
    circuits = paper_circuits()
    frame_potential(circuits[next(iter(circuits))], n_states=8, seed=0)  # compile kernels
    print(f"== frame potential precision over the paper preset: {len(circuits)} circuits, "
          f"M = {n_states} ==")
    rows = []
    for label, ansatz in circuits.items():
        rel, z1, z2, dt = zetas(ansatz, n_states, seed=0)
        rows.append([label, ansatz.n_qubits, rel, z1, z2, dt, needed_states((z1, z2))])
    if seeds:
        for row in rows:
            if row[2] > 0.8 * TARGET:
                for s in range(1, seeds + 1):
                    rel, z1, z2, _ = zetas(circuits[row[0]], n_states, seed=s)
                    row[2] = max(row[2], rel)
                    row[6] = max(row[6], needed_states((z1, z2)))
    rows.sort(key=lambda r: -r[2])
    print(f"{'circuit':34s} {'rel SE':>8s} {'z1/F^2':>10s} {'z2/F^2':>10s} {'M for 1%':>9s}")
    for label, _, rel, z1, z2, _, need in rows[:15]:
        print(f"{label:34s} {rel:8.4f} {z1:10.3g} {z2:10.3g} {need:9d}")
    worst = rows[0]
    print(f"worst relative SE at M = {n_states}: {worst[2]:.4f} ({worst[0]}); "
          f"{sum(r[2] > TARGET for r in rows)} circuits above {TARGET:.0%}; "
          f"largest M needed for {TARGET:.0%}: {max(r[6] for r in rows)}")
    for n in sorted({r[1] for r in rows}):
        times = [r[5] for r in rows if r[1] == n]
        print(f"  {n:2d} qubits: {len(times):3d} circuits, {np.mean(times):6.3f} s mean, "
              f"{np.max(times):6.3f} s max per circuit")


if __name__ == "__main__":
    main()
