"""One run = (architecture, training configuration, seed): train K inits, measure trainability.

`evaluate_run` returns a flat record whose keys are the dataset contract columns
(`etr.contract.COLUMNS`) except the circuit-level metrics (``expressibility_*``,
``entangling_capability``) and the bookkeeping columns (``cell_id``, ``status``, ``error``,
``wall_time_s``), which the experiment runner adds.

Randomness: ``numpy.random.SeedSequence(seed).spawn(4)`` gives independent streams for the task
(data draw and split), the K initialisations, the mini-batch order and the effective-dimension
weight samples. None depends on the training configuration, so ``hybrid_quantum_only`` and
``hybrid_full`` runs with the same seed see the same data and start from the same parameters
(their ``grad_var`` is identical by construction; see `etr.metrics.trainability`).
"""

from __future__ import annotations

import numpy as np

from etr._rng import SeedLike, as_generator
from etr._validation import check_choice, check_int
from etr.circuits import encoding_width
from etr.contract import COLUMNS, PQC_CONFIGS
from etr.errors import InputError
from etr.hybrid.architecture import Architecture
from etr.hybrid.model import HybridModel
from etr.hybrid.tasks import load_task
from etr.hybrid.training import TrainingResult, train
from etr.metrics import trainability as tm
from etr.plan.settings import RunSettings

__all__ = ["RECORD_COLUMNS", "RunSettings", "evaluate_run"]

_RUNNER_COLUMNS = ("cell_id", "status", "error", "wall_time_s", "entangling_capability")
#: keys of the record `evaluate_run` returns, in contract order.
RECORD_COLUMNS: tuple[str, ...] = tuple(
    c for c in COLUMNS if c not in _RUNNER_COLUMNS and not c.startswith("expressibility")
)


def evaluate_run(
    arch: Architecture, training_config: str, seed: int, settings: RunSettings | None = None
) -> dict:
    """Train K initialisations of one model and measure every requested trainability definition.

    Parameters
    ----------
    arch : Architecture
        For ``pure_pqc`` its classical parts are dropped (``arch.without_classical()``).
    training_config : ``"pure_pqc"``, ``"hybrid_quantum_only"`` or ``"hybrid_full"``.
    seed : int >= 0
        All randomness of the run derives from it (see the module notes).
    settings : RunSettings, default ``RunSettings()``.

    Returns
    -------
    dict
        Keys `RECORD_COLUMNS` in contract order: architecture factors, ``architecture_id``,
        ``pqc_id``, parameter counts, ``seed``, ``training_config``, ``task``, the five
        trainability definitions (NaN when not requested), ``final_loss`` / ``final_loss_std``
        (training loss after T steps, mean / std over inits) and ``test_accuracy`` /
        ``test_accuracy_std``.

    Notes
    -----
    ``grad_var`` uses the gradient on the whole training set at initialisation; ``grad_var_train``
    and ``grad_norm`` the gradients of the batches the optimiser used at steps 0 .. T-1;
    ``loss_decrease`` the whole-training-set loss before and after training. The effective
    dimension uses the Bernoulli output distribution p = sigmoid(logit) on the training inputs,
    quantum parameters drawn uniformly, and the classical parts of the *trained* models (init
    ``j mod K`` for weight sample j): frozen initial ones for ``hybrid_quantum_only``, trained
    ones for ``hybrid_full``.

    Examples
    --------
    >>> arch = Architecture(n_qubits=2, layers=1)
    >>> rec = evaluate_run(arch, "pure_pqc", 0, RunSettings(n_train=20, n_test=10, n_init=2,
    ...                    steps=2, ed_weight_samples=2))
    >>> rec["n_quantum_params"], rec["n_classical_params"], rec["training_config"]
    (4, 0, 'pure_pqc')
    """
    check_choice("training_config", training_config, PQC_CONFIGS)
    if not isinstance(arch, Architecture):
        raise InputError(f"`arch` must be an Architecture, got {type(arch).__name__}")
    seed = check_int("seed", seed, minimum=0)
    settings = RunSettings() if settings is None else settings
    if not isinstance(settings, RunSettings):
        raise InputError(f"`settings` must be a RunSettings, got {type(settings).__name__}")
    used = arch.without_classical() if training_config == "pure_pqc" else arch
    n_features = settings.n_features or encoding_width(used.n_qubits, used.encoding)
    task_ss, init_ss, batch_ss, ed_ss = np.random.SeedSequence(seed).spawn(4)
    model = HybridModel(used, training_config, n_features, readout_scale=settings.readout_scale)
    task = load_task(settings.task, n_features=n_features, n_train=settings.n_train,
                     n_test=settings.n_test, seed=np.random.default_rng(task_ss))
    params0 = model.init_params(settings.n_init, np.random.default_rng(init_ss))
    result = train(model, params0, task.x_train, task.y_train, steps=settings.steps,
                   learning_rate=settings.learning_rate, batch_size=settings.batch_size,
                   seed=np.random.default_rng(batch_ss))
    record = {c: np.nan for c in RECORD_COLUMNS}
    record.update(used.to_dict())
    record.update(
        architecture_id=used.architecture_id, pqc_id=used.pqc_id,
        n_quantum_params=model.n_quantum_params, n_classical_params=model.n_classical_params,
        seed=seed, training_config=training_config, task=settings.task,
    )
    record.update(_trainability(model, result, task, settings, np.random.default_rng(ed_ss)))
    acc = model.accuracy(result.final_params, task.x_test, task.y_test)
    record.update(
        final_loss=float(result.final_loss.mean()), final_loss_std=float(result.final_loss.std()),
        test_accuracy=float(acc.mean()), test_accuracy_std=float(acc.std()),
    )
    return {c: record[c] for c in RECORD_COLUMNS}


def _trainability(model: HybridModel, result: TrainingResult, task, settings: RunSettings,
                  ed_rng: np.random.Generator) -> dict[str, float]:
    out: dict[str, float] = {}
    defs = settings.definitions
    if "grad_var" in defs:
        if result.batch_size is None:
            g0 = result.quantum_grads[0]
        else:
            _, g = model.loss_and_grad(result.initial_params, task.x_train, task.y_train)
            g0 = g[:, model.blocks["quantum"]]
        out["grad_var"] = tm.grad_var(g0)
    if "grad_var_train" in defs:
        out["grad_var_train"] = tm.grad_var_train(result.quantum_grads)
    if "grad_norm" in defs:
        out["grad_norm"] = tm.grad_norm(result.quantum_grads)
    if "loss_decrease" in defs:
        out["loss_decrease"] = tm.loss_decrease(result.initial_loss, result.final_loss)
    if "effective_dimension" in defs:
        out["effective_dimension"] = model_effective_dimension(
            model, result.final_params, task.x_train, n_data=settings.ed_data_size,
            n_samples=settings.ed_weight_samples, seed=ed_rng,
        )
    return out


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
