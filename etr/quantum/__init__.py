"""How a PQC is simulated: the QuTiP reference, a fast batched statevector path checked against it,
observables, exact gradients (adjoint method and parameter-shift rule), and the backend seam
(`Backend`: states, expectations, vector-Jacobian products) that metrics and models call, with
the exact statevector backend, the finite-shot one, the density-matrix backend under a
`NoiseModel`, and the QuTiP references of the statevector and density-matrix backends behind it."""

from __future__ import annotations

from etr.plan.noise import NoiseModel
from etr.quantum.backend import STATEVECTOR, Backend, StatevectorBackend, as_backend
from etr.quantum.compile import compile_ansatz
from etr.quantum.density import (
    MAX_DENSITY_QUBITS,
    DensityMatrixBackend,
    density_matrices,
    purity,
)
from etr.quantum.factory import backend_for, noise_of
from etr.quantum.gradients import (
    ShiftRule,
    expectation_and_gradient,
    expectation_vjp,
    jacobian,
    parameter_shift_gradient,
    shift_rule,
)
from etr.quantum.observables import Observable, parse_observable
from etr.quantum.qutip_backend import (
    QutipBackend,
    qutip_statevector,
    qutip_statevectors,
    to_qubit_circuit,
)
from etr.quantum.qutip_density import QutipDensityBackend, qutip_density_matrix
from etr.quantum.shots import ShotBackend, sample_expectations, shot_gradient_noise
from etr.quantum.statevector import default_chunk_size, expectations, statevectors

__all__ = [
    "MAX_DENSITY_QUBITS",
    "STATEVECTOR",
    "Backend",
    "DensityMatrixBackend",
    "NoiseModel",
    "Observable",
    "QutipBackend",
    "QutipDensityBackend",
    "ShiftRule",
    "ShotBackend",
    "StatevectorBackend",
    "as_backend",
    "backend_for",
    "compile_ansatz",
    "default_chunk_size",
    "density_matrices",
    "expectation_and_gradient",
    "expectation_vjp",
    "expectations",
    "jacobian",
    "noise_of",
    "parameter_shift_gradient",
    "parse_observable",
    "purity",
    "qutip_density_matrix",
    "qutip_statevector",
    "qutip_statevectors",
    "sample_expectations",
    "shift_rule",
    "shot_gradient_noise",
    "statevectors",
    "to_qubit_circuit",
]
