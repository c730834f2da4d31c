"""Experiments: spec parsing and validation, the cell grid, its size and run-time estimate, the
resumable parallel runner, and (re-exported from `etr.dataset`) the metric dataset on disk.

The spec, the grid and the estimate are pure data (they import no simulation code); the runner
imports the simulation stack only in the processes that evaluate cells.

Examples
--------
>>> from etr.experiment import expand_grid, preset_spec
>>> spec = preset_spec("quick")
>>> len(expand_grid(spec)) > 100
True
"""

from __future__ import annotations

from etr.dataset import (
    FORMATS,
    base_provenance,
    empty_dataset,
    read_dataset,
    write_dataset,
)
from etr.experiment.circuit import circuit_metrics
from etr.experiment.grid import (
    Cell,
    CircuitUnit,
    circuit_units,
    derive_seed,
    expand_grid,
    run_seed,
    task_seed,
)
from etr.experiment.journal import journal_dir
from etr.experiment.runner import ExperimentResult, run_experiment
from etr.experiment.size import Estimate, GridBounds, check_spec_limits, estimate, grid_bounds
from etr.experiment.spec import (
    FIELD_DOCS,
    MAX_QUBITS,
    PRESETS,
    GridSpec,
    HeaGrid,
    SimGrid,
    Spec,
    load_spec,
    preset_spec,
    preset_text,
)
from etr.plan.settings import MetricSpec

__all__ = [
    "FIELD_DOCS",
    "FORMATS",
    "MAX_QUBITS",
    "PRESETS",
    "Cell",
    "CircuitUnit",
    "Estimate",
    "ExperimentResult",
    "GridBounds",
    "GridSpec",
    "HeaGrid",
    "MetricSpec",
    "SimGrid",
    "Spec",
    "base_provenance",
    "check_spec_limits",
    "circuit_metrics",
    "circuit_units",
    "derive_seed",
    "empty_dataset",
    "estimate",
    "expand_grid",
    "grid_bounds",
    "journal_dir",
    "load_spec",
    "preset_spec",
    "preset_text",
    "read_dataset",
    "run_experiment",
    "run_seed",
    "task_seed",
    "write_dataset",
]
