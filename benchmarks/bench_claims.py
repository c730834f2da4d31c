"""Analysis benchmark: `evaluate_claims` on a 30,000-run dataset (every trainability definition,
all three PQC configurations, the classical-only control present), and the trade-off summary on a
paper-sized dataset (the ``paper`` preset: 455 circuits, 11,375 runs).

Run: ``python benchmarks/bench_claims.py`` (or ``python benchmarks/run.py claims``).
"""

from __future__ import annotations

import time
import warnings

from etr.analysis import evaluate_claims, planted_dataset, tradeoff_summary
from etr.errors import DegenerateDataWarning


def _best(fn, repeats: int = 2) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    warnings.simplefilter("ignore", DegenerateDataWarning)
    # 1200 circuits x (1 pure + 2 x 2 hybrid + 2 control) architectures x 4 seeds = 33,600 runs
    big = planted_dataset(n_pqcs=1200, n_seeds=4, n_pre=2, seed=0,
                          configs=["pure_pqc", "hybrid_quantum_only", "hybrid_full",
                                   "classical_only"])
    n_defs = 6
    print("== evaluate_claims ==")
    t = _best(lambda: evaluate_claims(big))
    print(f"{len(big)} runs, {big['pqc_id'].nunique()} circuits, {n_defs} definitions "
          f"x 4 claims + 2 NAS rows: {t:6.2f} s (U-statistic intervals)")
    t = _best(lambda: evaluate_claims(big, definitions=["grad_var_train"],
                                      ci_method="bootstrap", n_boot=1000, seed=0), repeats=1)
    print(f"same data, one definition, cluster bootstrap (1000): {t:6.2f} s")
    paper = planted_dataset(n_pqcs=455, n_seeds=5, n_pre=2, seed=1)
    print("== tradeoff_summary ==")
    t = _best(lambda: tradeoff_summary(paper, definitions=["grad_var", "grad_var_train"]),
              repeats=1)
    print(f"{len(paper)} runs (paper-sized), 2 definitions: {t:6.2f} s "
          f"(dominated by the mixed models)")


if __name__ == "__main__":
    main()
