"""Multi-objective architecture search with Optuna: seeded, cached, resumable, parallel in batches.

How a search runs
-----------------
Trials are *asked* from an Optuna study in batches of ``batch_size``, their architectures are
evaluated (in this process, on local worker processes or on a Dask cluster) and the results are
*told* back in trial order. The run seed of a trial derives from (root seed, architecture id), and
an architecture already evaluated under the same training configuration is not evaluated again.
Given the seed and the batch size the trial sequence is therefore the same for any number of
workers; it changes with ``batch_size`` (the sampler sees results one batch at a time).

Resuming
--------
With a ``storage`` URL (e.g. ``sqlite:///nas.db``) every trial and its full evaluation record are
kept in the Optuna storage. Running the same search again reopens the study, re-evaluates trials a
killed run left unfinished, and continues counting to ``n_trials`` (a total, not additional
trials). The sampler is re-seeded from (seed, number of trials already stored), so a resumed search
is itself reproducible, though not identical to an uninterrupted one.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna
import pandas as pd

from etr._validation import check_choice, check_int
from etr.contract import ARCHITECTURE_COLUMNS
from etr.errors import SpecError
from etr.hybrid.architecture import Architecture
from etr.nas.evaluate import Evaluator, cost_columns, run_seed, simulate_architecture
from etr.nas.objectives import DEFAULT_OBJECTIVES, Objective, Setting, resolve_objectives
from etr.nas.pareto import hypervolume_curve, non_dominated, to_minimisation
from etr.nas.space import SearchSpace

__all__ = [
    "SAMPLERS",
    "SearchResult",
    "normalised_objectives",
    "objective_bounds",
    "open_storage",
    "run_search",
]

SAMPLERS: tuple[str, ...] = ("nsga2", "tpe", "random")
REFERENCE = 1.1  #: reference point of normalised hypervolumes, in every objective



@dataclass(frozen=True, slots=True)
class SearchResult:
    """The trials of one search and its Pareto front.

    Attributes
    ----------
    setting : the training configuration and trainability definition searched under.
    objectives : the objectives, in study order.
    trials : one row per trial: ``setting, training_config, trainability, trial, state,
        architecture_id, label``, the architecture factors, the evaluation record's columns
        (metrics, ``n_params``, ``n_gates``), ``cached`` (re-used an earlier evaluation),
        ``wall_time_s`` and ``pareto`` (non-dominated among the completed trials).
    study_name, storage : where the study lives (storage ``None`` = in memory).
    n_resumed : trials that were already in the storage when this run started.
    seed, sampler, batch_size : how it was searched.
    """

    setting: Setting
    objectives: tuple[Objective, ...]
    trials: pd.DataFrame
    study_name: str
    storage: str | None
    n_resumed: int
    seed: int
    sampler: str
    batch_size: int
    evaluation: Mapping[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The trials table (a copy)."""
        return self.trials.copy()

    def front(self) -> pd.DataFrame:
        """Pareto-optimal trials, one row per architecture (first trial that found it)."""
        f = self.trials[self.trials["pareto"]]
        return f.drop_duplicates("architecture_id").reset_index(drop=True)

    @property
    def pareto_ids(self) -> frozenset[str]:
        """Architecture ids on the front."""
        return frozenset(self.trials.loc[self.trials["pareto"], "architecture_id"])

    def hypervolume_curve(self, bounds: Mapping[str, tuple[float, float]] | None = None,
                          ) -> pd.DataFrame:
        """Normalised hypervolume of the completed trials so far, after every trial.

        Returns columns ``setting, trial, hypervolume``; the reference point is 1.1 in every
        normalised objective (see `normalised_objectives`).
        """
        done = self.trials[self.trials["state"] == "COMPLETE"]
        bounds = objective_bounds([done], self.objectives) if bounds is None else bounds
        pts = normalised_objectives(done, self.objectives, bounds)
        hv = hypervolume_curve(pts, [REFERENCE] * len(self.objectives))
        return pd.DataFrame({"setting": self.setting.label, "trial": done["trial"].to_numpy(),
                             "hypervolume": hv})


def objective_bounds(frames: Sequence[pd.DataFrame], objectives: Sequence[Objective],
                     ) -> dict[str, tuple[float, float]]:
    """Per objective column, the (min, max) over all completed rows of `frames` (log10 where the
    objective is log-scaled): the common scale for comparing searches."""
    out: dict[str, tuple[float, float]] = {}
    for ob in objectives:
        vals = []
        for f in frames:
            if ob.column in f.columns:
                vals.append(_scaled(f[ob.column].to_numpy(dtype=float), ob))
        v = np.concatenate(vals) if vals else np.array([])
        v = v[np.isfinite(v)]
        out[ob.column] = (float(v.min()), float(v.max())) if v.size else (0.0, 1.0)
    return out


def _scaled(values: np.ndarray, ob: Objective) -> np.ndarray:
    if ob.log_scale:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log10(np.where(values > 0, values, np.nan))
    return values


def normalised_objectives(frame: pd.DataFrame, objectives: Sequence[Objective],
                          bounds: Mapping[str, tuple[float, float]]) -> np.ndarray:
    """Objectives as a minimisation array scaled to [0, 1]: 0 = best value in `bounds`.

    Each column is log10-transformed if log-scaled, min-max scaled with `bounds`, and flipped for
    objectives to maximise. A constant column maps to 0.
    """
    cols = []
    for ob in objectives:
        v = _scaled(frame[ob.column].to_numpy(dtype=float), ob)
        lo, hi = bounds[ob.column]
        span = hi - lo if hi > lo else 1.0
        z = (v - lo) / span
        cols.append(1.0 - z if ob.direction == "maximize" else z)
    return np.column_stack(cols) if cols else np.empty((len(frame), 0))


def open_storage(url: str | None) -> optuna.storages.BaseStorage | None:
    """Open an Optuna storage URL (a bare path means SQLite); `SpecError` if it cannot be opened.

    Examples
    --------
    >>> open_storage(None) is None
    True
    """
    if url is None:
        return None
    if not isinstance(url, str) or not url:
        raise SpecError(f"`storage` must be a URL such as 'sqlite:///nas.db', got {url!r}")
    full = url if "://" in url else f"sqlite:///{url}"
    try:
        return optuna.storages.RDBStorage(full)
    except Exception as exc:  # sqlalchemy and optuna raise many types here
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SpecError(f"`storage` {url!r} cannot be opened: {msg}") from None


def _make_sampler(name: str, seed: int, population_size: int) -> optuna.samplers.BaseSampler:
    if name == "nsga2":
        return optuna.samplers.NSGAIISampler(population_size=population_size, seed=seed)
    if name == "tpe":
        with warnings.catch_warnings():  # multivariate / constant_liar are flagged experimental
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.samplers.TPESampler(seed=seed, multivariate=True, constant_liar=True,
                                              n_startup_trials=population_size)
    return optuna.samplers.RandomSampler(seed=seed)


def _safe_eval(evaluator: Evaluator, arch: Architecture, training_config: str, seed: int,
               options: Mapping[str, Any]) -> tuple[dict | None, str | None, float]:
    t0 = time.perf_counter()
    try:
        rec = dict(evaluator(arch, training_config, seed, options))
        return rec, None, time.perf_counter() - t0
    except Exception as exc:  # a failing architecture is a failed trial, not a failed search
        return None, f"{type(exc).__name__}: {exc}".splitlines()[0], time.perf_counter() - t0


class _Workers:
    """Evaluate jobs in this process, on local processes or on a Dask cluster."""

    def __init__(self, workers: int, scheduler: str | None) -> None:
        self.workers, self.scheduler = workers, scheduler
        self._pool: cf.ProcessPoolExecutor | None = None
        self._client: Any = None

    def __enter__(self) -> _Workers:
        if self.scheduler is not None:
            from dask.distributed import Client

            try:
                self._client = Client(self.scheduler, timeout="10s")
            except Exception as exc:
                raise SpecError(f"`scheduler` {self.scheduler!r} cannot be reached: {exc}"
                                ) from None
        elif self.workers > 1:
            self._pool = cf.ProcessPoolExecutor(max_workers=self.workers)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
        if self._client is not None:
            self._client.close()

    def map(self, evaluator: Evaluator, jobs: list[tuple]) -> list[tuple]:
        if self._client is not None:
            futs = [self._client.submit(_safe_eval, evaluator, *job, pure=False) for job in jobs]
            return self._client.gather(futs)
        if self._pool is not None and len(jobs) > 1:
            futs = [self._pool.submit(_safe_eval, evaluator, *job) for job in jobs]
            return [f.result() for f in futs]
        return [_safe_eval(evaluator, *job) for job in jobs]


def _config_hash(space: SearchSpace, objectives: Sequence[Objective], setting: Setting,
                 evaluation: Mapping[str, Any], seed: int, sampler: str, population: int,
                 batch: int) -> str:
    payload = {
        "space": space.to_dict(), "objectives": [o.column for o in objectives],
        "directions": [o.direction for o in objectives], "setting": setting.label,
        "evaluation": dict(evaluation), "seed": seed, "sampler": sampler,
        "population_size": population, "batch_size": batch,
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_search(
    space: SearchSpace,
    *,
    setting: Setting | None = None,
    objectives: Sequence[str] = DEFAULT_OBJECTIVES,
    n_trials: int = 40,
    seed: int = 0,
    sampler: str = "nsga2",
    population_size: int = 12,
    batch_size: int | None = None,
    evaluation: Mapping[str, Any] | None = None,
    evaluator: Evaluator | None = None,
    storage: str | None = None,
    study_name: str | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    cache: dict | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SearchResult:
    """Search `space` for architectures that are Pareto-optimal in `objectives` under `setting`.

    Parameters
    ----------
    space : the design space.
    setting : training configuration and trainability definition (default hybrid_full/grad_var).
    objectives : names from `etr.nas.OBJECTIVES`; ``"trainability"`` reads the setting's
        definition.
    n_trials : total number of trials of the study (a resumed study continues to this count).
    seed : root seed of the sampler and of every run seed.
    sampler : ``"nsga2"`` (NSGA-II, Deb et al. 2002), ``"tpe"`` (multivariate multi-objective
        TPE) or ``"random"``.
    population_size : NSGA-II population; TPE's number of random start-up trials.
    batch_size : trials asked per batch and evaluated in parallel (default `population_size`).
    evaluation : options for the evaluator (``[nas.evaluation]``: task, sample sizes, steps ...).
    evaluator : ``f(arch, training_config, seed, options) -> dict``; default
        `simulate_architecture`. Must be picklable for ``workers > 1`` or Dask.
    storage : Optuna storage URL (``sqlite:///PATH``; a bare path means SQLite) to keep and resume
        the study; ``None`` keeps it in memory.
    study_name : name inside the storage (default ``nas-<training_config>-<trainability>``).
    workers : local worker processes; ignored when `scheduler` (a Dask address) is given.
    cache : dict shared between searches: (architecture id, training config) -> record.
    progress : called with (finished trials, n_trials) after every batch.

    Returns
    -------
    SearchResult

    Raises
    ------
    etr.errors.InputError
        Bad argument, a storage that cannot be opened, or a stored study made with another
        configuration.

    Examples
    --------
    >>> from etr.nas import SearchSpace, synthetic_evaluator
    >>> res = run_search(SearchSpace(n_qubits=(2, 3), layers=(1, 2)), n_trials=8,
    ...                  population_size=4, evaluator=synthetic_evaluator, seed=1)
    >>> len(res.trials), bool(res.trials["pareto"].any())
    (8, True)
    """
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # no log line per trial
    try:
        return _search(space, setting, objectives, n_trials, seed, sampler, population_size,
                       batch_size, evaluation, evaluator, storage, study_name, workers,
                       scheduler, cache, progress)
    finally:
        optuna.logging.set_verbosity(verbosity)


def _search(space: SearchSpace, setting: Setting | None, objectives: Sequence[str],
            n_trials: int, seed: int, sampler: str, population_size: int,
            batch_size: int | None, evaluation: Mapping[str, Any] | None,
            evaluator: Evaluator | None, storage: str | None, study_name: str | None,
            workers: int, scheduler: str | None, cache: dict | None,
            progress: Callable[[int, int], None] | None) -> SearchResult:
    setting = Setting() if setting is None else setting
    obs = resolve_objectives(objectives, setting.trainability)
    n_trials = check_int("n_trials", n_trials, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    check_choice("sampler", sampler, SAMPLERS)
    population_size = check_int("population_size", population_size, minimum=2)
    batch = population_size if batch_size is None else check_int("batch_size", batch_size,
                                                                  minimum=1)
    workers = check_int("workers", workers, minimum=1)
    evaluation = dict(evaluation or {})
    evaluator = simulate_architecture if evaluator is None else evaluator
    cache = {} if cache is None else cache
    name = study_name or f"nas-{setting.training_config}-{setting.trainability}"
    config = _config_hash(space, obs, setting, evaluation, seed, sampler, population_size, batch)
    store = open_storage(storage)

    n_existing = 0
    if store is not None:
        try:
            old = optuna.load_study(study_name=name, storage=store)
        except KeyError:
            old = None
        if old is not None:
            stored = old.user_attrs.get("etr_config")
            if stored != config:
                raise SpecError(
                    f"`storage` already holds study {name!r} made with another configuration; "
                    "use another storage or study name"
                )
            n_existing = len(old.get_trials(deepcopy=False))
    sampler_seed = int(np.random.SeedSequence([seed, n_existing]).generate_state(1)[0])
    study = optuna.create_study(
        study_name=name, storage=store, load_if_exists=True,
        directions=[o.direction for o in obs],
        sampler=_make_sampler(sampler, sampler_seed, population_size),
    )
    study.set_user_attr("etr_config", config)
    _fill_cache(study, cache, setting)
    options = {**evaluation, "root_seed": seed}

    with _Workers(workers, scheduler) as pool:
        stale = [_resample(study, space, t) for t in study.get_trials(deepcopy=False)
                 if t.state == optuna.trial.TrialState.RUNNING]
        _finish(study, pool, evaluator, stale, space, setting, obs, options, cache, seed)
        while (done := _n_finished(study)) < n_trials:
            k = min(batch, n_trials - done)
            asked = [study.ask() for _ in range(k)]
            for t in asked:
                space.suggest(t)
            frozen = [study._storage.get_trial(t._trial_id) for t in asked]
            _finish(study, pool, evaluator, frozen, space, setting, obs, options, cache, seed)
            if progress is not None:
                progress(_n_finished(study), n_trials)

    trials = _trials_frame(study, setting, obs)
    return SearchResult(setting, obs, trials, name, storage, n_existing, seed, sampler, batch,
                        evaluation)


def _resample(study: optuna.Study, space: SearchSpace, trial: optuna.trial.FrozenTrial,
              ) -> optuna.trial.FrozenTrial:
    """Re-attach to a trial a killed run left RUNNING; finish sampling it if it was cut short
    (parameters already stored are kept)."""
    try:
        space.architecture(trial.params)
        return trial
    except (KeyError, ValueError):
        space.suggest(optuna.trial.Trial(study, trial._trial_id))
        return study._storage.get_trial(trial._trial_id)


def _n_finished(study: optuna.Study) -> int:
    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL)
    return len(study.get_trials(deepcopy=False, states=states))


def _fill_cache(study: optuna.Study, cache: dict, setting: Setting) -> None:
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        info = t.user_attrs.get("etr", {})
        if "record" in info:
            cache.setdefault((info["architecture_id"], setting.training_config), info["record"])


def _finish(study: optuna.Study, pool: _Workers, evaluator: Evaluator,
            trials: list[optuna.trial.FrozenTrial], space: SearchSpace, setting: Setting,
            obs: Sequence[Objective], options: Mapping[str, Any], cache: dict, seed: int) -> None:
    """Evaluate (uncached, unique) architectures of `trials` and tell every trial its values."""
    archs: list[Architecture | None] = []
    for t in trials:
        try:
            archs.append(space.architecture(t.params))
        except (KeyError, ValueError):
            archs.append(None)  # a run killed while sampling left incomplete params
    todo: dict[str, Architecture] = {}
    for a in archs:
        if a is not None and (a.architecture_id, setting.training_config) not in cache:
            todo.setdefault(a.architecture_id, a)
    jobs = [(a, setting.training_config, run_seed(seed, aid), options)
            for aid, a in todo.items()]
    fresh: dict[str, tuple] = {}
    for (aid, _), out in zip(todo.items(), pool.map(evaluator, jobs)):
        fresh[aid] = out
    for t, a in zip(trials, archs):
        if a is None:
            study.tell(t.number, state=optuna.trial.TrialState.FAIL)
            continue
        aid = a.architecture_id
        key = (aid, setting.training_config)
        info: dict[str, Any] = {"architecture_id": aid, "seed": run_seed(seed, aid),
                                "cached": aid not in fresh or key in cache}
        if aid in fresh and key not in cache:
            rec, err, wall = fresh[aid]
            if rec is None:
                info["error"] = err
                _tell(study, t, info, None)
                continue
            cache[key] = complete_record(rec, a, wall)
        info["record"] = cache[key]
        values = [info["record"].get(o.column, np.nan) for o in obs]
        try:
            values = [float(v) for v in values]
        except (TypeError, ValueError):
            values = [np.nan]
        if not np.isfinite(values).all():
            info["error"] = "non-finite objective"
            _tell(study, t, info, None)
        else:
            _tell(study, t, info, values)


def complete_record(rec: Mapping[str, Any], arch: Architecture, wall: float) -> dict:
    """An evaluator's record plus parameter and gate counts and wall time, JSON-safe."""
    rec = dict(rec)
    n_q, n_c = rec.get("n_quantum_params"), rec.get("n_classical_params")
    if n_q is not None and n_c is not None:
        rec["n_params"] = int(n_q) + int(n_c)
    rec.update(cost_columns(arch))
    rec["wall_time_s"] = float(wall)
    return _jsonable(rec)


def _tell(study: optuna.Study, trial: optuna.trial.FrozenTrial, info: dict,
          values: list[float] | None) -> None:
    """Store the trial's record (one storage write) and finish it."""
    study._storage.set_trial_user_attr(trial._trial_id, "etr", info)
    if values is None:
        study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
    else:
        study.tell(trial.number, values)


def _jsonable(rec: Mapping[str, Any]) -> dict:
    out = {}
    for k, v in rec.items():
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, float | int | str | bool) or v is None:
            out[k] = v
    return out


def _trials_frame(study: optuna.Study, setting: Setting, obs: Sequence[Objective],
                  ) -> pd.DataFrame:
    rows = []
    for t in study.get_trials(deepcopy=False):
        row: dict[str, Any] = {
            "setting": setting.label, "training_config": setting.training_config,
            "trainability": setting.trainability, "trial": t.number, "state": t.state.name,
        }
        try:
            arch = SearchSpace.architecture(t.params)
        except (KeyError, ValueError):
            arch = None
        row["architecture_id"] = arch.architecture_id if arch else None
        row["label"] = arch.label() if arch else None
        for col in ARCHITECTURE_COLUMNS:
            row[col] = getattr(arch, col) if arch else None
        info = t.user_attrs.get("etr", {})
        row.update(info.get("record", {}))
        row["seed"] = info.get("seed")
        row["cached"] = bool(info.get("cached", False))
        row["error"] = info.get("error")
        rows.append(row)
    df = pd.DataFrame(rows)
    for o in obs:
        if o.column not in df.columns:
            df[o.column] = np.nan
    done = (df["state"] == "COMPLETE").to_numpy()
    mask = np.zeros(len(df), dtype=bool)
    if done.any():
        pts = to_minimisation(df.loc[done, [o.column for o in obs]].to_numpy(dtype=float),
                              [o.direction for o in obs])
        mask[np.flatnonzero(done)] = non_dominated(pts)
    df["pareto"] = mask
    return df.sort_values("trial").reset_index(drop=True)
