"""NAS benchmark: time per evaluated architecture for the ``quick`` preset, and the search
machinery's own overhead per trial (the same searches with a trivial synthetic evaluator),
side by side in one run.
"""

from __future__ import annotations

import time

from etr.nas import synthetic_evaluator
from etr.nas.run import run_nas
from etr.nas.spec import nas_preset


def main() -> None:
    print("== etr nas (quick preset) ==")
    spec = nas_preset("quick")
    t0 = time.perf_counter()
    overhead = run_nas(spec, evaluator=synthetic_evaluator)
    t_over = time.perf_counter() - t0
    n_trials = sum(len(r.trials) for r in overhead.results)
    t0 = time.perf_counter()
    real = run_nas(spec)
    t_real = time.perf_counter() - t0
    print(f"settings: {', '.join(r.setting.label for r in real.results)}; "
          f"{spec.n_trials} trials each")
    print(f"quick preset, real evaluations: {t_real:7.1f} s total, {real.n_evaluations} "
          f"architectures evaluated, {real.seconds_per_evaluation:6.3f} s per architecture")
    print(f"search overhead (synthetic evaluator): {1e3 * t_over / n_trials:6.2f} ms per trial")


if __name__ == "__main__":
    main()
