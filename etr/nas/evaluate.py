"""Evaluating one architecture under one training configuration: the search's only expensive step.

An *evaluator* is any picklable callable
``evaluator(arch, training_config, seed, evaluation) -> dict`` returning a flat record with (at
the least) the columns the objectives read; `Evaluation` carries the spec's run sections
(``[training]`` as `etr.plan.RunSettings`, ``[metrics]`` as `etr.plan.MetricSpec`, the root
seed), the same sections ``etr simulate`` reads. `simulate_architecture` is the real evaluator:
it trains and measures the hybrid model with `etr.hybrid.evaluate_run` and computes the PQC's
expressibility with `etr.metrics.expressibility` (cached per PQC inside a worker process).
`synthetic_evaluator` is a cheap, deterministic stand-in with made-up objective values, for testing
the search machinery and timing its overhead; it is not physics.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from etr._hashing import short_hash
from etr.plan.architecture import Architecture
from etr.plan.cost import model_gates
from etr.plan.settings import DEFAULT_ROOT_SEED, MetricSpec, RunSettings

__all__ = [
    "Evaluation",
    "Evaluator",
    "cost_columns",
    "run_seed",
    "simulate_architecture",
    "synthetic_evaluator",
]


def run_seed(root: int, architecture_id: str) -> int:
    """The run seed of an architecture: a 63-bit hash of (root seed, architecture id).

    A repeated architecture gets the same seed, so its evaluation is the same whichever trial (or
    worker) computes it.

    Examples
    --------
    >>> run_seed(0, "abc") == run_seed(0, "abc") != run_seed(1, "abc")
    True
    """
    return int(short_hash(f"{int(root)}:{architecture_id}"), 16) >> 1


@dataclass(frozen=True, slots=True)
class Evaluation:
    """How the search evaluates an architecture: the spec's run sections.

    Attributes
    ----------
    settings : `etr.plan.RunSettings` of every run (``[training]`` and ``definitions``).
    metrics : `etr.plan.MetricSpec` (``[metrics]``: ``n_pairs`` and ``bins`` of the
        expressibility estimate).
    root_seed : root of the expressibility seeds (one per PQC).

    Examples
    --------
    >>> Evaluation().metrics.n_pairs
    1000
    """

    settings: RunSettings = field(default_factory=RunSettings)
    metrics: MetricSpec = field(default_factory=MetricSpec)
    root_seed: int = DEFAULT_ROOT_SEED

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping (hashed into a stored study's configuration)."""
        return {"settings": self.settings.to_dict(),
                "metrics": {"n_pairs": self.metrics.n_pairs, "bins": self.metrics.bins,
                            "ec_samples": self.metrics.ec_samples},
                "root_seed": self.root_seed}


Evaluator = Callable[[Architecture, str, int, Evaluation], dict]


def cost_columns(arch: Architecture) -> dict[str, int]:
    """Gate count of the full model circuit (encoding, re-uploaded if so, plus the PQC).

    Examples
    --------
    >>> cost_columns(Architecture(n_qubits=2, layers=1, rotations="RY", topology="linear"))
    {'n_gates': 5}
    """
    return {"n_gates": model_gates(arch)[0]}


def synthetic_evaluator(arch: Architecture, training_config: str, seed: int,
                        evaluation: Evaluation) -> dict:
    """Deterministic made-up objectives that depend on the architecture and the configuration.

    Expressibility falls with depth and entangling structure, ``grad_var`` falls with qubits and
    depth, accuracy rises with capacity and (for ``hybrid_full``) with classical layers; a small
    seeded noise term breaks ties. For tests and overhead timings only.

    Examples
    --------
    >>> r = synthetic_evaluator(Architecture(), "hybrid_full", 1, Evaluation())
    >>> sorted(k for k in r if k in ("expressibility_kl", "grad_var", "test_accuracy"))
    ['expressibility_kl', 'grad_var', 'test_accuracy']
    >>> r == synthetic_evaluator(Architecture(), "hybrid_full", 1, Evaluation())
    True
    """
    rng = np.random.default_rng(seed)
    n, layers = arch.n_qubits, arch.layers
    n_rot = 1 if arch.family == "sim" else len(arch.rotations.split("+"))
    ent = {"n/a": 1.0, "linear": 1.0, "ring": 1.3, "full": 1.6, "star": 1.1, "none": 0.2}
    strength = layers * n_rot * ent.get(arch.topology, 1.0)
    n_q = arch.ansatz().n_params
    n_c = arch.n_classical_params(training_config, 4)
    classical = (arch.classical_pre != "none") + (arch.classical_post != "none")
    full = training_config == "hybrid_full"
    acc = 0.55 + 0.3 * (1 - np.exp(-strength / 4)) + (0.08 * classical if full else 0.0)
    acc += 0.03 * arch.reupload - 0.02 * max(n - 3, 0)
    return {
        "expressibility_kl": float(2.0 * np.exp(-strength / 2) + 0.01 + 0.005 * rng.random()),
        "entangling_capability": float(1 - np.exp(-strength / 3)),
        "grad_var": float(2.0 ** (-n) / (1 + 0.3 * layers) * (1 + 0.05 * rng.random())),
        "grad_var_train": float(2.0 ** (-n) / (1 + 0.2 * layers) * (1 + 0.2 * full)),
        "grad_norm": float(2.0 ** (-n / 2) / (1 + 0.1 * layers)),
        "loss_decrease": float(0.6 / (1 + 0.2 * layers) + (0.2 * classical if full else 0.0)
                               + 0.01 * rng.random()),
        "effective_dimension": float(1 - np.exp(-strength / 5)),
        "final_loss": float(1.0 - acc + 0.1),
        "test_accuracy": float(min(acc + 0.01 * rng.random(), 1.0)),
        "n_quantum_params": int(n_q),
        "n_classical_params": int(n_c),
        "task": evaluation.settings.task,
    }


@functools.lru_cache(maxsize=256)
def _expressibility(arch: Architecture, n_pairs: int, bins: int, seed: int) -> tuple[float, ...]:
    from etr.metrics import expressibility

    res = expressibility(arch.ansatz(), n_pairs=n_pairs, bins=bins, seed=seed, details=True)
    return float(res.kl), float(res.kl_corrected), float(res.ci_low), float(res.ci_high)


def simulate_architecture(arch: Architecture, training_config: str, seed: int,
                          evaluation: Evaluation) -> dict:
    """Train and measure `arch` with the simulation core: `etr.hybrid.evaluate_run` with
    ``evaluation.settings``, plus the expressibility of its PQC (Sim et al. 2019;
    ``evaluation.metrics.n_pairs`` pairs, ``bins`` bins), which depends only on the PQC and is
    cached. The expressibility seed derives from ``evaluation.root_seed`` and the PQC id.
    """
    from etr.hybrid.run import evaluate_run

    record = dict(evaluate_run(arch, training_config, seed, evaluation.settings))
    pqc_seed = run_seed(evaluation.root_seed, arch.pqc_id)  # shared by models of one PQC
    kl, kl_c, low, high = _expressibility(arch, evaluation.metrics.n_pairs,
                                          evaluation.metrics.bins, pqc_seed)
    record.update(expressibility_kl=kl, expressibility_kl_corrected=kl_c,
                  expressibility_kl_ci_low=low, expressibility_kl_ci_high=high)
    return record
