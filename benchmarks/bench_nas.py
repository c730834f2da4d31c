"""NAS benchmark: the ``quick`` preset's wall time and runs, the search machinery's overhead, and
(``--tasks``) which task makes the PQC matter at the preset's training budget.

``python benchmarks/bench_nas.py [--workers N] [--tasks] [--skip-preset]``

* the preset: wall time of `etr.nas.run.run_nas` on the ``quick`` preset with N workers (the
  budget is about 5 minutes on 2 cores), runs evaluated and seconds per run;
* the overhead: the same searches with the trivial `etr.nas.synthetic_evaluator`, per trial;
* ``--tasks``: 40 random architectures of the preset's space, each trained under
  ``hybrid_quantum_only``, ``hybrid_full`` and the ``classical_only`` control with 2 replicates
  (the preset's seeds) on ``synthetic``, ``teacher`` and ``parity`` at the preset's training
  settings; prints the mean test accuracy and the hybrid - control gap (with its standard
  error over architectures), split by whether the classical pre-network is ``none``.
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np
import pandas as pd

from etr.nas import synthetic_evaluator
from etr.nas.evaluate import run_seed, simulate_architecture
from etr.nas.run import run_nas
from etr.nas.spec import nas_preset
from etr.parallel import open_pool


def preset(workers: int) -> None:
    print(f"== etr nas (quick preset, {workers} workers) ==")
    spec = nas_preset("quick")
    t0 = time.perf_counter()
    overhead = run_nas(spec, evaluator=synthetic_evaluator)
    t_over = time.perf_counter() - t0
    n_trials = sum(len(r.trials) for r in overhead.results)
    t0 = time.perf_counter()
    real = run_nas(spec, workers=workers)
    t_real = time.perf_counter() - t0
    print(f"settings: {', '.join(s.label for s in spec.settings)}; {spec.search_seeds} search "
          f"seeds x {spec.n_trials} trials, {spec.replicates} replicates")
    print(f"quick preset, real evaluations: {t_real:7.1f} s total, {real.n_evaluations} runs "
          f"evaluated, {real.seconds_per_evaluation:6.3f} s per run (wall)")
    print(f"search overhead (synthetic evaluator): {1e3 * t_over / n_trials:6.2f} ms per trial")


def _architectures(n: int, seed: int = 0) -> list:
    space = nas_preset("quick").space
    rng = np.random.default_rng(seed)
    choices = space._choices()
    out: dict = {}
    while len(out) < n:
        params = {k: v[int(rng.integers(len(v)))] for k, v in choices.items()}
        a = space.architecture(params)
        out.setdefault(a.architecture_id, a)
    return list(out.values())


def task_gaps(workers: int, n_archs: int = 40) -> pd.DataFrame:
    """Mean accuracy and hybrid - control gap per task, configuration and pre-network."""
    spec = nas_preset("quick")
    archs = _architectures(n_archs)
    rows = []
    with open_pool(workers) as pool:
        for task in ("synthetic", "teacher", "parity"):
            ev = dataclasses.replace(spec.evaluation, settings=dataclasses.replace(
                spec.evaluation.settings, task=task))
            jobs, keys = [], []
            for a in archs:
                for cfg in ("hybrid_quantum_only", "hybrid_full", "classical_only"):
                    uid = a.control_id if cfg == "classical_only" else a.architecture_id
                    for r in range(spec.replicates):
                        jobs.append((a, cfg, run_seed(spec.root_seed, uid, r), ev.at(r)))
                        keys.append((task, a.architecture_id, a.classical_pre != "none", cfg))
            for key, out in zip(keys, pool.map(simulate_architecture, jobs), strict=True):
                rows.append((*key, out.value["test_accuracy"] if out.ok else np.nan))
    df = pd.DataFrame(rows, columns=["task", "aid", "trained_pre", "cfg", "acc"])
    m = df.groupby(["task", "aid", "trained_pre", "cfg"])["acc"].mean().unstack("cfg")
    for cfg in ("hybrid_quantum_only", "hybrid_full"):
        m[f"gap_{cfg}"] = m[cfg] - m["classical_only"]
    m = m.reset_index()
    cols = ["hybrid_quantum_only", "hybrid_full", "classical_only", "gap_hybrid_quantum_only",
            "gap_hybrid_full"]
    out = m.groupby(["task", "trained_pre"])[cols].agg(["mean", "sem"]).round(3)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(f"== accuracy and gap to the classical-only control, {n_archs} architectures ==")
        print(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tasks", action="store_true", help="measure the control gap per task")
    parser.add_argument("--skip-preset", action="store_true")
    args = parser.parse_args()
    if not args.skip_preset:
        preset(args.workers)
    if args.tasks:
        task_gaps(args.workers)


if __name__ == "__main__":
    main()
