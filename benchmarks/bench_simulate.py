"""Simulate benchmark: wall time of ``etr simulate --preset quick`` with 1 and 2 workers, side by
side in one run (ratio = parallel speed-up; efficiency = speed-up / workers).

The machine's other load shifts both timings; the CPU time of each run (parent and workers) is
printed too, so a loaded machine shows as wall time >> CPU time / workers.
"""

from __future__ import annotations

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


def main() -> None:
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
