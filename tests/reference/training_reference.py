"""Reference outputs of training, frozen before the training step was optimised.

The speed work on the training step (kernels, fusion, chunking, the classical networks) must not
change a single result beyond rounding: this script records, from the code as it was at commit
8cbfe39 (before that work), the loss and every gradient of the headline step (10 qubits, 10
layers, ``hybrid_full``, 16 inits x 200 points), a short training trajectory of the same model,
and every column `etr.hybrid.evaluate_run` returns for runs covering every training
configuration, real and complex circuits, controlled rotations, re-uploading, every encoding,
widths 3 to 10 (every kernel stride), mini-batches and finite shots.
``tests/hybrid/test_reference_outputs.py`` compares today's code with them to 1e-10.

Regenerated once after deliberate changes of the numbers (the registry's per-definition random
streams, the tasks' registered targets and budgets, run records without the circuit columns):
with the operation-by-operation engine forced everywhere (``ROW_ENGINE_QUBITS`` set beyond any
width below), so that the test still checks the row engine against the operation engine. Never
regenerate it with the row engine on (that would make the check vacuous). Run
``python tests/reference/training_reference.py`` to write ``training_reference.json``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

import etr.quantum.statevector as _statevector
from etr.hybrid import HybridModel, evaluate_run, load_task, train
from etr.plan import Architecture, RunSettings

_statevector.ROW_ENGINE_QUBITS = 10**6  # the operation engine everywhere (module notes)

#: the headline training step (as in ``benchmarks/_common.py``).
STEP_ARCH = Architecture(n_qubits=10, layers=10, classical_pre="8-tanh", classical_post="8-tanh")

SMALL = {"n_train": 40, "n_test": 20, "n_init": 3, "steps": 8, "ed_weight_samples": 4,
         "landscape_samples": 3, "early_steps": 4}

#: (label, architecture fields, training config, settings overrides) of the evaluate_run cases.
RUNS: list[tuple[str, dict, str, dict]] = [
    *[(f"hea4-{c}", {"n_qubits": 4, "layers": 2}, c, {})
      for c in ("pure_pqc", "hybrid_quantum_only", "hybrid_full", "classical_only")],
    ("hea6-real-cnot-ring-full", {"n_qubits": 6, "layers": 3, "rotations": "RY",
                                  "entangler": "CNOT", "topology": "ring",
                                  "classical_pre": "8-tanh", "classical_post": "8-tanh"},
     "hybrid_full", {"task": "teacher"}),
    ("hea6-real-quantum-only", {"n_qubits": 6, "layers": 3, "rotations": "RY",
                                "classical_pre": "8-tanh", "classical_post": "8-tanh"},
     "hybrid_quantum_only", {}),
    ("hea5-xyz-full-hrz-reupload", {"n_qubits": 5, "layers": 2, "rotations": "RX+RY+RZ",
                                    "topology": "full", "encoding": "hrz", "reupload": True,
                                    "classical_pre": "4-relu"},
     "hybrid_full", {"task": "parity"}),
    ("hea3-rx-star-rx", {"n_qubits": 3, "layers": 2, "rotations": "RX", "topology": "star",
                         "encoding": "rx"}, "pure_pqc", {}),
    ("sim11-ryrz-full", {"family": "sim", "circuit": "sim11", "n_qubits": 4, "layers": 2,
                         "topology": "n/a", "rotations": "n/a", "entangler": "n/a",
                         "encoding": "ryrz", "classical_pre": "8-tanh"}, "hybrid_full", {}),
    ("sim14-pure", {"family": "sim", "circuit": "sim14", "n_qubits": 4, "layers": 1,
                    "topology": "n/a", "rotations": "n/a", "entangler": "n/a"}, "pure_pqc", {}),
    ("sim6-crx-full", {"family": "sim", "circuit": "sim6", "n_qubits": 3, "layers": 1,
                       "topology": "n/a", "rotations": "n/a", "entangler": "n/a",
                       "classical_pre": "8-tanh", "classical_post": "8-tanh"}, "hybrid_full", {}),
    ("hea10-full", {"n_qubits": 10, "layers": 2, "classical_pre": "8-tanh",
                    "classical_post": "8-tanh"}, "hybrid_full",
     {"n_train": 20, "n_init": 2, "steps": 3, "ed_weight_samples": 2, "landscape_samples": 2}),
    ("hea8-minibatch", {"n_qubits": 8, "layers": 2, "classical_pre": "8-tanh"}, "hybrid_full",
     {"batch_size": 16, "steps": 6}),
    ("hea3-shots", {"n_qubits": 3, "layers": 1, "classical_pre": "8-tanh"}, "hybrid_full",
     {"shots": 64, "steps": 4}),
]


def _json_value(v: object) -> object:
    """NaN and None both become null in the JSON; numpy scalars plain Python numbers."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def step_reference() -> dict:
    """Loss and full gradient of the headline step, 16 inits x 200 points."""
    model = HybridModel(STEP_ARCH, "hybrid_full", 10)
    task = load_task("synthetic", n_features=10, n_train=200, n_test=10, seed=0)
    p = model.init_params(16, seed=0)
    loss, grad = model.loss_and_grad(p, task.x_train, task.y_train)
    return {"loss": loss.tolist(), "grad": grad.tolist()}


def trajectory_reference() -> dict:
    """Three Adam steps of the headline model, 2 inits x 30 points."""
    model = HybridModel(STEP_ARCH, "hybrid_full", 10)
    task = load_task("synthetic", n_features=10, n_train=30, n_test=10, seed=1)
    p = model.init_params(2, seed=1)
    res = train(model, p, task.x_train, task.y_train, steps=3)
    return {"batch_loss": res.batch_loss.tolist(), "quantum_grads": res.quantum_grads.tolist(),
            "final_params": res.final_params.tolist(), "final_loss": res.final_loss.tolist()}


def run_reference(arch_fields: dict, config: str, overrides: dict) -> dict:
    settings = RunSettings(**{**SMALL, **overrides})
    record = evaluate_run(Architecture(**arch_fields), config, 7, settings)
    return {k: _json_value(v) for k, v in record.items()}


def main() -> None:
    out = {
        "step": step_reference(),
        "trajectory": trajectory_reference(),
        "runs": {label: {"arch": arch, "config": config, "settings": {**SMALL, **over},
                         "record": run_reference(arch, config, over)}
                 for label, arch, config, over in RUNS},
    }
    path = Path(__file__).with_name("training_reference.json")
    path.write_text(json.dumps(out) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
