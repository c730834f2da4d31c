"""Run a whole NAS spec: the searches, the common pool, the control, the comparison, the dataset.

What `run_nas` does
-------------------
1. For every setting and every search seed k = 0 .. ``search_seeds - 1``, one search
   (`etr.nas.run_search`): sampler seeded from (root seed, k), every architecture trained under
   the ``replicates`` replicates of block k. Runs are shared between searches through one cache
   (settings with the same training configuration and seed reuse each other's runs).
2. The common pool (`pool_fronts`): every architecture any search completed, evaluated under
   every searched training configuration and every replicate block; each search's front is
   then taken again over this same pool, with its own setting and block.
3. The classical-only control (`etr.hybrid.ClassicalControl`, ``training_config =
   "classical_only"``): once per (classical parts, width, encoding) of the pool
   (`Architecture.control_id`) and replicate, on the same task instances. The control has no
   PQC, so it is never on a front; `control_table` sets each pool architecture's accuracy
   beside its control's, replicate block by replicate block: what the PQC adds.
4. The comparison (`etr.nas.compare`): hypervolumes, and the distances ``1 - Jaccard`` between
   fronts, within a setting (two search seeds) and between settings, for the searches' own
   fronts and for the pool fronts; the claims table is the pool scope.

All of it runs on one pool of workers.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from etr._hashing import short_hash
from etr.contract import ARCHITECTURE_COLUMNS, COLUMNS
from etr.errors import SpecError
from etr.nas import search as _search
from etr.nas.compare import Comparison, claims_table, compare_settings, front_distances
from etr.nas.evaluate import Evaluation, Evaluator
from etr.nas.pareto import non_dominated, to_minimisation
from etr.nas.search import SearchResult, evaluate_architectures, run_search, trial_record
from etr.nas.spec import NasSpec
from etr.parallel import Pool, open_pool
from etr.plan.architecture import Architecture

__all__ = ["CONTROL", "NasResult", "claims_csv", "control_table", "pool_fronts", "run_nas",
           "trials_dataset"]

#: the training configuration of the classical-only control.
CONTROL = "classical_only"


@dataclass(frozen=True, slots=True)
class NasResult:
    """Every search of a spec, the common pool, the control, and how the fronts compare.

    Attributes
    ----------
    spec : the spec that was run.
    results : one `SearchResult` per (setting, search seed), settings in spec order.
    comparison : `Comparison` of the fronts (distances of both scopes).
    control : `control_table` (empty when the control is off).
    runs : one row per evaluated run (architecture or control, configuration, replicate):
        what `trials_dataset` writes.
    elapsed_s : wall time of the whole run.
    n_evaluations : runs actually evaluated (cache misses) by this call.
    """

    spec: NasSpec
    results: tuple[SearchResult, ...]
    comparison: Comparison
    control: pd.DataFrame
    runs: pd.DataFrame
    elapsed_s: float
    n_evaluations: int

    def to_frame(self) -> pd.DataFrame:
        """All trials of all searches, one row per trial."""
        return pd.concat([r.trials for r in self.results], ignore_index=True)

    @property
    def claims(self) -> pd.DataFrame:
        """The claims table (`etr.nas.compare.claims_table` of the pool scope)."""
        return self.comparison.claims()

    @property
    def seconds_per_evaluation(self) -> float:
        return self.elapsed_s / self.n_evaluations if self.n_evaluations else float("nan")


def run_nas(spec: NasSpec, *, evaluator: Evaluator | None = None, workers: int | None = 1,
            scheduler: str | None = None,
            progress: Callable[[str, int, int], None] | None = None) -> NasResult:
    """Run every search of `spec`, the common pool and the control; compare the fronts.

    Parameters
    ----------
    spec : the NAS spec (settings, search seeds, replicates, space, run sections).
    evaluator : the run evaluator (default `etr.nas.search.default_evaluator`).
    workers, scheduler : where the runs are evaluated (one pool for everything).
    progress : called with (search label, finished trials, n_trials) after every batch.

    Examples
    --------
    >>> from etr.nas import synthetic_evaluator
    >>> from etr.nas.spec import parse_nas_spec
    >>> spec = parse_nas_spec({"nas": {"n_trials": 6, "population_size": 3,
    ...     "compare": ["hybrid_quantum_only/grad_var", "hybrid_full/grad_var"]}})
    >>> res = run_nas(spec, evaluator=synthetic_evaluator)
    >>> [r.label for r in res.results]  # doctest: +NORMALIZE_WHITESPACE
    ['hybrid_quantum_only/grad_var/seed0', 'hybrid_quantum_only/grad_var/seed1',
     'hybrid_full/grad_var/seed0', 'hybrid_full/grad_var/seed1']
    >>> sorted(res.claims["kind"].unique())
    ['between', 'within']
    """
    t0 = time.perf_counter()
    evaluator = _search.default_evaluator() if evaluator is None else evaluator
    evaluation = spec.evaluation
    cache: dict = {}
    results: list[SearchResult] = []
    with open_pool(workers, scheduler, error=SpecError) as pool:
        for setting in spec.settings:
            for k in range(spec.search_seeds):
                label = _search.search_label(setting, k)
                cb = None if progress is None else (lambda d, n, s=label: progress(s, d, n))
                results.append(run_search(
                    spec.space, setting=setting, objectives=spec.objectives,
                    n_trials=spec.n_trials, seed=spec.root_seed, search_seed=k,
                    replicates=spec.replicates, sampler=spec.sampler,
                    population_size=spec.population_size, batch_size=spec.batch_size,
                    evaluation=evaluation, evaluator=evaluator, storage=spec.storage,
                    pool=pool, cache=cache, progress=cb))
        n_eval = sum(r.n_evaluated for r in results)
        fronts, pool_frame, n_pool = pool_fronts(results, pool=pool, cache=cache,
                                                 evaluator=evaluator, evaluation=evaluation)
        n_eval += n_pool
        control = pd.DataFrame()
        if spec.control:
            control, n_control = control_table(results, pool=pool, cache=cache,
                                               evaluator=evaluator, evaluation=evaluation,
                                               pool_fronts=pool_frame)
            n_eval += n_control
    comparison = compare_settings(results)
    distances = pd.concat([comparison.distances,
                           front_distances(fronts, "pool")], ignore_index=True)
    comparison = dataclasses.replace(comparison, distances=distances, pool_fronts=pool_frame)
    runs = _runs_frame(cache, _pool(results), spec)
    return NasResult(spec, tuple(results), comparison, control, runs,
                     time.perf_counter() - t0, n_eval)


def _architecture(row: pd.Series | Mapping[str, Any]) -> Architecture:
    """The `Architecture` of a trials-table row."""
    values = {k: row[k] for k in ARCHITECTURE_COLUMNS}
    values["n_qubits"], values["layers"] = int(values["n_qubits"]), int(values["layers"])
    values["reupload"] = bool(values["reupload"])
    return Architecture(**values)


def _pool(results: Sequence[SearchResult]) -> dict[str, Architecture]:
    """Every architecture any search completed, in order of first completion."""
    pool: dict[str, Architecture] = {}
    for r in results:
        done = r.trials[r.trials["state"] == "COMPLETE"]
        for _, row in done.iterrows():
            if row["architecture_id"] not in pool:
                pool[row["architecture_id"]] = _architecture(row)
    return pool


def _record(cache: Mapping, arch: Architecture, config: str, block: Sequence[int],
            ) -> dict | None:
    """The trial record of `arch` under `config` over the replicates `block` (None if a run is
    missing: it failed)."""
    runs = [cache.get(("run", arch.architecture_id, config, r)) for r in block]
    if any(run is None for run in runs):
        return None
    return trial_record(runs, cache.get(("circuit", arch.pqc_id)))


def pool_fronts(results: Sequence[SearchResult], *, pool: Pool, cache: dict,
                evaluator: Evaluator, evaluation: Evaluation,
                ) -> tuple[dict, pd.DataFrame, int]:
    """Pareto fronts of one common pool of architectures, for every search.

    Each search only evaluates the architectures its sampler proposes, so two fronts can differ
    merely because one search never tried an architecture. Here every architecture completed by
    any search is evaluated under every searched training configuration and every replicate
    block (runs already in `cache` are reused; seeds depend on the architecture and replicate
    only, as in the searches), and each search's front is the non-dominated subset of that same
    pool under its setting's objectives, averaged over its own replicate block. Two searches of
    one setting then differ only by their replicates: the evaluation noise.

    Returns
    -------
    fronts : (setting, search seed) -> frozenset of architecture ids.
    frame : ``search, setting, search_seed, architecture_id, label``, one row per front member.
    n_evaluations : runs evaluated here (cache misses).
    """
    archs = _pool(results)
    configs = list(dict.fromkeys(r.setting.training_config for r in results))
    replicates = sorted({rep for r in results for rep in r.replicates})
    before = sum(k[0] == "run" for k in cache)
    evaluate_architectures(pool, evaluator, list(archs.values()), configs, replicates,
                           evaluation, cache)
    n_eval = sum(k[0] == "run" for k in cache) - before
    fronts: dict[tuple, frozenset[str]] = {}
    rows = []
    for r in results:
        cols = [o.column for o in r.objectives]
        ids, values = [], []
        for aid, arch in archs.items():
            rec = _record(cache, arch, r.setting.training_config, r.replicates)
            if rec is None:
                continue
            v = np.array([rec.get(c, np.nan) for c in cols], dtype=float)
            if np.isfinite(v).all():
                ids.append(aid)
                values.append(v)
        mask = (non_dominated(to_minimisation(np.array(values),
                                              [o.direction for o in r.objectives]))
                if values else np.zeros(0, dtype=bool))
        front = frozenset(a for a, m in zip(ids, mask, strict=True) if m)
        fronts[(r.setting, r.search_seed)] = front
        rows += [{"search": r.label, "setting": r.setting.label, "search_seed": r.search_seed,
                  "architecture_id": a, "label": archs[a].label()} for a in sorted(front)]
    frame = pd.DataFrame(rows, columns=["search", "setting", "search_seed", "architecture_id",
                                        "label"])
    return fronts, frame, n_eval


def control_table(results: Sequence[SearchResult], *, pool: Pool, cache: dict,
                  evaluator: Evaluator, evaluation: Evaluation,
                  pool_fronts: pd.DataFrame | None = None) -> tuple[pd.DataFrame, int]:
    """Every pool architecture's test accuracy beside its classical-only control's.

    The control (the same classical parts, width and encoding with the PQC replaced by a fixed
    map, trained end to end) is evaluated once per `Architecture.control_id` and replicate,
    on the same task instances as the hybrids. For each search, each pool architecture's mean
    accuracy over the search's replicate block is set beside its control's mean over the same
    block (a paired comparison: same task instances).

    Returns
    -------
    table : one row per (search, pool architecture): ``search, setting, search_seed,
        training_config, architecture_id, label, control_id, classical_pre, classical_post,
        n_qubits, encoding, test_accuracy, control_accuracy, gap`` (= test_accuracy -
        control_accuracy), ``on_search_front`` (on the front the search found),
        ``on_pool_front`` (on the search's front over the common pool).
    n_evaluations : control runs evaluated here.
    """
    archs = _pool(results)
    replicates = sorted({rep for r in results for rep in r.replicates})
    before = sum(k[0] == "run" for k in cache)
    evaluate_architectures(pool, evaluator, list(archs.values()), [CONTROL], replicates,
                           evaluation, cache)
    n_eval = sum(k[0] == "run" for k in cache) - before
    pool_members = set()
    if pool_fronts is not None:
        pool_members = set(zip(pool_fronts["search"], pool_fronts["architecture_id"],
                               strict=True))
    rows = []
    for r in results:
        config = r.setting.training_config
        for aid, arch in archs.items():
            runs = [cache.get(("run", aid, config, rep)) for rep in r.replicates]
            ctrl = [cache.get(("run", arch.control_id, CONTROL, rep)) for rep in r.replicates]
            if any(x is None for x in (*runs, *ctrl)):
                continue
            acc = float(np.mean([x["test_accuracy"] for x in runs]))
            cacc = float(np.mean([x["test_accuracy"] for x in ctrl]))
            rows.append({
                "search": r.label, "setting": r.setting.label, "search_seed": r.search_seed,
                "training_config": config, "architecture_id": aid, "label": arch.label(),
                "control_id": arch.control_id, "classical_pre": arch.classical_pre,
                "classical_post": arch.classical_post, "n_qubits": arch.n_qubits,
                "encoding": arch.encoding, "test_accuracy": acc, "control_accuracy": cacc,
                "gap": acc - cacc, "on_search_front": aid in r.pareto_ids,
                "on_pool_front": (r.label, aid) in pool_members})
    cols = ["search", "setting", "search_seed", "training_config", "architecture_id", "label",
            "control_id", "classical_pre", "classical_post", "n_qubits", "encoding",
            "test_accuracy", "control_accuracy", "gap", "on_search_front", "on_pool_front"]
    return pd.DataFrame(rows, columns=cols), n_eval


def _runs_frame(cache: Mapping, archs: Mapping[str, Architecture], spec: NasSpec,
                ) -> pd.DataFrame:
    """One contract row per run in `cache` of a pool architecture or its control."""
    by_id: dict[str, Architecture] = {}
    for arch in archs.values():
        by_id.setdefault(arch.architecture_id, arch)
        by_id.setdefault(arch.control_id, arch)
    settings = spec.run_sections(full=False)
    rows = []
    for key in sorted((k for k in cache if k[0] == "run" and k[1] in by_id),
                      key=lambda k: (k[1], k[2], k[3])):
        _, uid, config, rep = key
        arch = by_id[uid]
        row: dict[str, Any] = {c: np.nan for c, d in COLUMNS.items() if d == "float64"}
        row.update(arch.record(config))
        row.update({k: v for k, v in cache[key].items() if k in COLUMNS})
        if config != CONTROL:
            circ = cache.get(("circuit", arch.pqc_id)) or {}
            row.update({k: v for k, v in circ.items() if k in COLUMNS})
        row.update(cell_id=short_hash({"architecture_id": uid, "config": config,
                                       "replicate": int(rep), **settings}, 12),
                   seed=int(rep), training_config=config, status="ok", error=None)
        rows.append(row)
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _jsonable_frame(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records"))


def trials_dataset(result: NasResult) -> tuple[pd.DataFrame, dict]:
    """The evaluated runs as a contract dataset, plus the NAS provenance to store with it.

    One row per run: (architecture, training configuration, replicate) of every pool
    architecture and replicate that was evaluated, and the classical-only control's runs
    (``training_config = "classical_only"``, ``architecture_id`` = the control id, no
    ``pqc_id``); ``seed`` is the replicate, as in ``etr simulate``. The provenance holds the
    spec, the searches, every trial (``nas_trials``: search, trial, state, architecture,
    Pareto flag, the objectives' replicate means and standard errors), every front distance
    (``nas_distances``) and the claims table (``nas_claims``). Write with
    `etr.experiment.write_dataset`.
    """
    trials = result.to_frame()
    obj_cols = list(dict.fromkeys(o.column for r in result.results for o in r.objectives))
    keep = ["search", "setting", "search_seed", "trial", "state", "architecture_id", "pareto"]
    for c in obj_cols:
        keep += [c] + ([f"{c}_se"] if f"{c}_se" in trials.columns else [])
    nas_trials = trials.reindex(columns=keep)
    prov = {
        "command": "etr nas",
        "spec": json.loads(json.dumps(result.spec.source, default=str)),
        "root_seed": result.spec.root_seed,
        "settings": [s.label for s in result.spec.settings],
        "search_seeds": result.spec.search_seeds,
        "replicates": result.spec.replicates,
        "searches": [r.label for r in result.results],
        "nas_trials": _jsonable_frame(nas_trials),
        "nas_distances": _jsonable_frame(result.comparison.distances),
        "nas_claims": _jsonable_frame(result.claims),
    }
    return result.runs.reset_index(drop=True), prov


def claims_csv(result: NasResult) -> str:
    """The claims table as CSV text (what ``etr nas`` writes to ``<out stem>.claims.csv``)."""
    return claims_table(result.comparison.distances).to_csv(index=False)
