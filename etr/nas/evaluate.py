"""Evaluating one architecture under one training configuration: the search's only expensive step.

An *evaluator* is any picklable callable
``evaluator(arch, training_config, seed, options) -> dict`` returning a flat record with (at the
least) the columns the objectives read. `simulate_architecture` is the real one: it trains and
measures the hybrid model with `etr.hybrid.evaluate_run` and computes the PQC's expressibility
with `etr.metrics.expressibility` (cached per PQC inside a worker process).
`synthetic_evaluator` is a cheap, deterministic stand-in with made-up objective values, for testing
the search machinery and timing its overhead; it is not physics.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from etr.circuits import encoding_circuit
from etr.errors import SpecError
from etr.hybrid.architecture import Architecture, parse_classical

__all__ = [
    "EXPRESSIBILITY_OPTIONS",
    "Evaluator",
    "cost_columns",
    "run_seed",
    "simulate_architecture",
    "synthetic_evaluator",
]

Evaluator = Callable[[Architecture, str, int, Mapping[str, Any]], dict]
#: options of ``[nas.evaluation]`` consumed by the expressibility estimate (the rest go to
#: `etr.hybrid.RunSettings`), with their defaults.
EXPRESSIBILITY_OPTIONS: dict[str, int] = {"expr_pairs": 500, "expr_bins": 75}


def run_seed(root: int, architecture_id: str) -> int:
    """The run seed of an architecture: a 63-bit hash of (root seed, architecture id).

    A repeated architecture gets the same seed, so its evaluation is the same whichever trial (or
    worker) computes it.

    Examples
    --------
    >>> run_seed(0, "abc") == run_seed(0, "abc") != run_seed(1, "abc")
    True
    """
    digest = hashlib.sha256(f"{int(root)}:{architecture_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def cost_columns(arch: Architecture) -> dict[str, int]:
    """Gate count of the full model circuit (encoding, re-uploaded if so, plus the PQC).

    Examples
    --------
    >>> cost_columns(Architecture(n_qubits=2, layers=1, rotations="RY", topology="linear"))
    {'n_gates': 5}
    """
    pqc = arch.ansatz()
    enc = encoding_circuit(arch.n_qubits, arch.encoding)
    reps = arch.layers if arch.reupload else 1
    return {"n_gates": int(pqc.n_gates + reps * enc.n_gates)}


def _classical_params(spec: str, n_in: int, n_out: int) -> int:
    widths, _ = parse_classical(spec)
    sizes = [n_in, *widths, n_out]
    return sum((a + 1) * b for a, b in itertools.pairwise(sizes)) if widths else 0


def synthetic_evaluator(arch: Architecture, training_config: str, seed: int,
                        options: Mapping[str, Any]) -> dict:
    """Deterministic made-up objectives that depend on the architecture and the configuration.

    Expressibility falls with depth and entangling structure, ``grad_var`` falls with qubits and
    depth, accuracy rises with capacity and (for ``hybrid_full``) with classical layers; a small
    seeded noise term breaks ties. For tests and overhead timings only.

    Examples
    --------
    >>> r = synthetic_evaluator(Architecture(), "hybrid_full", 1, {})
    >>> sorted(k for k in r if k in ("expressibility_kl", "grad_var", "test_accuracy"))
    ['expressibility_kl', 'grad_var', 'test_accuracy']
    >>> r == synthetic_evaluator(Architecture(), "hybrid_full", 1, {})
    True
    """
    rng = np.random.default_rng(seed)
    n, layers = arch.n_qubits, arch.layers
    n_rot = 1 if arch.family == "sim" else len(arch.rotations.split("+"))
    ent = {"n/a": 1.0, "linear": 1.0, "ring": 1.3, "full": 1.6, "star": 1.1, "none": 0.2}
    strength = layers * n_rot * ent.get(arch.topology, 1.0)
    n_q = arch.ansatz().n_params
    n_c = _classical_params(arch.classical_pre, 4, n) + _classical_params(
        arch.classical_post, 1, 1)
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
        "task": str(options.get("task", "synthetic")),
    }


@functools.lru_cache(maxsize=256)
def _expressibility(arch: Architecture, n_pairs: int, bins: int, seed: int) -> tuple[float, ...]:
    from etr.metrics import expressibility

    res = expressibility(arch.ansatz(), n_pairs=n_pairs, bins=bins, seed=seed, details=True)
    low = getattr(res, "ci_low", np.nan)
    high = getattr(res, "ci_high", np.nan)
    return float(res.kl), float(res.kl_corrected), float(low), float(high)


def simulate_architecture(arch: Architecture, training_config: str, seed: int,
                          options: Mapping[str, Any]) -> dict:
    """Train and measure `arch` with the simulation core: `etr.hybrid.evaluate_run` plus the
    expressibility of its PQC (Sim et al. 2019), which depends only on the PQC and is cached.

    ``options`` holds `etr.hybrid.RunSettings` fields plus ``expr_pairs`` / ``expr_bins`` and the
    search's ``root_seed`` (the expressibility seed derives from it and the PQC id).
    """
    from etr.hybrid import RunSettings, evaluate_run

    opts = dict(options)
    root = int(opts.pop("root_seed", 0))
    n_pairs = int(opts.pop("expr_pairs", EXPRESSIBILITY_OPTIONS["expr_pairs"]))
    bins = int(opts.pop("expr_bins", EXPRESSIBILITY_OPTIONS["expr_bins"]))
    if "definitions" in opts:
        opts["definitions"] = tuple(opts["definitions"])
    try:
        settings = RunSettings(**opts)
    except TypeError as exc:
        raise SpecError(f"bad `nas.evaluation` option: {exc}") from None
    record = dict(evaluate_run(arch, training_config, seed, settings))
    pqc_seed = run_seed(root, arch.pqc_id)  # shared by every model around the same PQC
    kl, kl_c, low, high = _expressibility(arch, n_pairs, bins, pqc_seed)
    record.update(expressibility_kl=kl, expressibility_kl_corrected=kl_c,
                  expressibility_kl_ci_low=low, expressibility_kl_ci_high=high)
    return record
