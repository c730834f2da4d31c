"""The dataset contract: one row per run = (architecture, seed, training configuration).

Pure pandas, no simulation imports, so `etr.analysis` and `etr.report` depend only on this module.
See DESIGN.md ("The dataset contract") for the meaning of each column. ``task_id`` identifies a
task instance by its content and ``task_instance`` by its number (0 .. I - 1 with a spec's
``instances``; the replicate's number otherwise): with task instances crossed with replicates,
a run is (architecture, training configuration, task instance, seed), and
(architecture_id, seed) alone no longer identifies it.

`METRICS` is the one registry of every expressibility measure, trainability definition and the
other measured columns (kind, direction, log scale, labels, meaning); `CONFIGS` the registry of
training configurations. Every stage (runner, analysis, report, NAS) reads them; adding a
definition is one entry here plus its function and tests.

Sign conventions
----------------
Every expressibility measure is lower for more expressive circuits. Trainability columns are
higher for more trainable models except ``steps_to_target`` (fewer steps = more trainable); the
registry's ``higher_is_more`` records which. The classic trade-off hypothesis (more expressive ->
smaller gradients) therefore predicts a *positive* rank correlation between an expressibility
measure and ``grad_var``, and a *negative* one with ``steps_to_target``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from etr.errors import InputError

__all__ = [
    "ARCHITECTURE_COLUMNS",
    "CIRCUIT_COLUMNS",
    "COLUMNS",
    "CONFIGS",
    "EXPRESSIBILITY_MEASURES",
    "METRICS",
    "METRIC_COLUMNS",
    "PQC_CONFIGS",
    "PRIMARY_X",
    "REQUIRED_COLUMNS",
    "TRAINABILITY_DEFINITIONS",
    "TRAINING_CONFIGS",
    "Metric",
    "TrainingConfig",
    "coerce_dtypes",
    "metric",
    "validate_dataset",
]

#: kinds of registered metrics
EXPRESSIBILITY, TRAINABILITY, CAPACITY = "expressibility", "trainability", "capacity"
ENTANGLEMENT, PERFORMANCE, THEORY = "entanglement", "performance", "theory"
KINDS: tuple[str, ...] = (EXPRESSIBILITY, TRAINABILITY, CAPACITY, ENTANGLEMENT, PERFORMANCE,
                          THEORY)


@dataclass(frozen=True, slots=True)
class Metric:
    """One registered measure: everything a stage needs to know about a dataset column.

    Attributes
    ----------
    name : the dataset column.
    kind : ``"expressibility"``, ``"trainability"``, ``"capacity"``, ``"entanglement"``,
        ``"performance"`` or ``"theory"``.
    direction : the sign convention in words, e.g. ``"lower = more expressive"``.
    higher_is_more : +1 when a higher value means *more* of what the kind names (more
        trainable, more entangling, better performance), -1 when lower means more (every
        expressibility measure: lower = more expressive; ``steps_to_target``: fewer steps = more
        trainable); 0 when no such reading exists (theory columns).
    log_scale : the values are positive and span decades: models, charts and hypervolumes use
        log10.
    label : short label for legends and tables.
    axis_title : axis title with units and the direction.
    meaning : one line: what it measures.
    ci : ``(ci_low column, ci_high column)`` of its sampling interval, or None.
    censor : column flagging right-censored values (never reached), or None.
    """

    name: str
    kind: str
    direction: str
    higher_is_more: int
    log_scale: bool
    label: str
    axis_title: str
    meaning: str
    ci: tuple[str, str] | None = None
    censor: str | None = None


_LE = "lower = more expressive"
_HT = "higher = more trainable"

#: every expressibility measure and trainability definition, described once.
METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("expressibility_fp", EXPRESSIBILITY, _LE, -1, True,
           "frame potential ratio F2/F2(Haar)",
           "Frame-potential ratio F₂/F₂ᴴᵃᵃʳ (≥ 1), lower = more expressive",
           "all-pairs U-statistic of the t = 2 state frame potential over its Haar value; 1 for "
           "a state 2-design; comparable across widths",
           ci=("expressibility_fp_ci_low", "expressibility_fp_ci_high")),
    Metric("expressibility_eps", EXPRESSIBILITY, _LE, -1, False,
           "expressibility ε (Holmes et al.)",
           "ε = sqrt(F₂ − F₂ᴴᵃᵃʳ), lower = more expressive",
           "distance of the state ensemble from a 2-design (Holmes et al. 2022); bounds the "
           "gradient variance"),
    Metric("expressibility_kl", EXPRESSIBILITY, _LE, -1, True,
           "expressibility KL (Sim et al.)",
           "Expressibility KL (nats), lower = more expressive",
           "Sim et al. 2019 KL of the fidelity histogram (75 bins on [0, 1]) from Haar; the "
           "paper-comparable measure, its plug-in bias falls with width",
           ci=("expressibility_kl_ci_low", "expressibility_kl_ci_high")),
    Metric("expressibility_kl_scaled", EXPRESSIBILITY, _LE, -1, False,
           "width-scaled KL",
           "Width-scaled KL of N·F (nats, bias-corrected), lower = more expressive",
           "Miller-Madow corrected KL of the histogram of s = N*F (20 bins of equal Exp(1) mass, "
           "the last open) from the exact Haar law of N*F; 0 +- 0.0006 for Haar states at every "
           "width (5000 pairs), so it compares across widths; can be <= 0; saturates near "
           "ln 20 for poorly expressive circuits"),
    Metric("entangling_capability", ENTANGLEMENT, "higher = more entangling", 1, False,
           "entangling capability", "Mean Meyer-Wallach Q, higher = more entangling",
           "mean Meyer-Wallach entanglement over uniform random parameters"),
    Metric("grad_var", TRAINABILITY, _HT, 1, True,
           "gradient variance (init)", "Var[dL/dθ] at init; higher = more trainable",
           "variance over random initialisations of dL/dθ_k at initialisation, mean over k "
           "(the barren-plateau statistic)"),
    Metric("grad_var_landscape", TRAINABILITY, _HT, 1, True,
           "gradient variance (landscape)",
           "Var[dL/dθ] over random θ, trained classical parts; higher = more trainable",
           "variance over random θ of dL/dθ_k with the classical parts at their trained values: "
           "the barren-plateau statistic of the landscape the classical parts create"),
    # Why a readout definition: every loss gradient carries the post-network's Jacobian, and a
    # post-network trained end to end grows it (see etr.metrics.trainability), so the loss
    # definitions rank hybrid_full's circuits by their post-network as much as by themselves.
    Metric("grad_var_readout", TRAINABILITY, _HT, 1, True,
           "gradient variance (PQC readout)",
           "Var[d⟨O⟩/dθ] of the PQC's readout at trained inputs; higher = more trainable",
           "variance over random θ of d⟨O⟩/dθ_k, O = mean_q Z_q the PQC's own readout, at the "
           "inputs the trained pre-network feeds it: the landscape of the circuit, free of the "
           "post-network's scale (which every loss gradient carries)"),
    Metric("grad_var_train", TRAINABILITY, _HT, 1, True,
           "gradient variance (early training)",
           "Var[dL/dθ] over the early window; higher = more trainable",
           "across-initialisation variance of dL/dθ_k over a fixed early window of training"),
    Metric("grad_norm", TRAINABILITY, _HT, 1, True,
           "RMS gradient (early training)", "RMS dL/dθ over the early window; higher = more "
           "trainable", "root-mean-square quantum gradient over a fixed early window of training"),
    Metric("loss_decrease", TRAINABILITY, _HT, 1, False,
           "relative loss decrease", "(L0 − LB) / L0 after B steps; higher = more trainable",
           "relative decrease of the training loss after a budget of B optimiser steps (the "
           "task's registered budget: short enough that it is not at its ceiling of 1)"),
    Metric("steps_to_target", TRAINABILITY, "lower = more trainable", -1, False,
           "steps to target", "Optimiser steps to the target loss; lower = more trainable",
           "steps until the training loss first reaches a fixed fraction of the available "
           "reduction; right-censored at T when never reached",
           censor="steps_to_target_censored"),
    Metric("effective_dimension", CAPACITY, "capacity, not trainability", 1, False,
           "effective dimension (capacity)",
           "Normalised effective dimension (capacity, not trainability)",
           "normalised effective dimension (Abbas et al. 2021) w.r.t. the quantum parameters: "
           "how much of the parameter space the model uses, a capacity measure"),
    Metric("test_accuracy", PERFORMANCE, "higher = better", 1, False, "test accuracy",
           "Test accuracy (fraction); higher = better", "fraction of test points classified "
           "correctly after training, mean over initialisations"),
    Metric("final_loss", PERFORMANCE, "lower = better", -1, False, "final training loss",
           "Final training loss; lower = better", "training loss after T steps"),
    Metric("dla_dim", THEORY, "higher = larger dynamical Lie algebra", 0, True,
           "DLA dimension", "dim g (dynamical Lie algebra)",
           "dimension of the dynamical Lie algebra of the circuit's generators"),
    Metric("predicted_loss_var", THEORY, "higher = flatter-free landscape", 0, True,
           "predicted loss variance", "Var_θ⟨O⟩ predicted (Ragone et al.)",
           "deep-circuit variance of the cost predicted from the DLA (Ragone et al. 2024)"),
    Metric("loss_var", THEORY, "higher = less flat", 0, True, "measured loss variance",
           "Var_θ⟨O⟩ measured", "variance over random θ of the cost at initialisation"),
    Metric("qfim_rank", THEORY, "higher = more independent directions", 0, False,
           "QFIM rank", "rank of the quantum Fisher information",
           "rank of the quantum Fisher information at random θ (saturates at <= dim g)"),
)}

#: the primary expressibility measure of the analysis and the report.
PRIMARY_X = "expressibility_fp"


def metric(name: str) -> Metric:
    """The registry entry of `name`; `InputError` naming the allowed names otherwise.

    Examples
    --------
    >>> metric("grad_var").direction
    'higher = more trainable'
    """
    try:
        return METRICS[name]
    except KeyError:
        raise InputError(f"unknown metric `{name}`; registered: {', '.join(METRICS)}") from None


def _names(*kinds: str) -> tuple[str, ...]:
    return tuple(m.name for m in METRICS.values() if m.kind in kinds)


#: columns analysed as x (lower = more expressive for each).
EXPRESSIBILITY_MEASURES: tuple[str, ...] = _names(EXPRESSIBILITY)
#: columns analysed as y: the trainability definitions and the capacity measure.
TRAINABILITY_DEFINITIONS: tuple[str, ...] = _names(TRAINABILITY, CAPACITY)


@dataclass(frozen=True, slots=True)
class TrainingConfig:
    """One training configuration: what is trained, and whether a PQC is present."""

    name: str
    label: str
    meaning: str
    has_pqc: bool = True


#: the training configurations, in report order.
CONFIGS: dict[str, TrainingConfig] = {c.name: c for c in (
    TrainingConfig("pure_pqc", "pure PQC", "the PQC alone with a fixed readout; θ trained"),
    TrainingConfig("hybrid_quantum_only", "hybrid, quantum-only training",
                   "classical pre- and post-networks frozen at their initialisation; θ trained"),
    TrainingConfig("hybrid_full", "hybrid, end-to-end training",
                   "classical parts and θ trained together"),
    TrainingConfig("classical_only", "classical-only control",
                   "the same classical networks with the PQC replaced by a fixed classical map "
                   "of the same input and output width, trained end to end", has_pqc=False),
)}
TRAINING_CONFIGS: tuple[str, ...] = tuple(CONFIGS)
#: the configurations that hold a PQC (expressibility is defined for them).
PQC_CONFIGS: tuple[str, ...] = tuple(c for c, v in CONFIGS.items() if v.has_pqc)

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
    "task_id": "string",
    "task_instance": "Int64",
    "shots": "Int64",
    "expressibility_fp": "float64",
    "expressibility_fp_ci_low": "float64",
    "expressibility_fp_ci_high": "float64",
    "expressibility_eps": "float64",
    "expressibility_kl": "float64",
    "expressibility_kl_corrected": "float64",
    "expressibility_kl_ci_low": "float64",
    "expressibility_kl_ci_high": "float64",
    "expressibility_kl_scaled": "float64",
    "entangling_capability": "float64",
    "dla_dim": "float64",
    "predicted_loss_var": "float64",
    "loss_var": "float64",
    "qfim_rank": "float64",
    "theory_note": "string",
    "grad_var": "float64",
    "grad_var_landscape": "float64",
    "grad_var_readout": "float64",
    "grad_var_train": "float64",
    "grad_norm": "float64",
    "loss_decrease": "float64",
    "steps_to_target": "float64",
    "steps_to_target_censored": "boolean",
    "effective_dimension": "float64",
    "final_loss": "float64",
    "final_loss_std": "float64",
    "test_accuracy": "float64",
    "test_accuracy_std": "float64",
    "status": "string",
    "error": "string",
    "wall_time_s": "float64",
}

#: the columns that describe a distinct circuit (one value per `pqc_id`, computed once by the
#: runner and shared by every run on that circuit; NaN for the classical-only control).
CIRCUIT_COLUMNS: tuple[str, ...] = (
    "expressibility_fp", "expressibility_fp_ci_low", "expressibility_fp_ci_high",
    "expressibility_eps", "expressibility_kl", "expressibility_kl_corrected",
    "expressibility_kl_ci_low", "expressibility_kl_ci_high", "expressibility_kl_scaled",
    "entangling_capability", "dla_dim", "predicted_loss_var", "loss_var", "qfim_rank",
    "theory_note",
)

#: numeric metric columns (validated as numbers; inf read as NaN).
METRIC_COLUMNS: tuple[str, ...] = tuple(
    c for c in COLUMNS
    if c in METRICS or c.startswith("expressibility_") or c.endswith("_std")
)

#: what an analysis needs at the least; other columns are optional.
REQUIRED_COLUMNS: tuple[str, ...] = ("architecture_id", "training_config", "n_qubits", "layers")


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
    if not any(c in data.columns for c in EXPRESSIBILITY_MEASURES):
        raise InputError(
            "dataset has no expressibility column; expected one of "
            + ", ".join(EXPRESSIBILITY_MEASURES)
        )
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
