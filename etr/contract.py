"""The dataset contract: one row per run = (architecture, seed, training configuration).

Pure pandas, no simulation imports, so `etr.analysis` and `etr.report` depend only on this module.
See DESIGN.md ("The dataset contract") for the meaning of each column.

Sign conventions
----------------
`expressibility_kl` is lower for more expressive circuits. Every trainability column is higher for
more trainable models. The classic trade-off hypothesis (more expressive -> smaller gradients)
therefore predicts a *positive* rank correlation between `expressibility_kl` and `grad_var`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from etr.errors import InputError

__all__ = [
    "ARCHITECTURE_COLUMNS",
    "COLUMNS",
    "METRIC_COLUMNS",
    "REQUIRED_COLUMNS",
    "TRAINABILITY_DEFINITIONS",
    "TRAINING_CONFIGS",
    "coerce_dtypes",
    "validate_dataset",
]

TRAINING_CONFIGS: tuple[str, ...] = ("pure_pqc", "hybrid_quantum_only", "hybrid_full")
TRAINABILITY_DEFINITIONS: tuple[str, ...] = (
    "grad_var",
    "grad_var_train",
    "grad_norm",
    "loss_decrease",
    "effective_dimension",
)

ARCHITECTURE_COLUMNS: tuple[str, ...] = (
    "family", "circuit", "n_qubits", "layers", "topology", "rotations", "entangler",
    "encoding", "reupload", "classical_pre", "classical_post",
)

#: column -> pandas dtype. Order is the order of written datasets.
COLUMNS: dict[str, str] = {
    "cell_id": "string",
    "architecture_id": "string",
    "pqc_id": "string",
    "family": "string",
    "circuit": "string",
    "n_qubits": "int64",
    "layers": "int64",
    "topology": "string",
    "rotations": "string",
    "entangler": "string",
    "encoding": "string",
    "reupload": "bool",
    "classical_pre": "string",
    "classical_post": "string",
    "n_quantum_params": "int64",
    "n_classical_params": "int64",
    "seed": "int64",
    "training_config": "string",
    "task": "string",
    "expressibility_kl": "float64",
    "expressibility_kl_corrected": "float64",
    "expressibility_ci_low": "float64",
    "expressibility_ci_high": "float64",
    "entangling_capability": "float64",
    "grad_var": "float64",
    "grad_var_train": "float64",
    "grad_norm": "float64",
    "loss_decrease": "float64",
    "effective_dimension": "float64",
    "final_loss": "float64",
    "final_loss_std": "float64",
    "test_accuracy": "float64",
    "test_accuracy_std": "float64",
    "status": "string",
    "error": "string",
    "wall_time_s": "float64",
}

METRIC_COLUMNS: tuple[str, ...] = (
    "expressibility_kl", "expressibility_kl_corrected", "entangling_capability",
    *TRAINABILITY_DEFINITIONS, "final_loss", "test_accuracy",
)

#: what an analysis needs at the least; other columns are optional.
REQUIRED_COLUMNS: tuple[str, ...] = (
    "architecture_id", "training_config", "n_qubits", "layers", "expressibility_kl",
)


def coerce_dtypes(data: pd.DataFrame) -> pd.DataFrame:
    """Return a copy with every known column cast to its contract dtype (unknown columns kept)."""
    out = data.copy()
    for col, dtype in COLUMNS.items():
        if col in out.columns:
            try:
                out[col] = out[col].astype(dtype)
            except (TypeError, ValueError) as exc:
                raise InputError(f"column `{col}` cannot be read as {dtype}: {exc}") from None
    return out


def validate_dataset(data: object, *, required: Iterable[str] = REQUIRED_COLUMNS) -> pd.DataFrame:
    """Check `data` against the contract; return it with contract dtypes.

    Raises
    ------
    etr.errors.InputError
        Not a DataFrame, empty, required columns missing (named), no trainability column,
        a metric column that is not numeric, or an unknown training configuration.
    """
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"a dataset must be a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in required if c not in data.columns]
    if missing:
        raise InputError(f"dataset is missing required column(s): {', '.join(missing)}")
    if not any(c in data.columns for c in TRAINABILITY_DEFINITIONS):
        raise InputError(
            "dataset has no trainability column; expected one of "
            + ", ".join(TRAINABILITY_DEFINITIONS)
        )
    if len(data) == 0:
        raise InputError("dataset is empty (0 rows)")
    for col in METRIC_COLUMNS:
        if col in data.columns and not (
            pd.api.types.is_numeric_dtype(data[col]) or data[col].isna().all()
        ):
            raise InputError(f"column `{col}` must be numeric, got dtype {data[col].dtype}")
    unknown = sorted(set(data["training_config"].dropna().astype(str)) - set(TRAINING_CONFIGS))
    if unknown:
        raise InputError(
            f"column `training_config` has unknown value(s) {unknown}; allowed: "
            + ", ".join(TRAINING_CONFIGS)
        )
    out = coerce_dtypes(data)
    for col in METRIC_COLUMNS:
        if col in out.columns:
            out[col] = out[col].astype("float64").replace([np.inf, -np.inf], np.nan)
    return out
