"""Experiments: spec parsing and validation, the cell grid, the resumable parallel runner, and the
metric dataset on disk (Parquet/CSV with provenance)."""

from __future__ import annotations

from etr.experiment.dataset import (
    FORMATS,
    base_provenance,
    empty_dataset,
    read_dataset,
    write_dataset,
)

__all__ = [
    "FORMATS",
    "base_provenance",
    "empty_dataset",
    "read_dataset",
    "write_dataset",
]
