"""Run a whole NAS spec: one search per setting, their comparison, and the trials dataset."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from etr.contract import COLUMNS
from etr.nas.compare import Comparison, compare_settings
from etr.nas.evaluate import Evaluator
from etr.nas.search import SearchResult, run_search
from etr.nas.spec import NasSpec

__all__ = ["NasResult", "run_nas", "trials_dataset"]


@dataclass(frozen=True, slots=True)
class NasResult:
    """Every search of a spec and how their fronts compare.

    Attributes
    ----------
    spec : the spec that was run.
    results : one `SearchResult` per setting, in spec order.
    comparison : `Comparison` of the fronts (also for a single setting).
    elapsed_s : wall time of the whole run.
    n_evaluations : architectures actually evaluated (cache misses) by this run.
    """

    spec: NasSpec
    results: tuple[SearchResult, ...]
    comparison: Comparison
    elapsed_s: float
    n_evaluations: int

    def to_frame(self) -> pd.DataFrame:
        """All trials of all settings, one row per trial."""
        return pd.concat([r.trials for r in self.results], ignore_index=True)

    @property
    def seconds_per_evaluation(self) -> float:
        return self.elapsed_s / self.n_evaluations if self.n_evaluations else float("nan")


def run_nas(spec: NasSpec, *, evaluator: Evaluator | None = None, workers: int = 1,
            scheduler: str | None = None,
            progress: Callable[[str, int, int], None] | None = None) -> NasResult:
    """Run one search per setting of `spec` (sharing evaluations between settings with the same
    training configuration) and compare the fronts.

    Examples
    --------
    >>> from etr.nas import synthetic_evaluator
    >>> from etr.nas.spec import parse_nas_spec
    >>> spec = parse_nas_spec({"nas": {"n_trials": 6, "population_size": 3,
    ...     "compare": ["hybrid_quantum_only/grad_var", "hybrid_full/grad_var"]}})
    >>> res = run_nas(spec, evaluator=synthetic_evaluator)
    >>> res.comparison.hypervolume["setting"].tolist()
    ['hybrid_quantum_only/grad_var', 'hybrid_full/grad_var']
    """
    t0 = time.perf_counter()
    cache: dict = {}
    results = []
    for setting in spec.settings:
        cb = None if progress is None else (lambda d, n, s=setting.label: progress(s, d, n))
        results.append(run_search(
            spec.space, setting=setting, objectives=spec.objectives, n_trials=spec.n_trials,
            seed=spec.seed, sampler=spec.sampler, population_size=spec.population_size,
            batch_size=spec.batch_size, evaluation=spec.evaluation, evaluator=evaluator,
            storage=spec.storage, workers=workers, scheduler=scheduler, cache=cache,
            progress=cb,
        ))
    n_eval = sum(int((~r.trials["cached"] & (r.trials["state"] == "COMPLETE")
                      & (r.trials["trial"] >= r.n_resumed)).sum()) for r in results)
    return NasResult(spec, tuple(results), compare_settings(results),
                     time.perf_counter() - t0, n_eval)


def trials_dataset(result: NasResult) -> tuple[pd.DataFrame, dict]:
    """The evaluated runs as a contract dataset, plus the NAS provenance to store with it.

    One row per distinct (architecture, training configuration) among the completed trials (the
    runs; a run is shared by settings that differ only in the trainability definition). Which trial
    of which setting found each run, and whether it is Pareto-optimal there, goes into the
    provenance under ``"nas_trials"``. Write with `etr.experiment.write_dataset`.
    """
    trials = result.to_frame()
    done = trials[trials["state"] == "COMPLETE"]
    runs = done.drop_duplicates(["architecture_id", "training_config"]).copy()
    runs["status"] = "ok"
    runs["error"] = pd.NA
    runs["cell_id"] = [
        hashlib.sha256(f"{a}|{c}|{s}".encode()).hexdigest()[:12]
        for a, c, s in zip(runs["architecture_id"], runs["training_config"], runs["seed"])
    ]
    if "pqc_id" not in runs.columns or runs["pqc_id"].isna().any():
        from etr.hybrid.architecture import Architecture

        runs["pqc_id"] = [
            Architecture(**{k: row[k] for k in _ARCH_KEYS}).pqc_id
            for _, row in runs.iterrows()
        ]
    for col, dtype in COLUMNS.items():
        if col not in runs.columns:
            runs[col] = pd.Series(np.nan if dtype == "float64" else pd.NA, index=runs.index)
    data = runs[list(COLUMNS)].reset_index(drop=True)
    nas_trials = trials[["setting", "trial", "state", "architecture_id", "pareto"]]
    prov = {
        "command": "etr nas",
        "spec": json.loads(json.dumps(result.spec.source, default=str)),
        "root_seed": result.spec.seed,
        "settings": [r.setting.label for r in result.results],
        "nas_trials": nas_trials.astype(object).where(nas_trials.notna(), None)
        .to_dict(orient="records"),
    }
    return data, prov


_ARCH_KEYS = ("family", "circuit", "n_qubits", "layers", "topology", "rotations", "entangler",
              "encoding", "reupload", "classical_pre", "classical_post")
