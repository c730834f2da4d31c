"""One run = (architecture, training configuration, seed): train K inits, measure trainability.

`evaluate_run` returns a flat record whose keys are the dataset contract columns
(`etr.contract.COLUMNS`) except the circuit-level metrics (`etr.contract.CIRCUIT_COLUMNS`), the
bookkeeping columns (``cell_id``, ``status``, ``error``, ``wall_time_s``) and the task
instance's number (``task_instance``), which the experiment runner adds.

Randomness: ``numpy.random.SeedSequence(seed).spawn(7)`` gives independent streams for the task
(data draw and split), the K initialisations, the mini-batch order, the effective-dimension
weight samples, the landscape's theta samples, the measurement outcomes of finite shots and the
readout definition's theta samples (child i of ``spawn(k)`` does not depend on k, so adding
streams changed no earlier number). None depends
on the training configuration, so ``hybrid_quantum_only`` and ``hybrid_full`` runs with the same
seed see the same data and start from the same parameters (with exact simulation their
``grad_var`` is identical by construction; see `etr.metrics.trainability`).

Trainability definitions are computed by `DEFINITIONS`, a mapping from each name registered in
`etr.contract.TRAINABILITY_DEFINITIONS` to a function of the run (`RunContext`): adding a
definition is a registry entry, a function here registered with `definition` (usually a thin
call into `etr.metrics.trainability`) and its test. Whether the classical-only control computes
it comes from the registry (`etr.contract.Metric.needs_pqc`).

Diagnostics (`etr.contract.RUN_DIAGNOSTICS`, e.g. the finite-shot gradient's signal-to-noise
ratio) are registered the same way in `DIAGNOSTICS` (decorator `diagnostic`) and computed on
every run they apply to (`etr.contract.Metric.needs_pqc`, ``needs_shots``), whatever the spec's
``definitions``: they describe how a run was measured, not a trainability definition to choose.
They draw no random numbers, so they move no other column.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from etr._rng import SeedLike, as_generator
from etr._validation import check_choice, check_int
from etr.circuits import encoding_width
from etr.contract import (
    CIRCUIT_COLUMNS,
    COLUMNS,
    METRICS,
    QUANTUM_DEFINITIONS,
    RUN_DIAGNOSTICS,
    TRAINABILITY_DEFINITIONS,
    TRAINING_CONFIGS,
)
from etr.errors import InputError
from etr.hybrid.control import CONTROL_CONFIG, ClassicalControl
from etr.hybrid.model import HybridModel
from etr.hybrid.tasks import Task, encoding_features, load_task
from etr.hybrid.training import TrainingResult, train
from etr.metrics import trainability as tm
from etr.metrics.purity import state_purity
from etr.plan.architecture import Architecture
from etr.plan.settings import RunSettings
from etr.quantum import STATEVECTOR, backend_for

__all__ = [
    "DEFINITIONS",
    "DIAGNOSTICS",
    "QUANTUM_DEFINITIONS",
    "DivergedError",
    "RunContext",
    "evaluate_run",
    "landscape_gradients",
    "model_effective_dimension",
    "model_purity",
    "model_task",
    "needs_train_loss",
    "readout_gradients",
    "record_columns",
]

#: columns the experiment runner writes (its bookkeeping and the cell's instance number).
_RUNNER_COLUMNS = ("cell_id", "status", "error", "wall_time_s", "task_instance")


def record_columns() -> tuple[str, ...]:
    """Keys of the record `evaluate_run` returns, in contract order: every column except the
    circuit-level ones (`etr.contract.CIRCUIT_COLUMNS`, computed once per circuit) and the
    runner's bookkeeping."""
    return tuple(c for c in COLUMNS if c not in _RUNNER_COLUMNS and c not in CIRCUIT_COLUMNS)


def evaluate_run(
    arch: Architecture, training_config: str, seed: int, settings: RunSettings | None = None,
    task_seed: int | None = None,
) -> dict:
    """Train K initialisations of one model and measure every requested trainability definition.

    Parameters
    ----------
    arch : Architecture
        For ``pure_pqc`` its classical parts are dropped (``arch.without_classical()``); for
        ``classical_only`` its PQC is replaced by the fixed map of `etr.hybrid.ClassicalControl`.
    training_config : one of `etr.contract.TRAINING_CONFIGS`.
    seed : int >= 0
        The run's randomness (initialisations, batches, samples, shots) derives from it (see the
        module notes).
    settings : RunSettings, default ``RunSettings()``.
    task_seed : int >= 0, optional
        Seed of the task instance. The experiment runner passes one per (task, replicate), so
        every architecture and configuration of a replicate trains on the same data; None draws
        the instance from the run's own ``task`` stream (a stand-alone run).

    Returns
    -------
    dict
        Keys `record_columns()` in contract order: architecture factors, ``architecture_id``,
        ``pqc_id``, parameter counts, ``seed``, ``training_config``, ``task``, ``task_id``,
        ``shots`` (None for exact), the trainability definitions (NaN when not requested or, for
        the control, when they need quantum parameters; ``steps_to_target`` with
        ``steps_to_target_censored``), ``final_loss`` / ``final_loss_std`` (training loss after T
        steps, mean / std over inits) and ``test_accuracy`` / ``test_accuracy_std``; the
        circuit-level columns are left to the runner.

    Notes
    -----
    Features: a task has a fixed feature count at every width. A classical pre-network maps the
    task's features to the encoding's angles; ``pure_pqc`` and a ``"none"`` pre-network see them
    through `etr.hybrid.encoding_features` (a data set's raw features reduced to the encoding
    width by a map fitted on the training split; an angle task's features truncated or tiled),
    the same map for the control with a ``"none"`` pre-network.

    See `etr.metrics.trainability` for the definitions. Here: ``grad_var`` uses the gradient on
    the whole training set at initialisation; ``grad_var_landscape`` the whole training set at
    `RunSettings.landscape_samples` random theta per trained classical set; ``grad_var_train``
    and ``grad_norm`` the gradients of the batches the optimiser used at steps 0 ..
    min(early_steps, T) - 1; ``loss_decrease`` the whole-training-set loss before training and
    after the budget of `RunSettings.budget` steps; ``steps_to_target`` (target
    `RunSettings.target_for` the configuration) the whole-training-set loss after every step
    (free with full-batch training, one forward pass per step with mini-batches; so is
    ``loss_decrease`` with a budget shorter than the run); ``grad_var_readout`` the PQC's own
    readout at the inputs the trained pre-network makes of the training set, at
    `RunSettings.landscape_samples` random theta per classical set. The effective dimension uses
    the Bernoulli output distribution p = sigmoid(logit) on the training inputs, quantum
    parameters drawn uniformly, and the classical parts of the *trained* models (init ``j mod
    K`` for weight sample j): frozen initial ones for ``hybrid_quantum_only``, trained ones for
    ``hybrid_full``.

    Examples
    --------
    >>> arch = Architecture(n_qubits=2, layers=1)
    >>> rec = evaluate_run(arch, "pure_pqc", 0, RunSettings(n_train=20, n_test=10, n_init=2,
    ...                    steps=2, ed_weight_samples=2, landscape_samples=2))
    >>> rec["n_quantum_params"], rec["n_classical_params"], rec["training_config"]
    (4, 0, 'pure_pqc')
    """
    check_choice("training_config", training_config, TRAINING_CONFIGS)
    if not isinstance(arch, Architecture):
        raise InputError(f"`arch` must be an Architecture, got {type(arch).__name__}")
    seed = check_int("seed", seed, minimum=0)
    settings = RunSettings() if settings is None else settings
    if not isinstance(settings, RunSettings):
        raise InputError(f"`settings` must be a RunSettings, got {type(settings).__name__}")
    used = arch.without_classical() if training_config == "pure_pqc" else arch
    streams = dict(zip(_STREAMS, np.random.SeedSequence(seed).spawn(len(_STREAMS))))
    task_source = (np.random.default_rng(streams["task"]) if task_seed is None
                   else check_int("task_seed", task_seed, minimum=0))
    task = model_task(load_task(settings.task, n_features=settings.n_features,
                                n_train=settings.n_train, n_test=settings.n_test,
                                seed=task_source), used)
    control = training_config == CONTROL_CONFIG
    if control:
        model = ClassicalControl(used, task.n_features)
    else:
        backend = backend_for(settings, seed=np.random.default_rng(streams["shots"]))
        model = HybridModel(used, training_config, task.n_features,
                            readout_scale=settings.readout_scale, backend=backend)
    params0 = model.init_params(settings.n_init, np.random.default_rng(streams["init"]))
    result = train(model, params0, task.x_train, task.y_train, steps=settings.steps,
                   learning_rate=settings.learning_rate, batch_size=settings.batch_size,
                   seed=np.random.default_rng(streams["batch"]),
                   record_train_loss=needs_train_loss(settings))
    _check_finite(result, settings)
    columns = record_columns()
    record = {c: np.nan for c in columns}
    record.update(used.record(training_config))
    record.update(
        n_quantum_params=model.n_quantum_params, n_classical_params=model.n_classical_params,
        seed=seed, training_config=training_config, task=settings.task, task_id=task.task_id,
        shots=None if control else settings.shots, **settings.noise.as_dict(),
    )
    context = RunContext(model, result, task, settings, streams)
    for name in settings.definitions:
        if control and METRICS[name].needs_pqc:
            continue  # needs quantum parameters: NaN for the control
        record.update(DEFINITIONS.producer(name)(context))
    if not control:
        record["purity"] = model_purity(model, params0, task.x_train, settings)
    for name in RUN_DIAGNOSTICS:
        m = METRICS[name]
        if (control and m.needs_pqc) or (m.needs_shots and settings.shots is None):
            continue
        record.update(DIAGNOSTICS.producer(name)(context))
    acc = model.accuracy(result.final_params, task.x_test, task.y_test)
    record.update(
        final_loss=float(result.final_loss.mean()), final_loss_std=float(result.final_loss.std()),
        test_accuracy=float(acc.mean()), test_accuracy_std=float(acc.std()),
    )
    return {c: record[c] for c in columns}


def needs_train_loss(settings: RunSettings) -> bool:
    """Whether a run must record the training-set loss after every step (`steps_to_target`, or
    `loss_decrease` with a budget shorter than the run).

    Examples
    --------
    >>> needs_train_loss(RunSettings(steps=30, budget_steps=10, definitions=("loss_decrease",)))
    True
    >>> needs_train_loss(RunSettings(steps=30, budget_steps=30, definitions=("loss_decrease",)))
    False
    """
    defs = settings.definitions
    return "steps_to_target" in defs or ("loss_decrease" in defs
                                         and settings.budget < settings.steps)


class DivergedError(ArithmeticError):
    """Training ended with a loss that is not finite (the cell fails with this message)."""


def _check_finite(result: TrainingResult, settings: RunSettings) -> None:
    """Raise `DivergedError` when the final training loss of any initialisation is not finite:
    a run whose loss is NaN is a failure, not a row of numbers."""
    bad = ~np.isfinite(np.asarray(result.final_loss, dtype=float))
    if bad.any():
        raise DivergedError(
            f"training diverged: the final loss is not finite for {int(bad.sum())} of "
            f"{bad.size} initialisations (`training.learning_rate` = "
            f"{settings.learning_rate:g}, `training.steps` = {settings.steps})")
def model_purity(model: HybridModel, params: np.ndarray, x: np.ndarray,
                 settings: RunSettings) -> float:
    """Mean purity tr(rho^2) of the model circuit's output states over the K parameter vectors
    `params` and the inputs `x`, under the run's noise (its exact backend: finite shots give
    outcomes, not states); the dataset's ``purity`` (`etr.metrics.purity`).

    Examples
    --------
    >>> from etr.plan.noise import NoiseModel
    >>> model = HybridModel(Architecture(n_qubits=1, layers=1, rotations="RY"), "pure_pqc", 1)
    >>> s = RunSettings(noise=NoiseModel(depolarizing=0.5))
    >>> round(model_purity(model, model.init_params(2, seed=0), np.zeros((3, 1)), s), 12)
    0.53125
    """
    rows = model.circuit_rows(params, x)
    return float(state_purity(model.circuit, rows, backend=backend_for(settings, exact=True))
                 .mean())


def model_task(task: Task, arch: Architecture) -> Task:
    """The task as `arch` sees it: the task's own features behind a classical pre-network, the
    fixed map `etr.hybrid.encoding_features` to the encoding width without one.

    Examples
    --------
    >>> task = load_task("synthetic", n_train=20, n_test=10, seed=0)
    >>> model_task(task, Architecture(n_qubits=2, layers=1)).n_features
    2
    >>> model_task(task, Architecture(n_qubits=2, layers=1, classical_pre="4-tanh")).n_features
    8
    """
    if arch.classical_pre != "none":
        return task
    enc = encoding_features(task, encoding_width(arch.n_qubits, arch.encoding))
    meta = {**task.meta, "encoding_map": enc.method, "encoding_width": enc.width}
    return dataclasses.replace(task, x_train=enc.x_train, x_test=enc.x_test, meta=meta)


#: names of the run's random streams, in `SeedSequence.spawn` order (never reorder: append).
_STREAMS = ("task", "init", "batch", "effective_dimension", "landscape", "shots", "readout")


@dataclass(frozen=True, slots=True)
class RunContext:
    """What a trainability definition may read about a finished run.

    Attributes
    ----------
    model : the trained `HybridModel` (its backend: exact or finite shots).
    result : the `TrainingResult` of the K initialisations.
    task : the `Task` (training and test data).
    settings : the `RunSettings`.
    streams : name -> `numpy.random.SeedSequence` of the run's independent random streams.
    """

    model: HybridModel
    result: TrainingResult
    task: Task
    settings: RunSettings
    streams: dict[str, np.random.SeedSequence]

    def rng(self, stream: str) -> np.random.Generator:
        """A generator on the named stream (each call starts the stream afresh)."""
        return np.random.default_rng(self.streams[stream])

    def quantum_grads(self, params: np.ndarray) -> np.ndarray:
        """dLoss/dtheta (K, P_q) on the whole training set at `params` (K, P)."""
        _, g = self.model.loss_and_grad(params, self.task.x_train, self.task.y_train)
        return g[:, self.model.blocks["quantum"]]


Definition = Callable[["RunContext"], dict[str, object]]

class Producers(dict[str, Definition]):
    """Contract name -> the function computing its record columns, for one kind of name.

    `register(name)` is the decorator entering a function; a name outside `names` (the contract's
    registry of that kind) fails at import, not at run time. `producer(name)` is the function, or
    a one-line error naming the table.
    """

    def __init__(self, names: Sequence[str], kind: str, table: str) -> None:
        super().__init__()
        self.names, self.kind, self.table = names, kind, table

    def register(self, name: str) -> Callable[[Definition], Definition]:
        def enter(fn: Definition) -> Definition:
            if name not in self.names:
                raise InputError(f"`{name}` is not a registered {self.kind}")
            self[name] = fn
            return fn

        return enter

    def producer(self, name: str) -> Definition:
        fn = self.get(name)
        if fn is None:
            raise InputError(f"{self.kind} `{name}` has no function in "
                             f"etr.hybrid.run.{self.table}")
        return fn


#: registered trainability definition -> the function computing its record columns.
DEFINITIONS = Producers(TRAINABILITY_DEFINITIONS, "trainability definition", "DEFINITIONS")

#: registered run-level diagnostic -> the function computing its record columns.
DIAGNOSTICS = Producers(RUN_DIAGNOSTICS, "run-level diagnostic", "DIAGNOSTICS")


def definition(name: str) -> Callable[[Definition], Definition]:
    """Register the function computing the trainability definition `name` (and its companion
    columns); `name` must be in `etr.contract.TRAINABILITY_DEFINITIONS`."""
    return DEFINITIONS.register(name)


def diagnostic(name: str) -> Callable[[Definition], Definition]:
    """Register the function computing the run-level diagnostic `name` (in
    `etr.contract.RUN_DIAGNOSTICS`)."""
    return DIAGNOSTICS.register(name)


@diagnostic("grad_snr")
def _grad_snr(ctx: RunContext) -> dict[str, float]:
    """Exact gradient and shot-noise variance at the initial parameters, on the training set
    (the gradient `grad_var` reads), from the exact backend the run's shots are drawn from."""
    exact = ctx.model.with_backend(getattr(ctx.model.backend, "base", STATEVECTOR))
    g, var = exact.quantum_grad_noise(ctx.result.initial_params, ctx.task.x_train,
                                      ctx.task.y_train, ctx.settings.shots)
    return {"grad_snr": tm.grad_snr(g, var)}


@definition("grad_var")
def _grad_var(ctx: RunContext) -> dict[str, float]:
    r = ctx.result
    g0 = r.quantum_grads[0] if r.batch_size is None else ctx.quantum_grads(r.initial_params)
    return {"grad_var": tm.grad_var(g0)}


@definition("grad_var_landscape")
def _grad_var_landscape(ctx: RunContext) -> dict[str, float]:
    grads = landscape_gradients(ctx.model, ctx.result.final_params, ctx.task.x_train,
                                ctx.task.y_train, n_samples=ctx.settings.landscape_samples,
                                seed=ctx.rng("landscape"))
    return {"grad_var_landscape": tm.grad_var_landscape(grads)}


@definition("grad_var_readout")
def _grad_var_readout(ctx: RunContext) -> dict[str, float]:
    grads = readout_gradients(ctx.model, ctx.result.final_params, ctx.task.x_train,
                              n_samples=ctx.settings.landscape_samples, seed=ctx.rng("readout"))
    return {"grad_var_readout": tm.grad_var_readout(grads)}


@definition("grad_var_train")
def _grad_var_train(ctx: RunContext) -> dict[str, float]:
    return {"grad_var_train": tm.grad_var_train(ctx.result.quantum_grads,
                                                window=ctx.settings.early_steps)}


@definition("grad_norm")
def _grad_norm(ctx: RunContext) -> dict[str, float]:
    return {"grad_norm": tm.grad_norm(ctx.result.quantum_grads, window=ctx.settings.early_steps)}


@definition("loss_decrease")
def _loss_decrease(ctx: RunContext) -> dict[str, float]:
    r, budget = ctx.result, ctx.settings.budget
    after = r.final_loss if budget >= r.steps else r.train_loss[budget]
    return {"loss_decrease": tm.loss_decrease(r.initial_loss, after)}


@definition("steps_to_target")
def _steps_to_target(ctx: RunContext) -> dict[str, object]:
    fraction = ctx.settings.target_for(ctx.model.training_config)
    r = tm.steps_to_target(ctx.result.train_loss, fraction=fraction)
    return {"steps_to_target": r.steps, "steps_to_target_censored": r.censored}


@definition("effective_dimension")
def _effective_dimension(ctx: RunContext) -> dict[str, float]:
    s = ctx.settings
    value = model_effective_dimension(
        ctx.model.with_backend(backend_for(s, exact=True)), ctx.result.final_params,
        ctx.task.x_train,
        n_data=s.ed_data_size, n_samples=s.ed_weight_samples, seed=ctx.rng("effective_dimension"),
    )
    return {"effective_dimension": value}


def landscape_gradients(
    model: HybridModel, params: np.ndarray, x: np.ndarray, y: np.ndarray, *,
    n_samples: int = 8, seed: SeedLike = None,
) -> np.ndarray:
    """dLoss/dtheta at uniform random theta for each classical parameter set: (K, S, P_q).

    Row j of `params` (K, P) supplies the classical parameters; its theta is replaced by
    `n_samples` draws uniform in [0, 2 pi) (drawn set by set, sample by sample). The loss is
    taken on the fixed batch ``(x, y)``. One gradient evaluation of S x N circuit rows per set.

    Examples
    --------
    >>> model = HybridModel(Architecture(n_qubits=2, layers=1), "pure_pqc", 2)
    >>> g = landscape_gradients(model, model.init_params(3, seed=0), np.zeros((4, 2)),
    ...                         np.array([0, 1, 0, 1]), n_samples=5, seed=0)
    >>> g.shape
    (3, 5, 4)
    """
    s = check_int("n_samples", n_samples, minimum=2)
    rng = as_generator(seed)
    p = np.atleast_2d(np.asarray(params, dtype=float))
    q = model.blocks["quantum"]
    out = np.empty((p.shape[0], s, model.n_quantum_params))
    for j in range(p.shape[0]):
        samples = np.repeat(p[j:j + 1], s, axis=0)
        samples[:, q] = rng.uniform(0.0, 2.0 * np.pi, size=(s, model.n_quantum_params))
        _, g = model.loss_and_grad(samples, x, y)
        out[j] = g[:, q]
    return out


def readout_gradients(
    model: HybridModel, params: np.ndarray, x: np.ndarray, *, n_samples: int = 8,
    seed: SeedLike = None,
) -> np.ndarray:
    """d<O>/dtheta of the PQC's own readout at uniform random theta: (K, S, N, P_q).

    ``O = mean_q Z_q``, the readout of every qubit averaged (the ``pure_pqc`` observable).
    Row j of `params` (K, P) supplies the pre-network that turns the inputs `x` (N, features)
    into the circuit's angles; its theta is replaced by `n_samples` draws uniform in [0, 2 pi)
    (drawn set by set, sample by sample). The post-network plays no part: these are gradients of
    the circuit's output, not of the loss. One gradient evaluation of K x S x N circuit rows.

    Examples
    --------
    >>> model = HybridModel(Architecture(n_qubits=2, layers=1), "pure_pqc", 2)
    >>> g = readout_gradients(model, model.init_params(3, seed=0), np.zeros((4, 2)),
    ...                       n_samples=5, seed=0)
    >>> g.shape
    (3, 5, 4, 4)
    """
    s = check_int("n_samples", n_samples, minimum=2)
    rng = as_generator(seed)
    p = np.atleast_2d(np.asarray(params, dtype=float))
    x = np.asarray(x, dtype=float)
    k, n, n_in, n_q = p.shape[0], x.shape[0], model.n_inputs, model.n_quantum_params
    angles, _ = model.pre.forward(p[:, model.blocks["pre"]], np.broadcast_to(x, (k, *x.shape)))
    rows = np.empty((k, s, n, n_in + n_q))
    rows[..., :n_in] = angles[:, None]
    rows[..., n_in:] = rng.uniform(0.0, 2.0 * np.pi, size=(k, s, 1, n_q))
    m = len(model.observables)

    def mean_readout(values: np.ndarray, _rows: slice) -> np.ndarray:
        return np.full(values.shape, 1.0 / m)

    _, g = model.backend.expectation_vjp(model.circuit, rows.reshape(k * s * n, -1),
                                         model.observables, mean_readout,
                                         wrt=np.arange(n_in, n_in + n_q))
    return g.reshape(k, s, n, -1)[..., n_in:]


def model_effective_dimension(
    model: HybridModel, params: np.ndarray, x: np.ndarray, *, n_data: int = 1000,
    n_samples: int = 16, seed: SeedLike = None,
) -> float:
    """Normalised effective dimension of `model` w.r.t. its quantum parameters.

    Weight sample j takes theta uniform in [0, 2 pi) and the classical parameters of row
    ``j mod K`` of `params` (K, P); the Fisher information of the Bernoulli output
    p = sigmoid(logit), F = mean_x p (1 - p) (d logit / d theta)(d logit / d theta)^T, enters
    `etr.metrics.trainability.effective_dimension` with ``n = n_data``.
    """
    rng = as_generator(seed)
    p = np.atleast_2d(np.asarray(params, dtype=float))
    k = p.shape[0]
    samples = p[np.arange(n_samples) % k].copy()
    samples[:, model.blocks["quantum"]] = rng.uniform(0.0, 2.0 * np.pi,
                                                      size=(n_samples, model.n_quantum_params))
    logit, jac = model.logit_quantum_jacobian(samples, x)
    prob = 0.5 * (1.0 + np.tanh(0.5 * logit))
    w = prob * (1.0 - prob)
    probs = np.stack([prob, 1.0 - prob], axis=2)
    dprobs = np.stack([w[..., None] * jac, -w[..., None] * jac], axis=2)
    fisher = tm.fisher_information(probs, dprobs)
    return tm.effective_dimension(fisher, n_data=n_data)
