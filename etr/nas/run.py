"""Run a whole NAS spec: one search per setting, their comparison, and the trials dataset."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from etr._hashing import short_hash
from etr.contract import ARCHITECTURE_COLUMNS, COLUMNS
from etr.errors import SpecError
from etr.nas.compare import Comparison, compare_settings, overlap_table
from etr.nas.evaluate import Evaluation, Evaluator, run_seed, simulate_architecture
from etr.nas.pareto import non_dominated, to_minimisation
from etr.nas.search import SearchResult, complete_record, run_search
from etr.nas.spec import NasSpec
from etr.parallel import open_pool
from etr.plan.architecture import Architecture

__all__ = ["NasResult", "pool_fronts", "run_nas", "trials_dataset"]


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


def run_nas(spec: NasSpec, *, evaluator: Evaluator | None = None, workers: int | None = 1,
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
            seed=spec.root_seed, sampler=spec.sampler, population_size=spec.population_size,
            batch_size=spec.batch_size, evaluation=spec.evaluation, evaluator=evaluator,
            storage=spec.storage, workers=workers, scheduler=scheduler, cache=cache,
            progress=cb,
        ))
    n_eval = sum(int((~r.trials["cached"] & (r.trials["state"] == "COMPLETE")
                      & (r.trials["trial"] >= r.n_resumed)).sum()) for r in results)
    comparison = compare_settings(results)
    if len(results) > 1:
        pool_overlap, fronts, n_pool_eval = pool_fronts(
            results, cache=cache, evaluator=evaluator, evaluation=spec.evaluation,
            seed=spec.root_seed, workers=workers, scheduler=scheduler)
        comparison = dataclasses.replace(comparison, pool_overlap=pool_overlap,
                                         pool_fronts=fronts)
        n_eval += n_pool_eval
    return NasResult(spec, tuple(results), comparison, time.perf_counter() - t0, n_eval)


def _architecture(row: pd.Series) -> Architecture:
    """The `Architecture` of a trials-table row."""
    values = {k: row[k] for k in ARCHITECTURE_COLUMNS}
    values["n_qubits"], values["layers"] = int(values["n_qubits"]), int(values["layers"])
    values["reupload"] = bool(values["reupload"])
    return Architecture(**values)


def _pool(results: tuple[SearchResult, ...] | list[SearchResult]) -> dict[str, Architecture]:
    pool: dict[str, Architecture] = {}
    for r in results:
        done = r.trials[r.trials["state"] == "COMPLETE"]
        for _, row in done.iterrows():
            if row["architecture_id"] not in pool:
                pool[row["architecture_id"]] = _architecture(row)
    return pool


def pool_fronts(results: tuple[SearchResult, ...] | list[SearchResult], *, cache: dict,
                evaluator: Evaluator | None, evaluation: Evaluation, seed: int,
                workers: int | None = 1, scheduler: str | None = None,
                ) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Pareto fronts of one common pool of architectures under every setting.

    Each search only evaluates the architectures its sampler proposes, so two fronts can differ
    merely because one search never tried an architecture. Here every architecture completed by
    any search is evaluated under every training configuration (cached runs are reused; the run
    seed depends on the architecture only, as in the searches), and each setting's front is the
    non-dominated subset of that same pool.

    Returns
    -------
    overlap : ``setting_a, setting_b, n_a, n_b, n_common, jaccard`` (see `overlap_table`).
    fronts : ``setting, architecture_id, label``.
    n_evaluations : runs evaluated here (cache misses).
    """
    evaluator = simulate_architecture if evaluator is None else evaluator
    pool = _pool(results)
    evaluation = dataclasses.replace(evaluation, root_seed=seed)
    jobs, keys = [], []
    for config in dict.fromkeys(r.setting.training_config for r in results):
        for aid, arch in pool.items():
            if (aid, config) not in cache:
                jobs.append((arch, config, run_seed(seed, aid), evaluation))
                keys.append((aid, config))
    if jobs:
        with open_pool(workers, scheduler, n_jobs=len(jobs), error=SpecError) as workers_pool:
            outs = workers_pool.map(evaluator, jobs)
        for (aid, config), out in zip(keys, outs, strict=True):
            if out.ok:
                cache[(aid, config)] = complete_record(out.value, pool[aid], out.wall_time_s)
    fronts: dict[str, frozenset[str]] = {}
    rows = []
    for r in results:
        cols = [o.column for o in r.objectives]
        ids, values = [], []
        for aid in pool:
            rec = cache.get((aid, r.setting.training_config))
            if rec is None:
                continue
            v = np.array([rec.get(c, np.nan) for c in cols], dtype=float)
            if np.isfinite(v).all():
                ids.append(aid)
                values.append(v)
        mask = (non_dominated(to_minimisation(np.array(values), [o.direction
                                                                 for o in r.objectives]))
                if values else np.zeros(0, dtype=bool))
        front = frozenset(a for a, m in zip(ids, mask, strict=True) if m)
        fronts[r.setting.label] = front
        rows += [{"setting": r.setting.label, "architecture_id": a, "label": pool[a].label()}
                 for a in sorted(front)]
    fronts_frame = pd.DataFrame(rows, columns=["setting", "architecture_id", "label"])
    return overlap_table(fronts), fronts_frame, len(jobs)


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
        short_hash(f"{a}|{c}|{s}", 12)
        for a, c, s in zip(runs["architecture_id"], runs["training_config"], runs["seed"])
    ]
    if "pqc_id" not in runs.columns or runs["pqc_id"].isna().any():
        runs["pqc_id"] = [_architecture(row).pqc_id for _, row in runs.iterrows()]
    for col, dtype in COLUMNS.items():
        if col not in runs.columns:
            runs[col] = pd.Series(np.nan if dtype == "float64" else pd.NA, index=runs.index)
    data = runs[list(COLUMNS)].reset_index(drop=True)
    nas_trials = trials[["setting", "trial", "state", "architecture_id", "pareto"]]
    prov = {
        "command": "etr nas",
        "spec": json.loads(json.dumps(result.spec.source, default=str)),
        "root_seed": result.spec.root_seed,
        "settings": [r.setting.label for r in result.results],
        "nas_trials": nas_trials.astype(object).where(nas_trials.notna(), None)
        .to_dict(orient="records"),
    }
    return data, prov

