"""Cheap stand-ins for the evaluation functions the runner calls (module-level: picklable).

Their outputs are deterministic functions of (architecture, configuration, seed), so runs with any
worker count must give identical datasets.
"""

from __future__ import annotations

import os
import time

import numpy as np


def _sleep() -> None:
    delay = float(os.environ.get("ETR_FAKE_DELAY", "0"))
    if delay:
        time.sleep(delay)


def fake_evaluate(arch, training_config, seed, settings, task_seed):
    """Random numbers from `seed`; raises for 3-qubit hybrid_full cells (a failure to record)."""
    _sleep()
    if arch.n_qubits == 3 and training_config == "hybrid_full":
        raise RuntimeError(f"diverged at step {settings.steps}")
    rng = np.random.default_rng(seed)
    out = {d: float(rng.random()) for d in settings.definitions}
    out.update(final_loss=float(rng.random()), test_accuracy=float(rng.random()),
               n_quantum_params=arch.n_qubits * arch.layers,
               n_classical_params=0 if training_config == "pure_pqc" else 10,
               task=settings.task, task_id=f"{task_seed:016x}"[:12], seed=seed)
    return out


def fake_metrics(arch, metrics, seed):
    _sleep()
    rng = np.random.default_rng(seed)
    kl = float(rng.random()) / arch.layers
    return {"expressibility_kl": kl, "expressibility_kl_corrected": kl - 0.01,
            "expressibility_kl_ci_low": kl - 0.1, "expressibility_kl_ci_high": kl + 0.1,
            "entangling_capability": float(rng.random())}
