"""Evaluating one architecture: replicated runs, circuit-level columns once per distinct circuit.

Units of work
-------------
The search evaluates an architecture as ``R`` *runs* (replicates) plus one *circuit unit*:

* a run is ``evaluator(arch, training_config, seed, evaluation) -> dict``: one trained model,
  its trainability definitions and test accuracy (the columns of `etr.hybrid.evaluate_run`).
  ``evaluation`` carries the spec's run sections and the run's replicate r;
* the circuit unit is ``evaluator.circuit_metrics(arch, seed, evaluation) -> dict``: the
  circuit-level columns of ``arch.ansatz()`` (frame potential, both KLs, entangling capability,
  theory; `etr.experiment.circuit.circuit_record` at the ``[metrics]`` sample sizes), computed
  once per distinct circuit (`pqc_id`) and shared by every architecture, configuration and
  replicate built on it. An evaluator without that method (`synthetic_evaluator`, test
  doubles) returns those columns in its run records instead.

Seeds (the same derivation as ``etr simulate``, `etr.experiment.grid`)
---------------------------------------------------------------------
Replicate r of an architecture trains on the shared task instance of (task, r), seeded
``task_seed(root_seed, task, r)``, with the run seed ``derive_seed(root_seed, architecture_id,
r)`` (`run_seed`); the circuit unit is seeded from ``(root_seed, pqc_id)`` (`circuit_seed`).
Nothing depends on the trial, the search or the worker that evaluates it, so an architecture's
numbers are the same wherever and whenever they are computed, and every search that evaluates it
with the same replicates reuses them.

The objectives of a trial are the replicate means (`aggregate`), with their standard errors.
`synthetic_evaluator` is a cheap, deterministic stand-in with made-up values for testing the
search machinery and timing its overhead; it is not physics.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from etr.contract import CIRCUIT, METRICS
from etr.experiment.grid import circuit_seed, derive_seed, task_seed
from etr.plan.architecture import Architecture
from etr.plan.cost import model_gates
from etr.plan.settings import DEFAULT_ROOT_SEED, MetricSpec, RunSettings

__all__ = [
    "Evaluation",
    "Evaluator",
    "Simulator",
    "aggregate",
    "circuit_seed",
    "cost_columns",
    "objective_value",
    "replicate_block",
    "run_seed",
    "simulate_architecture",
    "synthetic_evaluator",
]

#: run-record keys that differ between replicates and are not measures (not averaged).
_PER_RUN = frozenset({"seed", "task_id", "wall_time_s"})


def run_seed(root: int, architecture_id: str, replicate: int = 0) -> int:
    """The run seed of replicate `replicate` of an architecture, as ``etr simulate`` derives it
    (`etr.experiment.grid.derive_seed` of root seed, architecture id and replicate).

    Examples
    --------
    >>> run_seed(0, "abc") == run_seed(0, "abc") != run_seed(0, "abc", 1)
    True
    """
    return derive_seed(int(root), architecture_id, int(replicate))


def replicate_block(search_seed: int, replicates: int) -> tuple[int, ...]:
    """The replicates a search with index `search_seed` trains every architecture under.

    Search seed k uses replicates ``k R .. k R + R - 1``: two searches of one setting share
    neither sampler randomness nor task instances and initialisations, so they are two
    independent replications of the whole experiment.

    Examples
    --------
    >>> replicate_block(0, 2), replicate_block(1, 2)
    ((0, 1), (2, 3))
    """
    return tuple(range(search_seed * replicates, (search_seed + 1) * replicates))


@dataclass(frozen=True, slots=True)
class Evaluation:
    """How an architecture is evaluated: the spec's run sections and the run's replicate.

    Attributes
    ----------
    settings : `etr.plan.RunSettings` of every run (``[training]`` and ``definitions``).
    metrics : `etr.plan.MetricSpec` (``[metrics]``: ``n_states`` of the frame potential,
        ``n_pairs`` and ``bins`` of the KL, ...).
    root_seed : root of every seed.
    replicate : the replicate r of this run (its task instance is that of (task, r)).

    Examples
    --------
    >>> ev = Evaluation(root_seed=3)
    >>> ev.at(1).task_seed != ev.task_seed
    True
    """

    settings: RunSettings = field(default_factory=RunSettings)
    metrics: MetricSpec = field(default_factory=MetricSpec)
    root_seed: int = DEFAULT_ROOT_SEED
    replicate: int = 0

    @property
    def task_seed(self) -> int:
        """Seed of the task instance of (task, replicate), shared by every run of a replicate."""
        return task_seed(self.root_seed, self.settings.task, self.replicate)

    def at(self, replicate: int) -> Evaluation:
        """The same evaluation for replicate `replicate`."""
        return dataclasses.replace(self, replicate=int(replicate))

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping of what changes the numbers (hashed into a stored study's
        configuration); the replicate is not part of it."""
        return {"settings": self.settings.to_dict(), "metrics": self.metrics.to_dict(),
                "root_seed": self.root_seed}


Evaluator = Callable[[Architecture, str, int, Evaluation], dict]


@dataclass(frozen=True, slots=True)
class Simulator:
    """The real evaluator: `etr.hybrid.evaluate_run` for a run, `circuit_record` for a circuit.

    Examples
    --------
    >>> callable(simulate_architecture), hasattr(simulate_architecture, "circuit_metrics")
    (True, True)
    """

    def __call__(self, arch: Architecture, training_config: str, seed: int,
                 evaluation: Evaluation) -> dict:
        """Train and measure replicate ``evaluation.replicate`` of `arch` on the task instance
        of (task, replicate): the record of `etr.hybrid.evaluate_run`."""
        from etr.hybrid.run import evaluate_run

        return dict(evaluate_run(arch, training_config, seed, evaluation.settings,
                                 evaluation.task_seed))

    def circuit_metrics(self, arch: Architecture, seed: int, evaluation: Evaluation) -> dict:
        """Every circuit-level column of ``arch.ansatz()`` at the ``[metrics]`` sample sizes
        (`etr.experiment.circuit.circuit_metrics`, as ``etr simulate`` computes them)."""
        from etr.experiment.circuit import circuit_metrics

        return circuit_metrics(arch, evaluation.metrics, seed)


#: the evaluator of every search unless another is given.
simulate_architecture = Simulator()


def cost_columns(arch: Architecture) -> dict[str, int]:
    """Gate count of the full model circuit (encoding, re-uploaded if so, plus the PQC).

    Examples
    --------
    >>> cost_columns(Architecture(n_qubits=2, layers=1, rotations="RY", topology="linear"))
    {'n_gates': 5}
    """
    return {"n_gates": model_gates(arch)[0]}


def objective_value(column: str, record: Mapping[str, Any]) -> float:
    """The value of `column` that a search ranks: the record's value, except that a
    right-censored value (the registry's ``censor`` flag set, e.g. ``steps_to_target`` never
    reached within T steps, recorded as T) counts as one more than it (T + 1), so it ranks
    below every run that reached the target.

    Examples
    --------
    >>> objective_value("steps_to_target", {"steps_to_target": 30.0,
    ...                                     "steps_to_target_censored": True})
    31.0
    """
    value = float(record.get(column, np.nan))
    m = METRICS.get(column)
    if m is not None and m.censor is not None and bool(record.get(m.censor, False)):
        value += 1.0
    return value


def aggregate(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One record from the replicate records of an architecture.

    Every numeric column is averaged over the replicates (registry measures with a censor flag
    through `objective_value`, so a censored replicate counts as slowest); each registry measure
    also gets ``<column>_se``, the standard error of that mean (sample standard deviation over
    sqrt(R); NaN for one replicate); a censor flag becomes ``<flag>_n``, the number of censored
    replicates. Non-numeric columns are kept when equal in every replicate; ``seed``,
    ``task_id`` and ``wall_time_s`` (per run) are dropped, ``n_replicates`` is added.

    Examples
    --------
    >>> agg = aggregate([{"grad_var": 1.0, "task": "teacher"}, {"grad_var": 3.0,
    ...                  "task": "teacher"}])
    >>> agg["grad_var"], agg["grad_var_se"], agg["task"], agg["n_replicates"]
    (2.0, 1.0, 'teacher', 2)
    """
    if not records:
        return {"n_replicates": 0}
    censors = {m.censor for m in METRICS.values() if m.censor}
    out: dict[str, Any] = {}
    for key in records[0]:
        if key in _PER_RUN:
            continue
        values = [r.get(key) for r in records]
        if key in censors:
            out[f"{key}_n"] = int(sum(bool(v) for v in values if v is not None))
            continue
        if all(_is_number(v) for v in values):
            x = np.array([objective_value(key, r) if key in METRICS else float(r[key])
                          for r in records])
            if all(isinstance(v, int | np.integer) for v in values) and len(set(values)) == 1:
                out[key] = int(values[0])
            else:
                out[key] = float(np.mean(x))
            if key in METRICS:
                out[f"{key}_se"] = (float(np.std(x, ddof=1) / np.sqrt(len(x)))
                                    if len(x) > 1 else float("nan"))
        elif all(v == values[0] for v in values):
            out[key] = values[0]
    out["n_replicates"] = len(records)
    return out


def _is_number(v: object) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(
        v, bool | np.bool_)


def synthetic_evaluator(arch: Architecture, training_config: str, seed: int,
                        evaluation: Evaluation) -> dict:
    """Deterministic made-up columns that depend on the architecture, configuration and seed.

    Expressibility falls with depth and entangling structure, gradient variances fall with
    qubits and depth, accuracy rises with capacity and (for ``hybrid_full``) with classical
    layers; seeded noise (about 0.02 in accuracy) makes replicates differ. ``classical_only``
    (the control) has no PQC columns. Every registered trainability definition is filled. For
    tests and overhead timings only.

    Examples
    --------
    >>> r = synthetic_evaluator(Architecture(), "hybrid_full", 1, Evaluation())
    >>> sorted(k for k in r if k in ("expressibility_fp", "grad_var", "test_accuracy"))
    ['expressibility_fp', 'grad_var', 'test_accuracy']
    >>> r == synthetic_evaluator(Architecture(), "hybrid_full", 1, Evaluation())
    True
    """
    rng = np.random.default_rng(seed)
    noise = rng.random(6)
    n, layers = arch.n_qubits, arch.layers
    n_rot = 1 if arch.family == "sim" else len(arch.rotations.split("+"))
    ent = {"n/a": 1.0, "linear": 1.0, "ring": 1.3, "full": 1.6, "star": 1.1, "none": 0.2}
    strength = layers * n_rot * ent.get(arch.topology, 1.0)
    classical = (arch.classical_pre != "none") + (arch.classical_post != "none")
    control = training_config == "classical_only"
    full = training_config in ("hybrid_full", "classical_only")
    quantum = 0.0 if control else 0.3 * (1 - np.exp(-strength / 4)) + 0.03 * arch.reupload
    acc = 0.55 + quantum + (0.08 * classical if full else 0.0) - 0.02 * max(n - 3, 0)
    acc = float(min(acc + 0.04 * (noise[0] - 0.5), 1.0))
    steps = evaluation.settings.steps
    reach = int(np.ceil(steps * (0.3 + 0.5 * layers / (layers + 3) + 0.3 * noise[1])))
    rec: dict[str, Any] = {
        "n_quantum_params": 0 if control else int(arch.ansatz().n_params),
        "n_classical_params": int(arch.n_classical_params(
            "hybrid_full" if control else training_config, 4)),
        "training_config": training_config,
        "task": evaluation.settings.task,
        "task_id": f"synthetic-{evaluation.task_seed % 10**6}",
        "final_loss": float(1.1 - acc),
        "test_accuracy": acc,
        "loss_decrease": float(0.6 / (1 + 0.2 * layers) + (0.2 * classical if full else 0.0)
                               + 0.02 * noise[2]),
        "steps_to_target": float(min(reach, steps)),
        "steps_to_target_censored": bool(reach > steps),
    }
    if not control:
        rec.update(_pqc_columns(n, layers, strength, full, noise))
    for name, m in METRICS.items():  # the rest of the registry
        if name not in rec and not (control and m.needs_pqc):
            latent = strength / 2 if m.level == CIRCUIT else 1.0 - 0.3 * n - 0.2 * layers
            rec[name] = float(m.from_latent(np.array([latent + 0.1 * noise[5]]))[0])
    return rec


def _pqc_columns(n: int, layers: int, strength: float, full: bool,
                 noise: np.ndarray) -> dict[str, float]:
    gv = 2.0 ** (-n) / (1 + 0.3 * layers) * (1 + 0.1 * noise[3])
    return {
        "expressibility_fp": float(1.0 + 2.0 * np.exp(-strength / 2) + 0.01 * noise[4]),
        "expressibility_kl": float(2.0 * np.exp(-strength / 2) + 0.01 + 0.005 * noise[4]),
        "entangling_capability": float(1 - np.exp(-strength / 3)),
        "grad_var": float(gv),
        "grad_var_landscape": float(gv * (1.5 if full else 1.0)),
        "grad_var_train": float(2.0 ** (-n) / (1 + 0.2 * layers) * (1 + 0.2 * full)
                                * (1 + 0.1 * noise[5])),
        "grad_norm": float(2.0 ** (-n / 2) / (1 + 0.1 * layers)),
        "effective_dimension": float(1 - np.exp(-strength / 5)),
    }
