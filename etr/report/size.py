"""How big an analysis is, before it runs: runs, circuits, definitions and its estimated time.

``etr analyze`` prints `AnalysisSize.describe` first, as ``etr simulate`` prints the size of its
spec. The estimate is a linear model of the CPU seconds (this process and its workers): a fixed
part, a part per run and definition (pair kernels, mixed models, the report's charts), a part per
circuit and configuration (the bootstrap of the breakpoint intervals refits cluster means, one
per circuit), a part per run, definition and task instance (the instance component of every
association's variance: a leave-one-instance-out pass over the pair kernels of every fit, the
claims' and their robustness re-fits included) and, where that bootstrap goes to worker
processes, the cost of starting them. All but the instance term were fitted on the analysis
benchmark (``benchmarks/bench_analysis.py``: 13 planted datasets from 1,832 to 40,000 runs and
78 to 2,000 circuits, two instances per task; within 15% of every one of them, before the claims
file's robustness re-fits and the instance term, which adds 6-30% there). The instance term was
fitted on the committed datasets (benchmarks/README.md): without it the estimate was 3.9x low
on the study (120,400 runs of 1,500 circuits on 40 task instances); with it, within 0.65-1.19x
of the five measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from etr._validation import duration
from etr.contract import CONFIGS, TRAINABILITY_DEFINITIONS

__all__ = ["AnalysisSize", "analysis_size"]

#: CPU seconds: ``BASE + PER_RUN * runs * definitions + PER_CIRCUIT * circuits *
#: configurations (+ POOL when the breakpoint bootstrap runs on workers)``; least squares on
#: the benchmark (2 workers, shared 2-core machine), benchmarks/README.md.
BASE_SECONDS = 6.4
PER_RUN_SECONDS = 1.15e-4
PER_CIRCUIT_SECONDS = 7.2e-3
POOL_SECONDS = 10.4
#: CPU seconds per run, definition and task instance (``task_id``): least squares on the
#: relative error of the other terms' shortfall on data/quick.parquet, data/study-shots.parquet,
#: data/study.parquet and two random subsets of its circuits (250, 500), 2 workers, 2026-12-06.
PER_INSTANCE_RUN_SECONDS = 1.2e-5
#: circuits from which the breakpoint bootstrap goes to workers (`etr.analysis.regimes`:
#: circuits x 200 replicates >= 100,000 refits).
POOL_CIRCUITS = 500


@dataclass(frozen=True, slots=True)
class AnalysisSize:
    """What an analysis will cost.

    Attributes
    ----------
    runs : rows of the dataset.
    circuits : distinct circuits (``pqc_id``).
    definitions : trainability definitions present.
    configs : training configurations with a PQC present.
    cpu_seconds : estimated CPU seconds of the analysis and the report.
    instances : distinct task instances (``task_id``; 1 without the column).
    """

    runs: int
    circuits: int
    definitions: int
    configs: int
    cpu_seconds: float
    instances: int = 1

    def describe(self) -> str:
        """One line, e.g. ``40,000 runs, 2,000 circuits, 7 definitions x 3 configurations;
        estimated 1.5 min of CPU``."""
        return (f"{self.runs:,} runs, {self.circuits:,} circuits, {self.definitions} "
                f"definition{'s' if self.definitions != 1 else ''} x {self.configs} "
                f"configuration{'s' if self.configs != 1 else ''}; estimated "
                f"{duration(self.cpu_seconds)} of CPU")


def analysis_size(data: pd.DataFrame, definitions: Sequence[str] | None = None,
                  configs: Sequence[str] | None = None, workers: int = 1) -> AnalysisSize:
    """Size of the analysis of `data` and its estimated CPU time (no statistics computed).

    Examples
    --------
    >>> from etr.analysis import planted_dataset
    >>> size = analysis_size(planted_dataset(n_pqcs=100, n_seeds=2, seed=0))
    >>> size.runs, size.circuits, size.configs
    (1000, 100, 3)
    >>> size.describe().startswith("1,000 runs, 100 circuits, 8 definitions x 3 configurations")
    True
    """
    chosen = set(TRAINABILITY_DEFINITIONS if definitions is None else definitions)
    defs = [d for d in TRAINABILITY_DEFINITIONS if d in chosen and d in data.columns
            and pd.to_numeric(data[d], errors="coerce").notna().any()]
    present = (set(data["training_config"].dropna().astype(str))
               if "training_config" in data.columns else set())
    cfgs = [c for c in present if c in CONFIGS and CONFIGS[c].has_pqc
            and (configs is None or c in configs)]
    circuits = int(data["pqc_id"].nunique()) if "pqc_id" in data.columns else 0
    instances = max(int(data["task_id"].nunique()), 1) if "task_id" in data.columns else 1
    k, m = max(len(defs), 1), max(len(cfgs), 1)
    seconds = (BASE_SECONDS + PER_RUN_SECONDS * len(data) * k
               + PER_INSTANCE_RUN_SECONDS * len(data) * k * instances
               + PER_CIRCUIT_SECONDS * circuits * m
               + (POOL_SECONDS if workers > 1 and circuits >= POOL_CIRCUITS else 0.0))
    return AnalysisSize(runs=len(data), circuits=circuits, instances=instances,
                        definitions=len(defs),
                        configs=len(cfgs), cpu_seconds=float(np.round(seconds, 1)))
