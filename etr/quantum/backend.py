"""The simulator seam: one interface for states, expectation values and vector-Jacobian products.

Metrics (`etr.metrics`) and hybrid models (`etr.hybrid`) never call a simulator directly; they take
a `Backend` (default `StatevectorBackend`) and ask it for three things:

``states(ansatz, params, *, chunk_size)``
    the final states, chunk by chunk: an iterator of ``(rows, block)`` with `rows` a slice of
    ``range(B)``; a chunk bounds the working memory whatever B is.
``expectations(ansatz, params, observables, *, chunk_size)``
    ``(B, M)`` expectation values.
``expectation_vjp(ansatz, params, observables, cotangent, *, wrt, chunk_size)``
    the values and ``(B, P)`` gradients of ``sum_m w[b, m] <O_m>``, the cotangent w given as an
    array or as a function of the values (so a caller whose upstream gradient depends on the
    values, such as a classical post-network, pays for one forward simulation, not two); `wrt`
    names the parameter slots the caller needs (a backend may skip the others and leave them 0).

The density-matrix backend (`etr.quantum.DensityMatrixBackend`, noise channels) implements the
same three methods, its ``states`` blocks ``(b, 2**n, 2**n)``; the QuTiP references
(`etr.quantum.QutipBackend`, `etr.quantum.QutipDensityBackend`) too. Finite shots are one more
backend of this kind, wrapping an exact one (`etr.quantum.ShotBackend`).

Backends are immutable descriptions except for a random stream where they sample (shots).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar, Protocol, runtime_checkable

import numpy as np

from etr.circuits.ansatz import Ansatz
from etr.errors import InputError
from etr.quantum._params import check_params
from etr.quantum.compile import compile_ansatz
from etr.quantum.gradients import Cotangent, ShiftRule, expectation_vjp, shifted_expectations
from etr.quantum.statevector import chunks, expectations, forward

__all__ = ["STATEVECTOR", "Backend", "StatevectorBackend", "as_backend"]


@runtime_checkable
class Backend(Protocol):
    """What metrics and models need from a simulator (see the module notes).

    Attributes
    ----------
    name : short name recorded in results (``"statevector"``, ``"shots"``).
    exact : True when expectations carry no sampling noise.
    """

    name: str
    exact: bool

    def states(self, ansatz: Ansatz, params: np.ndarray, *, chunk_size: int | None = None
               ) -> Iterator[tuple[slice, np.ndarray]]:
        """Final states of the rows of `params`, chunk by chunk."""
        ...

    def expectations(self, ansatz: Ansatz, params: np.ndarray, observables: object, *,
                     chunk_size: int | None = None) -> np.ndarray:
        """Expectation values ``(B, M)``."""
        ...

    def expectation_vjp(self, ansatz: Ansatz, params: np.ndarray, observables: object,
                        cotangent: Cotangent, *, wrt: np.ndarray | None = None,
                        chunk_size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Values ``(B, M)`` and gradients ``(B, P)`` of ``sum_m w[b, m] <O_m>``."""
        ...


@dataclass(frozen=True, slots=True)
class StatevectorBackend:
    """Exact pure-state simulation: the fast batched path of `etr.quantum.statevector`.

    Gradients are exact (adjoint method, one forward and one backward sweep per chunk); every
    parameter's derivative comes out of the same sweep, so `wrt` is accepted and ignored.

    Examples
    --------
    >>> from etr.circuits import Ansatz
    >>> b = StatevectorBackend()
    >>> a = Ansatz.from_gates(1, [("RY", 0)])
    >>> b.expectations(a, [[np.pi / 2]], ["Z", "X"]).round(12) + 0.0
    array([[0., 1.]])
    >>> [(rows, block.shape) for rows, block in b.states(a, np.zeros((3, 1)), chunk_size=2)]
    [(slice(0, 2, None), (2, 2)), (slice(2, 3, None), (1, 2))]
    """

    name: ClassVar[str] = "statevector"
    exact: ClassVar[bool] = True

    def states(self, ansatz: Ansatz, params: np.ndarray, *, chunk_size: int | None = None
               ) -> Iterator[tuple[slice, np.ndarray]]:
        """``(rows, states)`` per chunk; states ``(b, 2**n)``, float64 for real circuits (their
        amplitudes are real; see `etr.quantum.compile`), complex128 otherwise."""
        theta = check_params(ansatz, params)
        compiled = compile_ansatz(ansatz)
        for rows in chunks(theta.shape[0], ansatz.n_qubits, chunk_size):
            yield rows, forward(compiled, theta[rows])

    def expectations(self, ansatz: Ansatz, params: np.ndarray, observables: object, *,
                     chunk_size: int | None = None) -> np.ndarray:
        """`etr.quantum.expectations`."""
        return expectations(ansatz, params, observables, chunk_size=chunk_size)

    def expectation_vjp(self, ansatz: Ansatz, params: np.ndarray, observables: object,
                        cotangent: Cotangent, *, wrt: np.ndarray | None = None,
                        chunk_size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """`etr.quantum.expectation_vjp` (all parameters; `wrt` is ignored)."""
        return expectation_vjp(ansatz, params, observables, cotangent, chunk_size=chunk_size)

    def shifted_expectations(self, rule: ShiftRule, params: np.ndarray, observables: object, *,
                             chunk_size: int | None = None) -> np.ndarray:
        """Exact values ``(B, T, M)`` of the shifted circuits of `rule` (optional method: a
        finite-shot backend uses it when its exact backend offers it; see
        `etr.quantum.gradients.shifted_expectations`)."""
        return shifted_expectations(rule, params, observables, chunk_size=chunk_size)


#: the default backend.
STATEVECTOR = StatevectorBackend()


def as_backend(backend: object) -> Backend:
    """`backend`, or the exact statevector backend for None; `InputError` for anything else.

    Examples
    --------
    >>> as_backend(None).name
    'statevector'
    """
    if backend is None:
        return STATEVECTOR
    if not isinstance(backend, Backend):
        raise InputError("`backend` must be an etr.quantum backend (e.g. StatevectorBackend(), "
                         f"ShotBackend(shots)), got {type(backend).__name__}")
    return backend
