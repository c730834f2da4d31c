"""Coverage of `etr.analysis.control_gap` intervals on planted-gap data sets (~2 CPU-minutes).

Each simulated study has G task instances; in each, 2 pre-networks x 1 width, one control and 5
fixed circuits x 2 hybrid configurations. The hybrid - control gap of an instance is
``0.05 + N(0, 0.03)`` and runs add instance, stratum, circuit and noise terms (the generator
of ``tests/analysis/test_control_gap.py``). Printed: the fraction of nominal 95% intervals that
contain 0.05, for the default t interval (cluster-bootstrap SE x sqrt(G/(G-1)), t on G - 1 df),
the plain percentile interval, and the t interval with runs (not instances) resampled.

``python benchmarks/coverage_control_gap.py [N_SIM]``
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "analysis"))

from test_control_gap import planted

from etr.analysis import control_gap


def coverage(g: int, n_sim: int, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    hits = {"t": 0, "percentile": 0, "t, runs resampled": 0}
    for _ in range(n_sim):
        df = planted(g, gap=0.05, seed=int(rng.integers(2**31)), widths=(4,))
        df["run_id"] = np.arange(len(df)).astype(str)
        for name, kw in (("t", {}), ("percentile", {"ci_method": "percentile"}),
                         ("t, runs resampled", {"cluster": "run_id"})):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                row = control_gap(df, configs="hybrid_full", n_boot=400, seed=rng,
                                  p_adjust="none", **kw).iloc[0]
            hits[name] += row["ci_low"] <= 0.05 <= row["ci_high"]
    return {k: v / n_sim for k, v in hits.items()}


def main() -> None:
    n_sim = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    t0 = time.process_time()
    print(f"coverage of nominal 95% intervals, {n_sim} simulated studies each "
          f"(binomial SE {np.sqrt(0.95 * 0.05 / n_sim):.3f})")
    print(f"{'instances':>9}  {'t':>6}  {'percentile':>10}  {'t, runs resampled':>17}")
    for g in (3, 5, 10, 20):
        c = coverage(g, n_sim, seed=g)
        print(f"{g:>9}  {c['t']:>6.3f}  {c['percentile']:>10.3f}  "
              f"{c['t, runs resampled']:>17.3f}", flush=True)
    print(f"[{time.process_time() - t0:.0f} CPU s]")


if __name__ == "__main__":
    main()
