"""What theory predicts for a circuit: its dynamical Lie algebra, the deep-circuit variance of the
loss (Ragone et al. 2024), the measured variance it is compared with, and the rank of the quantum
Fisher information (Larocca et al. 2023)."""

from __future__ import annotations

from etr.theory.general import GENERAL_MAX_QUBITS
from etr.theory.lie_algebra import LIE_METHODS, MAX_DIM, LieAlgebraResult, lie_algebra
from etr.theory.pauli import readout_observable
from etr.theory.pauli_algebra import MAX_PAULI_QUBITS
from etr.theory.qfim import QfimRankResult, qfim, qfim_rank, state_jacobian
from etr.theory.variance import (
    STATES,
    LossVarianceResult,
    PredictedVarianceResult,
    measured_loss_variance,
    predicted_variance,
)

__all__ = [
    "GENERAL_MAX_QUBITS",
    "LIE_METHODS",
    "MAX_DIM",
    "MAX_PAULI_QUBITS",
    "STATES",
    "LieAlgebraResult",
    "LossVarianceResult",
    "PredictedVarianceResult",
    "QfimRankResult",
    "lie_algebra",
    "measured_loss_variance",
    "predicted_variance",
    "qfim",
    "qfim_rank",
    "readout_observable",
    "state_jacobian",
]
