"""How runs are made: the spec sections ``etr simulate`` and ``etr nas`` share.

Every spec has the same four run sections, with the same keys, defaults and validation::

    root_seed = 2026                 # all randomness derives from it
    definitions = ["grad_var", ...]  # trainability definitions to compute

    [metrics]                        # circuit-level metric sample sizes (`MetricSpec`)
    n_pairs = 1000
    bins = 75
    ec_samples = 200

    [training]                       # fields of `RunSettings` (task, steps, ...)
    steps = 30

    [noise]                          # gate and readout noise (`etr.plan.noise`); lists cross
    depolarizing = [0, 0.01]         # the grid (``etr simulate``)

`RunSettings` is what `etr.hybrid.evaluate_run` takes; it is pure data (validated here, used
there), so a spec is checked without importing the simulation stack. Each default lives in one
place: the dataclass fields below.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field
from typing import Any

from etr._validation import check_choice, check_float, check_int
from etr.contract import SAMPLE_SIZES, TRAINABILITY_DEFINITIONS
from etr.errors import InputError
from etr.plan.noise import (
    NOISE_CHANNELS,
    NOISE_FIELD_DOCS,
    NOISELESS,
    NoiseModel,
    NoiseTable,
    noise_levels,
    read_noise_table,
)
from etr.plan.tables import Table
from etr.plan.tasks import TASKS

__all__ = [
    "DEFAULT_ROOT_SEED",
    "GRID_KEYS",
    "MAX_LEARNING_RATE",
    "PURE_PQC_READOUT_SCALE",
    "RUN_FIELD_DOCS",
    "RUN_KEYS",
    "MetricSpec",
    "RunSettings",
    "RunSpec",
    "read_run_sections",
]

#: root seed of a spec that names none.
DEFAULT_ROOT_SEED = 2026
#: the fixed s of the ``pure_pqc`` readout ``logit = s * mean_q <Z_q>`` (see `etr.hybrid.model`).
PURE_PQC_READOUT_SCALE = 3.0
#: ``[training]`` keys that may hold a list in ``etr simulate`` specs: each level crosses the
#: grid (one task instance per task and replicate; exact and finite-shot runs of one cell share
#: their initialisations).
GRID_KEYS: tuple[str, ...] = ("task", "shots")
#: the top-level keys of the shared run sections.
RUN_KEYS: tuple[str, ...] = ("root_seed", "definitions", "metrics", "training", "noise")


#: the largest Adam step size accepted. Adam moves every parameter by about the step size per
#: step, so above it an angle moves by more than a period per step and the classical weights
#: run away: on a 2-qubit hybrid model 100 gave a final loss of 19 (from 0.7), 1e6 a loss of
#: 1e6, and 1e308 overflowed to non-finite parameters in the first steps.
MAX_LEARNING_RATE = 10.0


@dataclass(frozen=True, slots=True)
class RunSettings:
    """How a run trains and measures (everything except architecture, configuration, seed).

    Parameters
    ----------
    task : str, default ``"synthetic"``
        Task name (`etr.plan.tasks.TASKS`).
    n_train, n_test : int, default 200, 200
        Training and test points.
    n_init : int, default 16
        K, the random initialisations per run (>= 2: variances are taken across them).
    steps : int, default 100
        T, Adam steps per initialisation.
    learning_rate : float, default 0.05
        Adam's step size, in (0, `MAX_LEARNING_RATE`].
        Adam step size.
    batch_size : int or None, default None
        None = full-batch training; otherwise the mini-batch size.
    definitions : tuple of str, default all of `etr.contract.TRAINABILITY_DEFINITIONS`
        Trainability definitions to compute; the others are NaN in the record.
    ed_data_size : int, default 1000
        n of the effective-dimension formula (Abbas et al. 2021); must be >= 20.
    ed_weight_samples : int, default 16
        M, quantum-parameter samples (uniform in [0, 2 pi)) of the effective dimension.
    n_features : int or None, default None
        Task features; None = the task's own fixed feature count (`etr.plan.tasks.TASKS`),
        the same at every width. A classical pre-network maps them to the encoding's angles;
        ``pure_pqc`` and a ``"none"`` pre-network see them through the fixed map of
        `etr.hybrid.encoding_features` (a data set's raw features reduced to the encoding width
        by a map fitted on the training split; an angle task's features truncated or tiled).
    readout_scale : float, default 3.0
        The fixed s of the ``pure_pqc`` readout ``logit = s * mean_q <Z_q>``.
    shots : int or None, default None
        None = exact expectations; an integer S >= 1 = every expectation used in training and in
        the gradient statistics is an S-shot estimate and every gradient a parameter-shift
        estimate (`etr.quantum.ShotBackend`), drawn from the run's own shot stream. The
        effective dimension (a capacity measure of the model function) stays exact. Costs about
        2 P shifted circuits per data row and gradient (P circuit parameters).
    landscape_samples : int, default 8
        S of ``grad_var_landscape`` and ``grad_var_readout``: uniform theta samples per trained
        classical parameter set (>= 2); each costs K x S gradient evaluations on the training set
        (S optimiser steps' worth).
    early_steps : int, default 10
        The early window of ``grad_var_train`` and ``grad_norm``: steps 0 .. min(early_steps,
        T) - 1.
    target_fraction : float or None, default None
        f of ``steps_to_target``: the target loss is L_0 - f (L_0 - 0) = (1 - f) L_0, in (0, 1].
        None = the task's registered target for the run's training configuration
        (`etr.plan.tasks.TaskInfo.targets`, chosen on a pilot so that the definition is
        neither censored nor reached after the first step for most runs of that configuration;
        `target_for` resolves it). A number applies to every configuration.
    budget_steps : int or None, default None
        B of ``loss_decrease``: the relative decrease of the training-set loss after B optimiser
        steps (at most ``steps``; `budget` resolves it). None = the task's registered budget
        (`etr.plan.tasks.TaskInfo.budget_steps`, chosen per task on a pilot so that the
        decrease is not at its ceiling of 1 for most runs of any configuration: after the whole
        run, end-to-end training fits an easy task almost exactly and the definition saturates).
    noise : NoiseModel, default noiseless
        The run's gate and readout noise (`etr.plan.noise`; a spec's ``[noise]`` table, not a
        ``[training]`` key). A noisy run is simulated with density matrices
        (`etr.quantum.backend_for`): training, gradients and every trainability definition see
        the noise; the circuit-level columns (expressibility, entanglement, theory) stay the
        noise-free circuit's.

    Raises
    ------
    etr.errors.InputError
        A value out of range, naming the field.

    Examples
    --------
    >>> RunSettings(n_init=8, steps=50).steps
    50
    """

    task: str = "synthetic"
    n_train: int = 200
    n_test: int = 200
    n_init: int = 16
    steps: int = 100
    learning_rate: float = 0.05
    batch_size: int | None = None
    definitions: tuple[str, ...] = TRAINABILITY_DEFINITIONS
    ed_data_size: int = 1000
    ed_weight_samples: int = 16
    n_features: int | None = None
    readout_scale: float = PURE_PQC_READOUT_SCALE
    shots: int | None = None
    landscape_samples: int = 8
    early_steps: int = 10
    target_fraction: float | None = None
    budget_steps: int | None = None
    noise: NoiseModel = NOISELESS

    def __post_init__(self) -> None:
        check_choice("task", self.task, TASKS)
        if not isinstance(self.noise, NoiseModel):
            raise InputError(f"`noise` must be an etr.quantum.NoiseModel, got "
                             f"{type(self.noise).__name__}")
        ints = {"n_train": 4, "n_test": 2, "n_init": 2, "steps": 1, "ed_data_size": 20,
                "ed_weight_samples": 1, "landscape_samples": 2, "early_steps": 1}
        for name in ("batch_size", "n_features", "shots", "budget_steps"):
            if getattr(self, name) is not None:
                ints[name] = 1
        for name, minimum in ints.items():
            object.__setattr__(self, name, check_int(name, getattr(self, name), minimum=minimum))
        object.__setattr__(self, "learning_rate", check_float(
            "learning_rate", self.learning_rate, positive=True, high=MAX_LEARNING_RATE))
        object.__setattr__(self, "readout_scale", check_float(
            "readout_scale", self.readout_scale, positive=True))
        if self.target_fraction is not None:
            object.__setattr__(self, "target_fraction", check_float(
                "target_fraction", self.target_fraction, positive=True, high=1.0))
        defs = self.definitions
        if isinstance(defs, str):
            defs = (defs,)
        defs = tuple(defs)
        for d in defs:
            check_choice("definitions", d, TRAINABILITY_DEFINITIONS)
        if not defs:
            raise InputError("`definitions` must name at least one trainability definition")
        object.__setattr__(self, "definitions", defs)

    def target_for(self, training_config: str) -> float:
        """f of ``steps_to_target`` for a run of `training_config`: `target_fraction`, or the
        task's registered one for that configuration.

        Examples
        --------
        >>> RunSettings(target_fraction=0.4).target_for("hybrid_full")
        0.4
        """
        if self.target_fraction is not None:
            return self.target_fraction
        return TASKS[self.task].target(training_config)

    @property
    def budget(self) -> int:
        """B of ``loss_decrease``: `budget_steps` (or the task's registered budget), at most
        `steps`.

        Examples
        --------
        >>> RunSettings(steps=30, budget_steps=10).budget
        10
        >>> RunSettings(steps=5, budget_steps=10).budget
        5
        """
        budget = self.budget_steps
        if budget is None:
            budget = TASKS[self.task].budget_steps
        return min(budget, self.steps)

    def to_dict(self) -> dict:
        """The settings by field; ``noise`` (its four parameters) only when the run is noisy,
        so the identity of a noiseless run is what it was before noise existed."""
        d = asdict(self)
        d["definitions"] = list(self.definitions)
        d.pop("noise")
        if not self.noise.noiseless:
            d["noise"] = self.noise.as_dict()
        return d


class _MetricSpecBase:
    """Methods of `MetricSpec` (its fields come from the registry)."""

    __slots__ = ()

    def __post_init__(self) -> None:
        for name, size in SAMPLE_SIZES.items():
            object.__setattr__(self, name, check_int(name, getattr(self, name),
                                                     minimum=size.minimum))

    @classmethod
    def from_table(cls, table: Table) -> MetricSpec:
        """Read a ``[metrics]`` table (keys are the fields; absent keys keep their defaults)."""
        return cls(**{f.name: table.int(f.name, f.default, low=SAMPLE_SIZES[f.name].minimum)
                      for f in dataclasses.fields(cls)})

    def to_dict(self) -> dict[str, int]:
        """The sample sizes by key."""
        return asdict(self)


def _metric_spec() -> type:
    """`MetricSpec`: a frozen dataclass with one field per sample size the registry declares
    (`etr.contract.SAMPLE_SIZES`), so a measure's sample sizes are declared once, on its entry."""
    sizes = SAMPLE_SIZES
    params = "\n".join(f"    {s.name} : {s.doc}." for s in sizes.values())
    cls = dataclasses.make_dataclass(
        "MetricSpec", [(s.name, int, field(default=s.default)) for s in sizes.values()],
        bases=(_MetricSpecBase,), frozen=True, slots=True)
    cls.__module__ = __name__
    cls.__doc__ = f"""Sample sizes of the circuit-level metrics (keys ``metrics.*``).

    One field per `etr.contract.SampleSize` of the registered circuit-level measures.

    Parameters
    ----------
{params}

    Examples
    --------
    >>> MetricSpec().n_pairs, MetricSpec(bins=20).bins
    (1000, 20)
    """
    return cls


MetricSpec = _metric_spec()


_TRAINING_DOCS: dict[str, str] = {
    "task": "learning task(s), one of etr.plan.tasks.TASKS or (etr simulate) a list of them, "
    "each crossed with the grid; default 'synthetic'",
    "n_train": "training set size; default 200",
    "n_test": "test set size; default 200",
    "n_init": "K, random initialisations per run (variances are across them); default 16",
    "steps": "T, Adam steps per initialisation; default 100",
    "learning_rate": f"Adam step size, in (0, {MAX_LEARNING_RATE:g}]; default 0.05",
    "batch_size": "mini-batch size; 'none' = full batch (default)",
    "ed_data_size": "n of the effective dimension (Abbas et al. 2021); default 1000",
    "ed_weight_samples": "parameter samples for the effective dimension; default 16",
    "n_features": "task features; 'none' = the task's own fixed feature count",
    "readout_scale": "fixed scale s of the pure_pqc readout logit = s * mean <Z>",
    "shots": "'none' = exact expectations; S = every expectation an S-shot estimate and every "
    "gradient a parameter-shift estimate (finite shots); etr simulate: a list such as "
    "['none', 1000] crosses the grid",
    "landscape_samples": "theta samples per trained classical set for grad_var_landscape and "
    "grad_var_readout; default 8",
    "early_steps": "early window (steps) of grad_var_train and grad_norm; default 10",
    "target_fraction": "f of steps_to_target: target loss (1 - f) L0; 'none' (default) = the "
    "task's registered target for the run's configuration (etr.plan.tasks.TASKS, measured on "
    "a pilot)",
    "budget_steps": "B of loss_decrease: relative decrease of the training loss after B steps "
    "(at most steps); 'none' (default) = the task's registered budget (etr.plan.tasks.TASKS)",
}

#: documentation of every key of the shared run sections (dotted names).
RUN_FIELD_DOCS: dict[str, str] = {
    "root_seed": f"root of every seed (numpy SeedSequence entropy); default {DEFAULT_ROOT_SEED}",
    "definitions": "trainability definitions to compute, subset of "
    f"{list(TRAINABILITY_DEFINITIONS)}; default all",
    **{f"metrics.{k}": s.doc for k, s in SAMPLE_SIZES.items()},
    **{f"training.{k}": v for k, v in _TRAINING_DOCS.items()},
    **NOISE_FIELD_DOCS,
}

#: `RunSettings` fields that are not ``[training]`` keys.
_NOT_TRAINING = ("definitions", "noise")


def _training_keys() -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(RunSettings) if f.name not in _NOT_TRAINING)


def _optional_fields() -> set[str]:
    """`RunSettings` fields whose default is None (written as ``"none"`` in TOML)."""
    return {f.name for f in dataclasses.fields(RunSettings) if f.default is None}


@dataclass(frozen=True, slots=True)
class RunSpec:
    """The shared run sections of a spec (base of `etr.experiment.Spec` and `etr.nas` specs).

    Attributes
    ----------
    root_seed : root of all seeds.
    definitions : trainability definitions to compute.
    metrics : `MetricSpec`.
    training : overrides of `RunSettings` fields, as sorted ``(key, value)`` pairs; the other
        fields keep their defaults.
    noise : the ``[noise]`` table, ``(channel, values)`` pairs (`etr.plan.noise.NoiseTable`);
        empty = noiseless.
    """

    root_seed: int = DEFAULT_ROOT_SEED
    definitions: tuple[str, ...] = TRAINABILITY_DEFINITIONS
    metrics: MetricSpec = field(default_factory=MetricSpec)
    training: tuple[tuple[str, Any], ...] = ()
    noise: NoiseTable = ()

    def levels(self, key: str) -> tuple[Any, ...]:
        """The values of a grid key of ``[training]`` (`GRID_KEYS`): one, or (``etr simulate``)
        a list that crosses the grid.

        Examples
        --------
        >>> t = Table({"training": {"shots": ["none", 1000]}}, "", RUN_KEYS)
        >>> RunSpec(**read_run_sections(t)).levels("shots")
        (None, 1000)
        """
        default = getattr(RunSettings(), key)
        value = dict(self.training).get(key, default)
        return tuple(value) if isinstance(value, list | tuple) else (value,)

    @property
    def tasks(self) -> tuple[str, ...]:
        """The task(s) of ``[training] task``."""
        return self.levels("task")

    @property
    def noise_levels(self) -> tuple[NoiseModel, ...]:
        """The noise levels of the ``[noise]`` table (`etr.plan.noise.noise_levels`); one
        noiseless level without one."""
        return noise_levels(self.noise)

    def run_settings(self, *, noise: NoiseModel | None = None, **grid: Any) -> RunSettings:
        """The `RunSettings` of a run: training overrides + definitions, with the given values of
        the grid keys (`GRID_KEYS`; default the first level of each) and the given noise level
        (default the first of `noise_levels`)."""
        kw = dict(self.training)
        for key in GRID_KEYS:
            kw[key] = grid[key] if key in grid else self.levels(key)[0]
        noise = self.noise_levels[0] if noise is None else noise
        return RunSettings(**kw, definitions=tuple(self.definitions), noise=noise)

    def run_sections(self, *, full: bool = True) -> dict[str, Any]:
        """The run sections as a plain TOML-ready mapping; with `full`, ``training`` lists every
        `RunSettings` field (defaults included)."""
        training = {k: _plain(v) for k, v in self.training}
        if full:
            settings = self.run_settings()
            training = {f.name: _plain(getattr(settings, f.name))
                        for f in dataclasses.fields(settings) if f.name not in _NOT_TRAINING}
            for key in GRID_KEYS:
                levels = [_plain(v) for v in self.levels(key)]
                training[key] = levels if len(levels) > 1 else levels[0]
        out = {"root_seed": self.root_seed, "definitions": list(self.definitions),
               "metrics": asdict(self.metrics), "training": training}
        if self.noise:  # only a noisy spec has the table: a noiseless spec keeps its hash
            out["noise"] = {c: list(v) if len(v) > 1 else v[0] for c, v in self.noise}
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if value is None:
        return "none"
    return value


def read_run_sections(top: Table) -> dict[str, Any]:
    """Validate the run sections of a spec's top-level table: keyword arguments of `RunSpec`.

    Examples
    --------
    >>> t = Table({"root_seed": 3, "training": {"steps": 5}}, "", RUN_KEYS)
    >>> kw = read_run_sections(t)
    >>> kw["root_seed"], kw["training"], RunSpec(**kw).run_settings().steps
    (3, (('steps', 5),), 5)
    """
    defs = top.choices("definitions", TRAINABILITY_DEFINITIONS, TRAINABILITY_DEFINITIONS)
    metrics = MetricSpec.from_table(top.table("metrics", tuple(SAMPLE_SIZES)))
    table = top.table("training", _training_keys())
    optional = _optional_fields()
    def plain(k: str, v: Any) -> Any:
        return None if (k in optional and v == "none") else v

    values = {k: plain(k, v) for k, v in table.data.items()}
    for key in GRID_KEYS:
        if isinstance(values.get(key), list):
            values[key] = tuple(plain(key, v) for v in table.list(key))
    first = {k: (v[0] if k in GRID_KEYS and isinstance(v, tuple) else v)
             for k, v in values.items()}
    table.build(RunSettings, **first, definitions=defs)  # validates the values
    for key in GRID_KEYS:  # every level of a grid key must be a valid setting
        for level in values.get(key, ()) if isinstance(values.get(key), tuple) else ():
            table.build(RunSettings, **{**first, key: level}, definitions=defs)
    training = tuple(sorted(values.items()))
    return {"root_seed": top.int("root_seed", DEFAULT_ROOT_SEED, low=0), "definitions": defs,
            "metrics": metrics, "training": training,
            "noise": read_noise_table(top.table("noise", NOISE_CHANNELS))}
