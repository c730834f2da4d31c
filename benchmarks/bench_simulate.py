"""Simulate benchmark: wall time of ``etr simulate --preset quick`` with 1 and 2 workers, side by
side in one run (ratio = parallel speed-up; efficiency = speed-up / workers).

The machine's other load shifts both timings; the CPU time of each run (parent and workers) is
printed too, so a loaded machine shows as wall time >> CPU time / workers.

``python benchmarks/bench_simulate.py --paper`` instead estimates the run time of the ``paper``
preset: CPU time of hybrid_full cells (ring HEA, RY+RZ) for n_qubits 2..10 x layers 1/4/10 at 2
and 4 training steps, extrapolated linearly to the preset's steps, interpolated over the grid.
"""

from __future__ import annotations

import dataclasses
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PRESET = "quick"


def _run(workers: int, out: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one `etr simulate` subprocess."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "etr", "simulate", "--preset", PRESET, "--out", str(out),
         "--workers", str(workers), "--quiet", "--force"],
        check=True,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def estimate_paper() -> None:
    """Print the estimated CPU hours of the paper preset (cells and circuit metrics)."""
    import numpy as np

    from etr.experiment import circuit_units, expand_grid, preset_spec
    from etr.experiment.circuit import circuit_metrics
    from etr.hybrid.run import evaluate_run
    from etr.plan import Architecture

    spec = preset_spec("paper")
    full = spec.run_settings()
    qubits, layers = (2, 4, 6, 8, 10), (1, 4, 10)
    cell_t, metric_t = {}, {}
    for n in qubits:
        for n_layers in layers:
            arch = Architecture(n_qubits=n, layers=n_layers, topology="ring",
                                rotations="RY+RZ", classical_post="8-tanh")
            times = []
            for steps in (2, 4):
                t0 = _cpu()
                evaluate_run(arch, "hybrid_full", 1, dataclasses.replace(full, steps=steps))
                times.append(_cpu() - t0)
            per_step = max(times[1] - times[0], 0.0) / 2
            cell_t[n, n_layers] = times[0] + per_step * (full.steps - 2)
            t0 = _cpu()
            circuit_metrics(arch, spec.metrics, 1)
            metric_t[n, n_layers] = _cpu() - t0
            print(f"n={n:2d} L={n_layers:2d}: cell ~{cell_t[n, n_layers]:7.1f} s CPU, "
                  f"circuit metrics {metric_t[n, n_layers]:5.2f} s", flush=True)

    def interp(table: dict, n: int, n_layers: int) -> float:
        near = min(qubits, key=lambda q: abs(q - n))
        return float(np.interp(n_layers, layers, [table[near, x] for x in layers]))

    cells = expand_grid(spec)
    units = circuit_units(spec, cells)
    t_cells = sum(interp(cell_t, c.arch.n_qubits, c.arch.layers) for c in cells)
    t_units = sum(interp(metric_t, u.arch.n_qubits, u.arch.layers) for u in units)
    total = t_cells + t_units
    print(f"paper preset: {len(cells)} cells, {len(units)} circuit units; "
          f"{total / 3600:.1f} CPU-hours, ~{total / 2 / 3600:.1f} h on 2 cores")


def main() -> None:
    if "--paper" in sys.argv[1:]:
        estimate_paper()
        return
    print(f"== etr simulate (--preset {PRESET}) ==")
    print(f"cores: {os.cpu_count()}")
    with tempfile.TemporaryDirectory() as tmp:
        times = {w: _run(w, Path(tmp) / f"w{w}.parquet") for w in (1, 2)}
    for w, (wall, cpu) in times.items():
        print(f"workers={w}: {wall:7.1f} s wall, {cpu:7.1f} s CPU")
    speedup = times[1][0] / times[2][0]
    print(f"speed-up 2 vs 1 workers: {speedup:5.2f}x (parallel efficiency {speedup / 2:5.1%}); "
          f"target: quick preset < 180 s on 2 cores")


if __name__ == "__main__":
    main()
