"""Calibrate the per-cell cost model of `etr.plan.cost` on this machine.

``python benchmarks/calibrate_cost.py`` times real units in one process limited to one thread
(as a worker runs them), fits the constants of `etr.plan.cost.CostConstants` by non-negative
least squares on the relative error, and prints

* the fitted constants, ready to paste into `etr.plan.cost.COST`;
* the fit's relative errors on the design (median and worst);
* held-out checks with the *new* constants: randomly drawn cells of the ``quick`` preset (its
  real settings), and a few cells of the ``paper`` preset at its full settings (100 steps, 16
  initialisations, 200 points: run sizes far beyond the design), measured and predicted.

Design: hardware-efficient ring circuits (RY+RZ, CZ), 2-10 qubits x 1/3/6 layers, under
``pure_pqc`` and ``hybrid_full`` (post-network 8-tanh; with and without an 8-tanh pre-network),
5 and 20 optimiser steps (which separates the per-step cost from the fixed cost), the quick
preset's other training settings; the same circuits (4-10 qubits, 1 and 6 layers) at the paper
preset's run sizes (its initialisations, training points and batch size) with 2 and 6 steps, so
that the fit sees the batches of the paper preset; finite-shot cells (2-6 qubits, 1 and 3
layers); classical-only control cells; circuit units (every circuit-level column) at two frame-
potential sizes. Takes 10-20 minutes on one core.

``python benchmarks/calibrate_cost.py --density`` calibrates only the density-matrix constants
(``c_dgrad``, ``c_dfwd``, ``c_drow``: noisy runs) with every other constant held at `COST`:
noisy cells (depolarizing noise; 2-6 qubits x 1/3/6 layers; pure_pqc and hybrid_full; 5 and 20
steps; finite shots on the small circuits) are timed, the part the fixed constants predict is
subtracted, and the rest is fitted by non-negative least squares on the relative error; held
out: cells of the ``quick-noise`` preset. Takes about 10 minutes on one core.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import dataclasses  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402

import numpy as np  # noqa: E402
from scipy.optimize import nnls  # noqa: E402

from etr.experiment import expand_grid, preset_spec  # noqa: E402
from etr.experiment.circuit import circuit_metrics  # noqa: E402
from etr.hybrid.run import evaluate_run  # noqa: E402
from etr.plan import Architecture, MetricSpec  # noqa: E402
from etr.plan.cost import (  # noqa: E402
    COST,
    CostConstants,
    cell_seconds,
    circuit_seconds,
    model_gates,
)
from etr.plan.noise import NoiseModel  # noqa: E402

QUBITS, LAYERS, STEPS = (2, 4, 6, 8, 10), (1, 3, 6), (5, 20)
#: cells at the paper preset's run sizes (16 initialisations, 200 points) with few steps
BIG_QUBITS, BIG_LAYERS, BIG_STEPS = (4, 6, 8, 10), (1, 6), (2, 6)
N_HELD_OUT = 16
#: held-out cells at the paper preset's full settings (far outside the design's run sizes)
PAPER_CELLS = ((6, 4, "hybrid_full"), (8, 6, "hybrid_quantum_only"), (10, 2, "pure_pqc"))


def _cpu(fn, *args) -> float:
    t0 = time.process_time()
    fn(*args)
    return time.process_time() - t0


N_CONST = len(dataclasses.fields(CostConstants)) - 1  # every constant but `source`


def _unit_vector(i: int) -> CostConstants:
    c = [0.0] * N_CONST
    c[i] = 1.0
    return CostConstants(*c, source="")


def _cell_features(arch: Architecture, settings, config: str = "hybrid_full") -> list[float]:
    """Columns of one cell, one per constant of `etr.plan.cost.CostConstants`."""
    return [cell_seconds(arch, config, settings, constants=_unit_vector(i))
            for i in range(N_CONST)]


def _unit_features(arch: Architecture, metrics: MetricSpec) -> list[float]:
    return [circuit_seconds(arch, metrics, constants=_unit_vector(i)) for i in range(N_CONST)]


def measure() -> tuple[np.ndarray, np.ndarray, list[str]]:
    base = preset_spec("quick").run_settings()
    paper = preset_spec("paper").run_settings()
    rows, times, labels = [], [], []
    warm = Architecture(n_qubits=2, layers=1)
    evaluate_run(warm, "hybrid_full", 0, dataclasses.replace(base, steps=2))  # compile kernels
    circuit_metrics(warm, MetricSpec(n_states=20, n_pairs=20, ec_samples=5, loss_samples=5), 0)
    for n in QUBITS:
        for layers in LAYERS:
            for pre in ("none", "8-tanh"):
                arch = Architecture(n_qubits=n, layers=layers, topology="ring",
                                    rotations="RY+RZ", classical_pre=pre,
                                    classical_post="8-tanh")
                for config in ("pure_pqc", "hybrid_full"):
                    if config == "pure_pqc" and pre != "none":
                        continue
                    used = arch.without_classical() if config == "pure_pqc" else arch
                    for steps in STEPS:
                        settings = dataclasses.replace(base, steps=steps)
                        t = _cpu(evaluate_run, used, config, 1, settings)
                        rows.append(_cell_features(used, settings, config))
                        times.append(t)
                        labels.append(f"cell n={n} L={layers} pre={pre} {config} T={steps}")
                        print(f"{labels[-1]:45s} {t:7.2f} s", flush=True)
            if layers in BIG_LAYERS and n in BIG_QUBITS:  # the paper's run sizes, few steps
                for steps in BIG_STEPS:
                    settings = dataclasses.replace(paper, steps=steps)
                    used = Architecture(n_qubits=n, layers=layers, topology="ring",
                                        rotations="RY+RZ", classical_post="8-tanh")
                    t = _cpu(evaluate_run, used, "hybrid_full", 1, settings)
                    rows.append(_cell_features(used, settings))
                    times.append(t)
                    labels.append(f"cell n={n} L={layers} paper sizes T={steps}")
                    print(f"{labels[-1]:45s} {t:7.2f} s", flush=True)
            if n <= 6 and layers in (1, 3):  # finite shots (parameter-shift gradients)
                settings = dataclasses.replace(base, steps=3, shots=500)
                used = arch.without_classical()
                t = _cpu(evaluate_run, used, "pure_pqc", 1, settings)
                rows.append(_cell_features(used, settings, "pure_pqc"))
                times.append(t)
                labels.append(f"cell n={n} L={layers} pure_pqc shots T=3")
                print(f"{labels[-1]:45s} {t:7.2f} s", flush=True)
            if layers == 1:  # the classical-only control
                settings = dataclasses.replace(base, steps=20)
                t = _cpu(evaluate_run, arch, "classical_only", 1, settings)
                rows.append(_cell_features(arch, settings, "classical_only"))
                times.append(t)
                labels.append(f"cell n={n} classical_only T=20")
                print(f"{labels[-1]:45s} {t:7.2f} s", flush=True)
            for states in (500, 2000):
                metrics = MetricSpec(n_states=states, n_pairs=500, ec_samples=100,
                                     loss_samples=500)
                t = _cpu(circuit_metrics, arch, metrics, 1)
                rows.append(_unit_features(arch, metrics))
                times.append(t)
                labels.append(f"unit n={n} L={layers} states={states}")
                print(f"{labels[-1]:45s} {t:7.2f} s", flush=True)
    return np.array(rows), np.array(times), labels


def fit(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Non-negative least squares on relative errors (every row divided by its time)."""
    w = 1.0 / y
    scale = x.max(axis=0)
    scale[scale == 0] = 1.0
    coef, _ = nnls((x / scale) * w[:, None], np.ones_like(y))
    return coef / scale


def held_out_paper(constants: CostConstants) -> None:
    settings = preset_spec("paper").run_settings()
    for n, layers, config in PAPER_CELLS:
        arch = Architecture(n_qubits=n, layers=layers, topology="ring", rotations="RY+RZ",
                            classical_post="8-tanh")
        used = arch.without_classical() if config == "pure_pqc" else arch
        t = _cpu(evaluate_run, used, config, 1, settings)
        p = cell_seconds(used, config, settings, constants=constants)
        print(f"  paper {config:20s} n={n:2d} L={layers}: measured {t:7.1f} s, predicted "
              f"{p:7.1f} s (ratio {p / t:.2f})", flush=True)


def held_out(constants: CostConstants, preset: str = "quick", *, noisy: bool = False) -> float:
    """Measured against predicted CPU time on cells of `preset` the fit did not see (its noisy
    cells alone with `noisy`); returns predicted / measured over all of them."""
    spec = preset_spec(preset)
    cells = [c for c in expand_grid(spec) if not (noisy and c.noise.noiseless)]
    cells = random.Random(7).sample(cells, min(N_HELD_OUT, len(cells)))
    measured = predicted = 0.0
    for c in cells:
        settings = spec.run_settings(**c.grid)
        t = _cpu(evaluate_run, c.arch, c.training_config, c.seed, settings, c.task_seed)
        p = cell_seconds(c.arch, c.training_config, settings, constants=constants)
        measured, predicted = measured + t, predicted + p
        tag = c.noise.label if noisy else f"G={model_gates(c.arch)[0]:4d}"
        print(f"  {c.training_config:20s} n={c.arch.n_qubits} L={c.arch.layers} "
              f"{tag}: measured {t:6.2f} s, predicted {p:6.2f} s")
    print(f"held-out {'noisy ' if noisy else ''}{preset} cells: measured {measured:.1f} s, "
          f"predicted {predicted:.1f} s (ratio {predicted / measured:.2f})")
    return predicted / measured


DENSITY_QUBITS, DENSITY_LAYERS = (2, 3, 4, 5, 6), (1, 3, 6)
#: the density-matrix constants (`etr.plan.cost`), fitted by ``--density``.
DENSITY_FIELDS = ("c_dgrad", "c_dfwd", "c_drow")


def _density_features(arch: Architecture, settings, config: str) -> tuple[list[float], float]:
    """(columns of the density constants, seconds the other constants of COST predict)."""
    zero = dataclasses.replace(COST, **dict.fromkeys(DENSITY_FIELDS, 0.0))
    cols = [cell_seconds(arch, config, settings, constants=dataclasses.replace(
        _unit_vector(0), c_run=0.0, **{f: float(f == name) for f in DENSITY_FIELDS}))
        for name in DENSITY_FIELDS]
    return cols, cell_seconds(arch, config, settings, constants=zero)


def measure_density() -> tuple[np.ndarray, np.ndarray, list[str]]:
    noise = NoiseModel(depolarizing=0.01)
    base = dataclasses.replace(preset_spec("quick").run_settings(), noise=noise)
    evaluate_run(Architecture(n_qubits=2, layers=1), "hybrid_full", 0,
                 dataclasses.replace(base, steps=2))  # compile the kernels
    rows, residual, labels = [], [], []
    for n in DENSITY_QUBITS:
        for layers in DENSITY_LAYERS:
            arch = Architecture(n_qubits=n, layers=layers, topology="ring", rotations="RY+RZ",
                                classical_post="8-tanh")
            for config in ("pure_pqc", "hybrid_full"):
                used = arch.without_classical() if config == "pure_pqc" else arch
                for steps in STEPS if n <= 5 else STEPS[:1]:
                    cases = [("", dataclasses.replace(base, steps=steps))]
                    if n <= 4 and layers <= 3 and steps == STEPS[0]:
                        cases.append((" shots", dataclasses.replace(base, steps=3, shots=500)))
                    for tag, settings in cases:
                        t = _cpu(evaluate_run, used, config, 1, settings)
                        cols, fixed = _density_features(used, settings, config)
                        rows.append(cols)
                        residual.append(max(t - fixed, 1e-3))
                        labels.append(f"noisy n={n} L={layers} {config} T={settings.steps}{tag}")
                        print(f"{labels[-1]:45s} {t:7.2f} s", flush=True)
    return np.array(rows), np.array(residual), labels


def main_density() -> None:
    x, y, labels = measure_density()
    coef = fit(x, y)
    rel = np.abs(x @ coef - y) / y
    worst = int(np.argmax(rel))
    constants = dataclasses.replace(COST, **dict(zip(DENSITY_FIELDS, map(float, coef))))
    print(f"\ndensity constants ({date.today().isoformat()}, "
          f"{platform.processor() or platform.machine()}, Python {sys.version.split()[0]}; "
          f"median relative error of the density part {np.median(rel):.0%}, worst "
          f"{rel.max():.0%} ({labels[worst]})):")
    for name in DENSITY_FIELDS:
        print(f"    {name}={getattr(constants, name):.4g},")
    print("\nheld-out check on the quick-noise preset:")
    held_out(constants, "quick-noise", noisy=True)


def main() -> None:
    if "--density" in sys.argv[1:]:
        main_density()
        return
    x, y, labels = measure()
    coef = fit(x, y)
    pred = x @ coef
    rel = np.abs(pred - y) / y
    worst = int(np.argmax(rel))
    source = (f"benchmarks/calibrate_cost.py, {date.today().isoformat()}, "
              f"{platform.processor() or platform.machine()}, Python "
              f"{sys.version.split()[0]}: median relative error {np.median(rel):.0%}, worst "
              f"{rel.max():.0%} ({labels[worst]})")
    constants = CostConstants(*map(float, coef), source=source)
    print("\nCOST = CostConstants(")
    for f in dataclasses.fields(CostConstants):
        v = getattr(constants, f.name)
        print(f"    {f.name}={v!r}," if f.name == "source" else f"    {f.name}={v:.4g},")
    print(")")
    print("\nheld-out check on the quick preset:")
    held_out(constants)
    print("\nheld-out check on paper-preset cells:")
    held_out_paper(constants)


if __name__ == "__main__":
    main()
