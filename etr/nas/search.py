"""Multi-objective architecture search with Optuna: seeded, cached, resumable, parallel in batches.

How a search runs
-----------------
Trials are *asked* from an Optuna study in batches of ``batch_size``, their architectures are
evaluated (in this process, on local worker processes or on a Dask cluster) and the results are
*told* back in trial order. Every architecture is trained under the ``replicates`` replicates of
the search's block (`etr.nas.evaluate.replicate_block`): replicate r on the task instance of
(task, r) with the run seed of (root seed, architecture id, r); the objectives are the replicate
means (`etr.nas.evaluate.aggregate`), their standard errors are recorded beside them
(``<column>_se``). The circuit-level columns are computed once per distinct circuit. A run (or
circuit) already evaluated is not evaluated again. Given the seeds and the batch size the trial
sequence is therefore the same for any number of workers; it changes with ``batch_size`` (the
sampler sees results one batch at a time).

Search seeds
------------
``search_seed`` k (0, 1, ...) numbers independent searches of one setting: the sampler's
randomness derives from (root seed, k, batch start) and the replicates are block k, so two
searches of one setting differ in which architectures they propose *and* in the task instances
and initialisations that evaluate them: the noise reference of a comparison of fronts.

Proposals are a function of the seed and the finished trials
------------------------------------------------------------
Batches start at trial numbers 0, b, 2b, ... (b = ``batch_size``). The proposals of the batch at
``start`` are made on an in-memory copy of the study holding exactly the finished trials before
``start``, by a fresh sampler seeded from ``(seed, search_seed, start)``; the proposed trials
are then written to the study at once with all their parameters (state RUNNING) and evaluated.
Nothing about a proposal depends on the sampler's history inside this process.

Resuming
--------
With a ``storage`` URL (e.g. ``sqlite:///nas.db``) every trial and its full evaluation record are
kept in the Optuna storage. Running the same search again reopens the study and continues counting
to ``n_trials`` (a total, not additional trials): trials a killed or interrupted run proposed but
did not finish are evaluated as they were proposed, the missing ones of their batch are proposed
again (the same proposals, by the rule above), and the search goes on. A search killed at any point
and resumed therefore ends with the same trials, records and Pareto front as an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna
import pandas as pd

from etr._hashing import short_hash
from etr._signals import check_terminated
from etr._validation import check_choice, check_int, echo
from etr.contract import ARCHITECTURE_COLUMNS
from etr.errors import InputError, SpecError
from etr.nas.evaluate import (
    Evaluation,
    Evaluator,
    aggregate,
    circuit_seed,
    cost_columns,
    replicate_block,
    run_seed,
    simulate_architecture,
)
from etr.nas.objectives import DEFAULT_OBJECTIVES, Objective, Setting, resolve_objectives
from etr.nas.pareto import hypervolume_curve, non_dominated, to_minimisation
from etr.nas.space import SearchSpace
from etr.parallel import Outcome, Pool, open_pool
from etr.plan.architecture import Architecture

__all__ = [
    "DEFAULT_POPULATION",
    "DEFAULT_REPLICATES",
    "DEFAULT_SAMPLER",
    "DEFAULT_TRIALS",
    "SAMPLERS",
    "SearchResult",
    "check_storage",
    "default_evaluator",
    "evaluate_architectures",
    "normalised_objectives",
    "objective_bounds",
    "open_storage",
    "run_search",
    "search_label",
    "storage_path",
]

SAMPLERS: tuple[str, ...] = ("nsga2", "tpe", "random")
#: defaults of a search (the NAS spec reads them from here).
DEFAULT_TRIALS = 40
DEFAULT_SAMPLER = "nsga2"
DEFAULT_POPULATION = 12
#: replicates (task instances x initialisations) every architecture is trained under
DEFAULT_REPLICATES = 2
REFERENCE = 1.1  #: reference point of normalised hypervolumes, in every objective
_DONE = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL)
_OPEN_ATTEMPTS = 3


def default_evaluator() -> Evaluator:
    """The evaluator of a search given none: this module's ``simulate_architecture``
    (`etr.nas.evaluate.Simulator`), looked up at call time so that a test can replace it."""
    return simulate_architecture


def search_label(setting: Setting, search_seed: int) -> str:
    """The label of one search, e.g. ``'hybrid_full/grad_var/seed1'``.

    Examples
    --------
    >>> search_label(Setting("hybrid_full", "grad_var"), 1)
    'hybrid_full/grad_var/seed1'
    """
    return f"{setting.label}/seed{int(search_seed)}"


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The trials of one search and its Pareto front.

    Attributes
    ----------
    setting : the training configuration and trainability definition searched under.
    objectives : the objectives, in study order.
    trials : one row per trial: ``search, setting, search_seed, training_config, trainability,
        trial, state, architecture_id, label``, the architecture factors, the replicate means
        of the evaluation record's columns (metrics, ``n_params``, ``n_gates``) with
        ``<column>_se`` (standard error of the mean over replicates) for every registered
        measure, ``n_replicates``, ``replicates`` (e.g. ``"0,1"``), ``cached`` (no new run was
        needed), ``error``, ``wall_time_s`` (summed over the runs) and ``pareto``
        (non-dominated among the completed trials).
    study_name, storage : where the study lives (storage ``None`` = in memory).
    n_resumed : trials that were already in the storage when this run started.
    seed, sampler, batch_size : how it was searched (`seed` is the root seed).
    evaluation : the `Evaluation` of every run (replicate 0).
    search_seed : the index of this search among the searches of its setting.
    replicates : the replicates every architecture was trained under.
    n_evaluated : runs this call evaluated (the others came from the cache or the storage).
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
    evaluation: Evaluation = field(default_factory=Evaluation)
    search_seed: int = 0
    replicates: tuple[int, ...] = (0, 1)
    n_evaluated: int = 0

    @property
    def label(self) -> str:
        """``'<training_config>/<definition>/seed<k>'``."""
        return search_label(self.setting, self.search_seed)

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

        Returns columns ``search, setting, search_seed, trial, hypervolume``; the reference
        point is 1.1 in every normalised objective (see `normalised_objectives`).
        """
        done = self.trials[self.trials["state"] == "COMPLETE"]
        bounds = objective_bounds([done], self.objectives) if bounds is None else bounds
        pts = normalised_objectives(done, self.objectives, bounds)
        hv = hypervolume_curve(pts, [REFERENCE] * len(self.objectives))
        return pd.DataFrame({"search": self.label, "setting": self.setting.label,
                             "search_seed": self.search_seed,
                             "trial": done["trial"].to_numpy(), "hypervolume": hv})


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


def storage_path(url: str | None) -> str | None:
    """The file of a SQLite storage URL (``sqlite:///nas.db`` -> ``nas.db``), else None.

    Examples
    --------
    >>> storage_path("sqlite:///runs/nas.db"), storage_path("postgresql://host/db")
    ('runs/nas.db', None)
    """
    if isinstance(url, str) and url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return url[len("sqlite:///"):]
    return None


def check_storage(url: str | None) -> str | None:
    """Return `url` if it is None or looks like a database URL (``scheme://...``); nothing is
    opened or created.

    Examples
    --------
    >>> check_storage("sqlite:///nas.db")
    'sqlite:///nas.db'
    """
    if url is not None and (not isinstance(url, str) or "://" not in url):
        raise SpecError(f"`storage` must be a database URL such as 'sqlite:///nas.db', got "
                        f"{echo(url)}")
    return url


def open_storage(url: str | None) -> optuna.storages.BaseStorage | None:
    """Open an Optuna storage URL such as ``sqlite:///nas.db``; `SpecError` if it is not a
    database URL or cannot be opened (nothing is created then).

    Examples
    --------
    >>> open_storage(None) is None
    True
    >>> open_storage("nas.db")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    etr.errors.SpecError: `storage` must be a database URL such as 'sqlite:///nas.db', got ...
    """
    if check_storage(url) is None:
        return None
    for attempt in range(_OPEN_ATTEMPTS):
        try:
            return optuna.storages.RDBStorage(url)
        except Exception as exc:  # sqlalchemy and optuna raise many types here
            if attempt + 1 < _OPEN_ATTEMPTS and "IntegrityError" in type(exc).__name__:
                time.sleep(0.2)  # another process is creating the same new database
                continue
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise SpecError(f"`storage` {echo(url)} cannot be opened: {msg}") from None
    raise AssertionError("unreachable")  # pragma: no cover


def _make_sampler(name: str, seed: int, population_size: int) -> optuna.samplers.BaseSampler:
    if name == "nsga2":
        return optuna.samplers.NSGAIISampler(population_size=population_size, seed=seed)
    if name == "tpe":
        with warnings.catch_warnings():  # multivariate / constant_liar are flagged experimental
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.samplers.TPESampler(seed=seed, multivariate=True, constant_liar=True,
                                              n_startup_trials=population_size)
    return optuna.samplers.RandomSampler(seed=seed)


def _config_hash(space: SearchSpace, objectives: Sequence[Objective], setting: Setting,
                 evaluation: Evaluation, seed: int, search_seed: int, replicates: int,
                 sampler: str, population: int, batch: int) -> str:
    return short_hash({
        "space": space.to_dict(), "objectives": [o.column for o in objectives],
        "directions": [o.direction for o in objectives], "setting": setting.label,
        "evaluation": evaluation.to_dict(), "seed": seed, "search_seed": search_seed,
        "replicates": replicates, "sampler": sampler, "population_size": population,
        "batch_size": batch,
    })


def run_search(
    space: SearchSpace,
    *,
    setting: Setting | None = None,
    objectives: Sequence[str] = DEFAULT_OBJECTIVES,
    n_trials: int = DEFAULT_TRIALS,
    seed: int = 0,
    search_seed: int = 0,
    replicates: int = DEFAULT_REPLICATES,
    sampler: str = DEFAULT_SAMPLER,
    population_size: int = DEFAULT_POPULATION,
    batch_size: int | None = None,
    evaluation: Evaluation | None = None,
    evaluator: Evaluator | None = None,
    storage: str | None = None,
    study_name: str | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    pool: Pool | None = None,
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
    seed : root seed of every run seed, task instance and circuit-level seed.
    search_seed : index k of this search among independent searches of the setting: seeds the
        sampler with (seed, k) and trains every architecture under replicates
        ``k * replicates .. (k + 1) * replicates - 1``.
    replicates : replicates per architecture (>= 2): the objectives are their means.
    sampler : ``"nsga2"`` (NSGA-II, Deb et al. 2002), ``"tpe"`` (multivariate multi-objective
        TPE) or ``"random"``.
    population_size : NSGA-II population; TPE's number of random start-up trials.
    batch_size : trials proposed per batch and evaluated in parallel (default
        `population_size`).
    evaluation : `Evaluation` (run settings and metric sample sizes; default `Evaluation()`);
        its ``root_seed`` is replaced by `seed`.
    evaluator : ``f(arch, training_config, seed, evaluation) -> dict`` for one run, optionally
        with a ``circuit_metrics(arch, seed, evaluation)`` method for the circuit-level columns
        (see `etr.nas.evaluate`); default `etr.nas.evaluate.simulate_architecture`. Must be
        picklable for ``workers > 1`` or Dask.
    storage : Optuna storage URL (``sqlite:///PATH``) to keep and resume the study; ``None``
        keeps it in memory.
    study_name : name inside the storage (default ``nas-<training_config>-<trainability>-seed<k>``).
    workers : local worker processes; ignored when `scheduler` (a Dask address) or `pool` is
        given.
    pool : an open `etr.parallel.Pool` to evaluate on (shared by several searches).
    cache : dict shared between searches (see `evaluate_architectures`).
    progress : called with (finished trials, n_trials) after every batch.

    Returns
    -------
    SearchResult

    Raises
    ------
    etr.errors.InputError
        Bad argument, a storage that cannot be opened, or a stored study made with another
        configuration.

    Notes
    -----
    The trials depend on `seed`, `search_seed`, `batch_size` and the finished trials only (see
    the module notes): not on `workers`, the scheduler, nor on interruptions of a stored search.

    Examples
    --------
    >>> from etr.nas import SearchSpace, synthetic_evaluator
    >>> res = run_search(SearchSpace(n_qubits=(2, 3), layers=(1, 2)), n_trials=8,
    ...                  population_size=4, evaluator=synthetic_evaluator, seed=1)
    >>> len(res.trials), bool(res.trials["pareto"].any()), res.replicates
    (8, True, (0, 1))
    """
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # no log line per trial
    try:
        setting = Setting() if setting is None else setting
        obs = resolve_objectives(objectives, setting.trainability)
        check_choice("sampler", sampler, SAMPLERS)
        plan = _Plan(
            n_trials=check_int("n_trials", n_trials, minimum=1),
            seed=check_int("seed", seed, minimum=0),
            search_seed=check_int("search_seed", search_seed, minimum=0),
            replicates=check_int("replicates", replicates, minimum=2),
            sampler=sampler,
            population=check_int("population_size", population_size, minimum=2),
            batch=0,
        )
        plan = dataclasses.replace(plan, batch=plan.population if batch_size is None
                                   else check_int("batch_size", batch_size, minimum=1))
        evaluation = dataclasses.replace(evaluation or Evaluation(), root_seed=plan.seed,
                                         replicate=0)
        evaluator = default_evaluator() if evaluator is None else evaluator
        cache = {} if cache is None else cache
        name = study_name or (f"nas-{setting.training_config}-{setting.trainability}"
                              f"-seed{plan.search_seed}")
        config = _config_hash(space, obs, setting, evaluation, plan.seed, plan.search_seed,
                              plan.replicates, plan.sampler, plan.population, plan.batch)
        study = _open_study(name, storage, config, obs, plan.seed)
        n_existing = len(study.get_trials(deepcopy=False))
        _fill_cache(study, cache, setting)
        run = _Run(study, space, setting, obs, evaluation, evaluator, cache, plan)
        if pool is not None:
            _search(run, pool, progress)
        else:
            with open_pool(workers, scheduler, error=SpecError) as own:
                _search(run, own, progress)
        trials = _trials_frame(study, setting, plan.search_seed, obs)
        return SearchResult(setting, obs, trials, name, storage, n_existing, plan.seed,
                            plan.sampler, plan.batch, evaluation, plan.search_seed,
                            run.block, run.counter[0])
    finally:
        optuna.logging.set_verbosity(verbosity)


@dataclass(frozen=True, slots=True)
class _Plan:
    """The validated search options."""

    n_trials: int
    seed: int
    search_seed: int
    replicates: int
    sampler: str
    population: int
    batch: int


def _search(run: _Run, pool: Pool, progress: Callable[[int, int], None] | None) -> None:
    study, plan = run.study, run.plan
    for start in range(0, plan.n_trials, plan.batch):
        check_terminated()  # a SIGTERM swallowed by a storage callback stops us here
        k = min(plan.batch, plan.n_trials - start)
        trials = study.get_trials(deepcopy=False)
        mine = [t for t in trials if start <= t.number < start + k]
        if len(mine) == k and all(t.state in _DONE for t in mine):
            continue
        if len(mine) < k:
            proposals = _propose(trials[:start], k, plan, start, run.space, run.obs)
            for p in proposals[len(mine):]:
                study.add_trial(p)
        running = [_complete(study, run.space, t) for t in study.get_trials(deepcopy=False)
                   if start <= t.number < start + k
                   and t.state == optuna.trial.TrialState.RUNNING]
        run.finish(pool, running)
        if progress is not None:
            progress(_n_finished(study), plan.n_trials)


def _open_study(name: str, storage: str | None, config: str, obs: Sequence[Objective],
                seed: int) -> optuna.Study:
    """The study `name` (created if new); a stored study must have been made with `config`."""
    store = open_storage(storage)
    if store is not None:
        try:
            old = optuna.load_study(study_name=name, storage=store)
        except KeyError:
            old = None
        if old is not None and old.user_attrs.get("etr_config") != config:
            raise SpecError(
                f"`storage` already holds study {name!r} made with another configuration; "
                "use another `storage` or the spec and options it was made with"
            )
    study = optuna.create_study(study_name=name, storage=store, load_if_exists=True,
                                directions=[o.direction for o in obs],
                                sampler=optuna.samplers.RandomSampler(seed=seed))
    study.set_user_attr("etr_config", config)
    return study


def _batch_seed(seed: int, search_seed: int, start: int) -> int:
    return int(np.random.SeedSequence([seed, search_seed, start]).generate_state(1)[0])


def _propose(done: list[optuna.trial.FrozenTrial], k: int, plan: _Plan, start: int,
             space: SearchSpace, obs: Sequence[Objective]) -> list[optuna.trial.FrozenTrial]:
    """The `k` trials of the batch at `start`: asked from an in-memory study holding the finished
    trials `done` (numbers 0..start-1), with a sampler seeded from ``(seed, search_seed,
    start)``."""
    mem = optuna.create_study(
        directions=[o.direction for o in obs],
        sampler=_make_sampler(plan.sampler, _batch_seed(plan.seed, plan.search_seed, start),
                              plan.population))
    mem.add_trials(done)
    out = []
    for _ in range(k):
        t = mem.ask()
        space.suggest(t)
        frozen = mem._storage.get_trial(t._trial_id)
        out.append(optuna.trial.create_trial(
            state=optuna.trial.TrialState.RUNNING, params=frozen.params,
            distributions=frozen.distributions, system_attrs=frozen.system_attrs))
    return out


def _complete(study: optuna.Study, space: SearchSpace,
              trial: optuna.trial.FrozenTrial) -> optuna.trial.FrozenTrial:
    """A RUNNING trial with every parameter: one whose sampling was cut short (written by an
    older etr, which sampled parameter by parameter) gets its missing parameters from the
    study's sampler; the stored ones are kept."""
    try:
        space.architecture(trial.params)
        return trial
    except (KeyError, InputError):
        space.suggest(optuna.trial.Trial(study, trial._trial_id))
        return study._storage.get_trial(trial._trial_id)


def _n_finished(study: optuna.Study) -> int:
    return len(study.get_trials(deepcopy=False, states=_DONE))


def _fill_cache(study: optuna.Study, cache: dict, setting: Setting) -> None:
    """Put the runs and circuit records kept with a stored study's trials into `cache`."""
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        info = t.user_attrs.get("etr", {})
        aid = info.get("architecture_id")
        for r, rec in zip(info.get("replicates", ()), info.get("runs", ()), strict=False):
            cache.setdefault(("run", aid, setting.training_config, int(r)), rec)
        if info.get("circuit") is not None and info.get("pqc_id") is not None:
            cache.setdefault(("circuit", info["pqc_id"]), info["circuit"])


def evaluate_architectures(pool: Pool, evaluator: Evaluator, archs: Sequence[Architecture],
                           configs: Sequence[str], replicates: Sequence[int],
                           evaluation: Evaluation, cache: dict) -> dict[tuple, str]:
    """Evaluate what `cache` lacks for `archs`: one circuit unit per distinct circuit (if the
    evaluator has ``circuit_metrics``; not for ``classical_only``) and one run per
    (architecture, configuration, replicate).

    `cache` maps ``("circuit", pqc_id)`` and ``("run", architecture_id, config, replicate)``
    (for ``classical_only``: ``Architecture.control_id``) to JSON-safe records; successful
    outcomes are added to it. Returns the errors of failed units by the same keys.
    """
    circuit_fn = getattr(evaluator, "circuit_metrics", None)
    root = evaluation.root_seed
    circuits: dict[tuple, Architecture] = {}
    runs: dict[tuple, tuple] = {}
    for a in archs:
        for config in configs:
            control = config == "classical_only"
            if circuit_fn is not None and not control:
                key = ("circuit", a.pqc_id)
                if key not in cache:
                    circuits.setdefault(key, a)
            aid = a.control_id if control else a.architecture_id
            for r in replicates:
                key = ("run", aid, config, int(r))
                if key not in cache and key not in runs:
                    runs[key] = (a, config, run_seed(root, aid, r), evaluation.at(r))
    errors: dict[tuple, str] = {}
    if circuits:
        outs = pool.map(circuit_fn, [(a, circuit_seed(root, key[1]), evaluation)
                                     for key, a in circuits.items()])
        _store(cache, errors, circuits, outs, lambda key: circuits[key])
    if runs:
        outs = pool.map(evaluator, list(runs.values()))
        _store(cache, errors, runs, outs, lambda key: runs[key][0])
    return errors


def _store(cache: dict, errors: dict, keys: Mapping[tuple, Any], outs: list[Outcome],
           arch_of: Callable[[tuple], Architecture]) -> None:
    for key, out in zip(keys, outs, strict=True):
        if out.ok:
            rec = dict(out.value)
            if key[0] == "run":
                rec = complete_record(rec, arch_of(key), out.wall_time_s)
            cache[key] = _jsonable(rec)
        else:
            errors[key] = str(out.error)


@dataclass(frozen=True, slots=True)
class _Run:
    """What evaluating and telling a batch needs."""

    study: optuna.Study
    space: SearchSpace
    setting: Setting
    obs: Sequence[Objective]
    evaluation: Evaluation
    evaluator: Evaluator
    cache: dict
    plan: _Plan
    counter: list = field(default_factory=lambda: [0])

    @property
    def block(self) -> tuple[int, ...]:
        return replicate_block(self.plan.search_seed, self.plan.replicates)

    def finish(self, pool: Pool, trials: list[optuna.trial.FrozenTrial]) -> None:
        """Evaluate the (uncached, distinct) runs of `trials`; tell every trial."""
        archs: list[Architecture | None] = []
        for t in trials:
            try:
                archs.append(self.space.architecture(t.params))
            except (KeyError, InputError):
                archs.append(None)  # parameters that build no architecture: a failed trial
        todo = list({a.architecture_id: a for a in archs if a is not None}.values())
        before = set(self.cache)
        errors = evaluate_architectures(pool, self.evaluator, todo,
                                        [self.setting.training_config], self.block,
                                        self.evaluation, self.cache)
        fresh = set(self.cache) - before
        self.counter[0] += sum(k[0] == "run" for k in fresh)
        for t, a in zip(trials, archs, strict=True):
            if a is None:
                self.study.tell(t.number, state=optuna.trial.TrialState.FAIL)
                continue
            self._tell(t, a, fresh, errors)

    def _tell(self, t: optuna.trial.FrozenTrial, a: Architecture, fresh: set,
              errors: dict[tuple, str]) -> None:
        aid, config = a.architecture_id, self.setting.training_config
        keys = [("run", aid, config, r) for r in self.block]
        ckey = ("circuit", a.pqc_id)
        has_circuit = getattr(self.evaluator, "circuit_metrics", None) is not None
        used = [*keys, ckey] if has_circuit else keys
        info: dict[str, Any] = {
            "architecture_id": aid, "pqc_id": a.pqc_id, "replicates": list(self.block),
            "seeds": [run_seed(self.plan.seed, aid, r) for r in self.block],
            "cached": not any(k in fresh for k in used)}
        fresh.difference_update(used)  # a fresh run counts for the first trial that uses it
        failed = [errors[k] for k in used if k in errors]
        if failed:
            info["error"] = "; ".join(dict.fromkeys(failed))
            _tell(self.study, t, info, None)
            return
        info["runs"] = [self.cache[k] for k in keys]
        info["circuit"] = self.cache.get(ckey) if has_circuit else None
        info["record"] = trial_record(info["runs"], info["circuit"])
        values = [info["record"].get(o.column, np.nan) for o in self.obs]
        try:
            values = [float(v) for v in values]
        except (TypeError, ValueError):  # a record value that is not a number
            values = [np.nan]
        if not np.isfinite(values).all():
            info["error"] = "non-finite objective"
            _tell(self.study, t, info, None)
        else:
            _tell(self.study, t, info, values)


def trial_record(runs: Sequence[Mapping[str, Any]], circuit: Mapping[str, Any] | None,
                 ) -> dict:
    """The record of a trial: the replicate aggregate of `runs` (`etr.nas.evaluate.aggregate`),
    the circuit-level columns, and ``wall_time_s`` summed over the runs."""
    rec = aggregate(runs)
    if circuit is not None:
        rec.update({k: v for k, v in circuit.items()})
    rec["wall_time_s"] = float(sum(r.get("wall_time_s", 0.0) for r in runs))
    return _jsonable(rec)


def complete_record(rec: Mapping[str, Any], arch: Architecture, wall: float) -> dict:
    """An evaluator's run record plus parameter and gate counts and wall time, JSON-safe."""
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


def _trials_frame(study: optuna.Study, setting: Setting, search_seed: int,
                  obs: Sequence[Objective]) -> pd.DataFrame:
    rows = []
    for t in study.get_trials(deepcopy=False):
        row: dict[str, Any] = {
            "search": search_label(setting, search_seed), "setting": setting.label,
            "search_seed": search_seed, "training_config": setting.training_config,
            "trainability": setting.trainability, "trial": t.number, "state": t.state.name,
        }
        try:
            arch = SearchSpace.architecture(t.params)
        except (KeyError, InputError):
            arch = None
        row["architecture_id"] = arch.architecture_id if arch else None
        row["label"] = arch.label() if arch else None
        for col in ARCHITECTURE_COLUMNS:
            row[col] = getattr(arch, col) if arch else None
        info = t.user_attrs.get("etr", {})
        row["pqc_id"] = info.get("pqc_id")
        row.update(info.get("record", {}))
        row["replicates"] = ",".join(str(r) for r in info.get("replicates", ()))
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
