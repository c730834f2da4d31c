"""Hybrid classical-quantum models: architectures, tasks, models, training configurations.

`evaluate_run(arch, training_config, seed, settings)` is the one entry point the experiment runner
and the architecture search call: it loads the task, trains K initialisations of the model and
returns a flat dataset record (see `etr.contract.COLUMNS`).
"""

from __future__ import annotations

from etr.hybrid.architecture import ACTIVATIONS, Architecture, parse_classical
from etr.hybrid.classical import DenseNet, build_network
from etr.hybrid.control import CONTROL_MAPS, ClassicalControl
from etr.hybrid.model import PURE_PQC_READOUT_SCALE, HybridModel
from etr.hybrid.run import (
    DEFINITIONS,
    RECORD_COLUMNS,
    RunContext,
    RunSettings,
    evaluate_run,
    landscape_gradients,
    model_effective_dimension,
)
from etr.hybrid.tasks import TASKS, EncodingFeatures, Task, encoding_features, load_task
from etr.hybrid.training import Adam, TrainingResult, train

__all__ = [
    "ACTIVATIONS",
    "CONTROL_MAPS",
    "DEFINITIONS",
    "PURE_PQC_READOUT_SCALE",
    "RECORD_COLUMNS",
    "TASKS",
    "Adam",
    "Architecture",
    "ClassicalControl",
    "DenseNet",
    "EncodingFeatures",
    "HybridModel",
    "RunContext",
    "RunSettings",
    "Task",
    "TrainingResult",
    "build_network",
    "encoding_features",
    "evaluate_run",
    "landscape_gradients",
    "load_task",
    "model_effective_dimension",
    "parse_classical",
    "train",
]
