"""Analysis benchmark: `etr analyze` (the analysis and the report) against dataset size.

Datasets: `analysis_data.study_dataset` (planted truth in the contract's format, two tasks,
three configurations, two pre-networks per circuit in the hybrid ones) with noisy runs or with
trainability following the gate set, from 5,000 to 40,000 runs (250 to 2,000 circuits, four
replicates), plus two that vary runs and circuits separately (2,000 circuits x 2 replicates,
1,000 x 8), and ``data/quick.parquet``. For each: CPU seconds of this process and of its
workers, and the wall time, of `etr.report.analyze_to_report` (read, analyse, render HTML and
JSON) with ``workers`` processes; then the scaling exponent a of ``cpu = c * runs^a`` (least
squares on the log scale, four-replicate series) and the estimate `etr analyze` prints beside
the measured time. Targets (issue 23): < 120 s for 40,000 runs of 2,000 circuits on 2 cores,
< 30 s for the quick data, judged on the critical path (this process's CPU plus the workers'
divided by their number: the wall time of an idle machine; the measured wall time is printed
beside it with the load average, since this machine is shared).

Run: ``python benchmarks/bench_analysis.py [--quick] [--workers N]`` (or ``python
benchmarks/run.py analysis``); ``--quick`` stops at 10,000 runs.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from analysis_data import study_dataset

from etr.experiment import write_dataset
from etr.report import analyze_to_report
from etr.report.size import analysis_size

ROOT = Path(__file__).resolve().parents[1]
#: (circuits, replicates) of the four-replicate series, then the two off-diagonal designs.
SERIES = ((250, 4), (500, 4), (1000, 4), (2000, 4))
OFF = ((2000, 2), (1000, 8))
TARGET_BIG, TARGET_QUICK = 120.0, 30.0


def _cpu() -> tuple[float, float]:
    """CPU seconds of this process and of its finished children (the pool's workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def time_analysis(path: Path, workers: int) -> tuple[float, float, float]:
    """(CPU seconds, critical-path CPU seconds, wall seconds) of one `etr analyze` of `path`.

    The critical path is this process's CPU plus the workers' CPU divided by their number:
    what the wall time is on an idle machine with `workers` cores (on a shared machine the
    wall time also holds the time other jobs took).
    """
    with tempfile.TemporaryDirectory() as tmp:
        (s0, k0), w0 = _cpu(), time.perf_counter()
        analyze_to_report(path, Path(tmp) / "report.html", json_path=Path(tmp) / "r.json",
                          workers=workers)
        wall = time.perf_counter() - w0
        s1, k1 = _cpu()
        own, kids = s1 - s0, k1 - k0
        return own + kids, own + kids / max(workers, 1), wall


def _load() -> float:
    with open("/proc/loadavg") as fh:
        return float(fh.read().split()[0])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv if argv is not None else [])
    warnings.simplefilter("ignore")
    print(f"== etr analyze vs size ({args.workers} workers; load average at start "
          f"{_load():.1f}) ==")
    print(f"{'dataset':30s} {'runs':>7s} {'circuits':>8s} {'CPU s':>7s} {'path s':>7s} "
          f"{'wall s':>7s} {'estimate':>8s}")
    rows = []

    def line(label: str, df, cpu: float, path: float, wall: float, target: float | None) -> str:
        est = analysis_size(df).cpu_seconds
        out = (f"{label:30s} {len(df):7,d} {df['pqc_id'].nunique():8,d} {cpu:7.1f} "
               f"{path:7.1f} {wall:7.1f} {est:8.1f}")
        if target is not None:
            out += f"   target < {target:.0f} s: {'met' if path < target else 'MISSED'}"
        return out

    with tempfile.TemporaryDirectory() as tmp:
        quick = ROOT / "data" / "quick.parquet"
        print(line("quick.parquet", _read(quick), *time_analysis(quick, args.workers),
                   TARGET_QUICK), flush=True)
        designs = [d for d in SERIES + OFF if not args.quick or d[0] * d[1] * 5 <= 10_000]
        for kind in ("noisy", "gateset"):
            for n_pqcs, n_seeds in designs:
                df = study_dataset(n_pqcs, n_seeds, kind=kind, seed=1)
                path = Path(tmp) / f"{kind}-{n_pqcs}-{n_seeds}.parquet"
                write_dataset(df, path)
                cpu, crit, wall = time_analysis(path, args.workers)
                print(line(f"{kind}, {n_pqcs} circuits x {n_seeds} seeds", df, cpu, crit, wall,
                           TARGET_BIG if len(df) >= 40_000 else None), flush=True)
                rows.append((kind, n_pqcs, n_seeds, len(df), cpu, wall))
    for kind in ("noisy", "gateset"):
        series = [(r[3], r[4]) for r in rows if r[0] == kind and (r[1], r[2]) in SERIES]
        if len(series) >= 2:
            n, t = np.log([s[0] for s in series]), np.log([s[1] for s in series])
            a = np.polyfit(n, t, 1)[0]
            print(f"{kind}: CPU ~ runs^{a:.2f} (four replicates, {len(series)} sizes)")
    print("CPU: this process and its workers; path: this process + workers / their number (the "
          "wall time of an idle machine, what the targets are judged on); wall: measured, "
          f"with the machine's load (load average now {_load():.1f})")


def _read(path: Path):
    from etr.experiment import read_dataset

    return read_dataset(path)


if __name__ == "__main__":
    main(sys.argv[1:])
