"""How a PQC is simulated: the QuTiP reference, a fast batched statevector path checked against it,
observables, exact gradients (adjoint method and parameter-shift rule), and the backend seam
(`Backend`: states, expectations, vector-Jacobian products) that metrics and models call, with
the exact statevector backend and the finite-shot one behind it."""

from __future__ import annotations

from etr.quantum.backend import STATEVECTOR, Backend, StatevectorBackend, as_backend
from etr.quantum.compile import compile_ansatz
from etr.quantum.gradients import (
    ShiftRule,
    expectation_and_gradient,
    expectation_vjp,
    jacobian,
    parameter_shift_gradient,
    shift_rule,
)
from etr.quantum.observables import Observable, parse_observable
from etr.quantum.qutip_backend import qutip_statevector, qutip_statevectors, to_qubit_circuit
from etr.quantum.shots import ShotBackend, sample_expectations
from etr.quantum.statevector import default_chunk_size, expectations, statevectors

__all__ = [
    "STATEVECTOR",
    "Backend",
    "Observable",
    "ShiftRule",
    "ShotBackend",
    "StatevectorBackend",
    "as_backend",
    "compile_ansatz",
    "default_chunk_size",
    "expectation_and_gradient",
    "expectation_vjp",
    "expectations",
    "jacobian",
    "parameter_shift_gradient",
    "parse_observable",
    "qutip_statevector",
    "qutip_statevectors",
    "sample_expectations",
    "shift_rule",
    "statevectors",
    "to_qubit_circuit",
]
