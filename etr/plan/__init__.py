"""The data layer: what to run, as pure data.

Architectures, run settings, the shared spec sections and their TOML reading, the limits a spec
must respect and the run-time cost model. Nothing here imports the simulation stack (numba, QuTiP,
scikit-learn; `etr.circuits` is pure Python), so checking a spec, expanding a grid or estimating
its run time is instant. ``etr simulate`` (`etr.experiment.spec`, `etr.experiment.grid`) and
``etr nas`` (`etr.nas.spec`, `etr.nas.space`) build on it. The task registry (`etr.plan.tasks`)
is here too, so a spec's task names are checked without the model stack.

Examples
--------
>>> from etr.plan import Architecture, RunSettings
>>> Architecture(n_qubits=2, layers=1).ansatz().n_params
4
>>> RunSettings(steps=10).steps
10
"""

from __future__ import annotations

from etr.plan.architecture import (
    ACTIVATIONS,
    NOT_APPLICABLE,
    Architecture,
    network_sizes,
    parse_classical,
)
from etr.plan.instances import InstanceDesign, difference_cover
from etr.plan.settings import (
    DEFAULT_ROOT_SEED,
    PURE_PQC_READOUT_SCALE,
    RUN_FIELD_DOCS,
    RUN_KEYS,
    MetricSpec,
    RunSettings,
    RunSpec,
    read_run_sections,
)
from etr.plan.tables import Table, commented_toml, read_toml
from etr.plan.tasks import TASKS, TaskInfo

__all__ = [
    "ACTIVATIONS",
    "DEFAULT_ROOT_SEED",
    "NOT_APPLICABLE",
    "PURE_PQC_READOUT_SCALE",
    "RUN_FIELD_DOCS",
    "RUN_KEYS",
    "TASKS",
    "Architecture",
    "InstanceDesign",
    "MetricSpec",
    "RunSettings",
    "RunSpec",
    "Table",
    "TaskInfo",
    "commented_toml",
    "difference_cover",
    "network_sizes",
    "parse_classical",
    "read_run_sections",
    "read_toml",
]
