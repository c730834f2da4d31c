"""Hybrid classical-quantum models: tasks, models, training configurations.

`evaluate_run(arch, training_config, seed, settings)` is the one entry point the experiment runner
and the architecture search call: it loads the task, trains K initialisations of the model and
returns a flat dataset record (see `etr.contract.COLUMNS`).

`Architecture` and `RunSettings` are pure data and live in the data layer (`etr.plan`). Names are
loaded on first use (PEP 562), so ``import etr.hybrid.tasks`` does not import the simulation
stack (numba, QuTiP).
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "DenseNet": "etr.hybrid.classical",
    "CONTROL_MAPS": "etr.hybrid.control",
    "ClassicalControl": "etr.hybrid.control",
    "build_network": "etr.hybrid.classical",
    "HybridModel": "etr.hybrid.model",
    "DEFINITIONS": "etr.hybrid.run",
    "record_columns": "etr.hybrid.run",
    "RunContext": "etr.hybrid.run",
    "landscape_gradients": "etr.hybrid.run",
    "readout_gradients": "etr.hybrid.run",
    "evaluate_run": "etr.hybrid.run",
    "model_effective_dimension": "etr.hybrid.run",
    "TASKS": "etr.plan.tasks",
    "Task": "etr.hybrid.tasks",
    "EncodingFeatures": "etr.hybrid.tasks",
    "encoding_features": "etr.hybrid.tasks",
    "load_task": "etr.hybrid.tasks",
    "Adam": "etr.hybrid.training",
    "TrainingResult": "etr.hybrid.training",
    "train": "etr.hybrid.training",
}

__all__ = [
    "CONTROL_MAPS",
    "DEFINITIONS",
    "TASKS",
    "Adam",
    "ClassicalControl",
    "DenseNet",
    "EncodingFeatures",
    "HybridModel",
    "RunContext",
    "Task",
    "TrainingResult",
    "build_network",
    "encoding_features",
    "evaluate_run",
    "landscape_gradients",
    "load_task",
    "model_effective_dimension",
    "readout_gradients",
    "record_columns",
    "train",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'etr.hybrid' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
