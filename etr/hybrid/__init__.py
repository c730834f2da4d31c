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
from etr.hybrid.run import RECORD_COLUMNS, RunSettings, evaluate_run, model_effective_dimension
from etr.hybrid.tasks import TASKS, EncodingFeatures, Task, encoding_features, load_task
from etr.hybrid.training import Adam, TrainingResult, train

__all__ = [
    "ACTIVATIONS",
    "CONTROL_MAPS",
    "PURE_PQC_READOUT_SCALE",
    "RECORD_COLUMNS",
    "TASKS",
    "Adam",
    "Architecture",
    "ClassicalControl",
    "DenseNet",
    "EncodingFeatures",
    "HybridModel",
    "RunSettings",
    "Task",
    "TrainingResult",
    "build_network",
    "encoding_features",
    "evaluate_run",
    "load_task",
    "model_effective_dimension",
    "parse_classical",
    "train",
]
