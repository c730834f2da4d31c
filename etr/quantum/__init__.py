"""How a PQC is simulated: the QuTiP reference, a fast batched statevector path checked against it,
observables, and exact gradients (adjoint method and parameter-shift rule)."""

from __future__ import annotations

from etr.quantum.compile import compile_ansatz
from etr.quantum.gradients import (
    expectation_and_gradient,
    expectation_vjp,
    jacobian,
    parameter_shift_gradient,
)
from etr.quantum.observables import Observable, parse_observable
from etr.quantum.qutip_backend import qutip_statevector, qutip_statevectors, to_qubit_circuit
from etr.quantum.statevector import default_chunk_size, expectations, statevectors

__all__ = [
    "Observable",
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
    "statevectors",
    "to_qubit_circuit",
]
