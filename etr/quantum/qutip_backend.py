"""The QuTiP reference: conversion of an `Ansatz` to a qutip-qip `QubitCircuit` and its simulation,
and `QutipBackend`, the same reference behind the `etr.quantum.Backend` seam.

This is the only module that imports ``qutip_qip``. qutip-qip changed how gates are created between
0.3, 0.4 and 0.5; with 0.4 every gate is added by name through `QubitCircuit.add_gate`, with
``controls=`` / ``targets=`` for controlled gates (``CRX``, ``CRY``, ``CRZ`` exist in 0.4 as
one-controlled gates). QuTiP's ``RX(t)`` is exp(-i t X / 2), the etr convention; the tests check
every gate kind against etr's own matrices.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import qutip
from qutip_qip.circuit import QubitCircuit

from etr.circuits.ansatz import Ansatz
from etr.quantum._params import check_params
from etr.quantum.gradients import Cotangent, row_cotangent, shift_rule
from etr.quantum.observables import Observable
from etr.quantum.statevector import as_observables, chunks

__all__ = [
    "QutipBackend",
    "ShiftGradients",
    "qutip_observable",
    "qutip_statevector",
    "qutip_statevectors",
    "shift_vjp",
    "to_qubit_circuit",
]

# etr gate name -> qutip-qip 0.4 gate name
_QUTIP_NAMES: dict[str, str] = {
    "H": "SNOT", "X": "X", "Y": "Y", "Z": "Z", "S": "S", "T": "T",
    "RX": "RX", "RY": "RY", "RZ": "RZ",
    "CZ": "CSIGN", "CNOT": "CNOT", "SWAP": "SWAP",
    "CRX": "CRX", "CRY": "CRY", "CRZ": "CRZ",
}


def to_qubit_circuit(ansatz: Ansatz, params: np.ndarray) -> QubitCircuit:
    """Build the qutip-qip circuit of `ansatz` at one parameter vector.

    Parameters
    ----------
    ansatz : the circuit.
    params : array of shape ``(ansatz.n_params,)``.

    Returns
    -------
    qutip_qip.circuit.QubitCircuit

    Raises
    ------
    etr.errors.InputError
        `params` does not have shape ``(n_params,)``.

    Examples
    --------
    >>> from etr.circuits import Ansatz
    >>> a = Ansatz.from_gates(2, [("RY", 0), ("CRX", 0, 1)])
    >>> [g.name for g in to_qubit_circuit(a, [0.1, 0.2]).gates]
    ['RY', 'CRX']
    """
    theta = check_params(ansatz, params, single=True)[0]
    qc = QubitCircuit(ansatz.n_qubits)
    for gate in ansatz.gates:
        name = _QUTIP_NAMES[gate.name]
        kind = gate.kind
        kwargs: dict[str, object] = {}
        if kind.rotation:
            kwargs["arg_value"] = float(theta[gate.slot] if gate.slot is not None else gate.angle)
        if kind.controlled:
            kwargs["controls"] = [gate.qubits[0]]
            kwargs["targets"] = [gate.qubits[1]]
        else:
            kwargs["targets"] = list(gate.qubits)
        qc.add_gate(name, **kwargs)
    return qc


def qutip_statevector(ansatz: Ansatz, params: np.ndarray) -> qutip.Qobj:
    """Simulate `ansatz` with QuTiP (`QubitCircuit.run` on |0...0>); the reference path.

    Examples
    --------
    >>> from etr.circuits import Ansatz
    >>> a = Ansatz.from_gates(1, [("RY", 0)])
    >>> round(float(abs(qutip_statevector(a, [np.pi]).full()[1, 0])), 6)
    1.0
    """
    qc = to_qubit_circuit(ansatz, params)
    n = ansatz.n_qubits
    return qc.run(qutip.basis([2] * n, [0] * n))


def qutip_statevectors(ansatz: Ansatz, params: np.ndarray) -> np.ndarray:
    """`qutip_statevector` for each row of `params` (shape ``(B, P)``), stacked to ``(B, 2**n)``."""
    theta = check_params(ansatz, params)
    out = np.empty((theta.shape[0], 2**ansatz.n_qubits), dtype=np.complex128)
    for b, row in enumerate(theta):
        out[b] = qutip_statevector(ansatz, row).full().ravel()
    return out


_SIGMA = {"I": qutip.qeye(2), "X": qutip.sigmax(), "Y": qutip.sigmay(), "Z": qutip.sigmaz()}


def qutip_observable(observable: Observable) -> qutip.Qobj:
    """`observable` as a `qutip.Qobj` built with QuTiP's own operators: a Pauli string as the
    tensor product of ``sigmax/sigmay/sigmaz/qeye`` from its label (not from etr's index maps),
    the global projector as ``ket2dm(basis)``, a matrix as itself.

    Examples
    --------
    >>> from etr.quantum import parse_observable
    >>> qutip_observable(parse_observable("XZ", 2)).full().real[0]
    array([0., 0., 1., 0.])
    """
    n = observable.n_qubits
    dims = [[2] * n, [2] * n]
    if observable.kind == "pauli":
        return qutip.tensor([_SIGMA[letter] for letter in observable.label])
    if observable.kind == "global":
        return qutip.ket2dm(qutip.basis([2] * n, [0] * n))
    return qutip.Qobj(observable.matrix, dims=dims)


def shift_vjp(expectations, ansatz: Ansatz, params: np.ndarray, observables: list,
              cotangent: Cotangent, wrt: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Values and parameter-shift gradients of ``sum_m w[b, m] <O_m>`` from an exact
    ``expectations(ansatz, params, observables)`` function (the references' gradients).

    Two terms per RX/RY/RZ gate, four per controlled rotation (`etr.quantum.shift_rule`), exact
    for gates followed by parameter-independent channels too; slots outside `wrt` stay 0.
    """
    theta = check_params(ansatz, params)
    values = expectations(ansatz, theta, observables)
    n_b = theta.shape[0]
    weights = row_cotangent(cotangent, n_b, len(observables))(values, slice(0, n_b))
    rule = shift_rule(ansatz, wrt)
    grads = np.zeros_like(theta)
    if rule.n_terms:
        shifted = expectations(rule.circuit, rule.shifted(theta), observables)
        shifted = shifted.reshape(n_b, rule.n_terms, len(observables))
        grads = rule.combine(np.einsum("btm,bm->bt", shifted, weights))
    return values, grads


class ShiftGradients:
    """Mixin: ``expectation_vjp`` by the parameter-shift rule from the class's own exact
    ``expectations`` (`shift_vjp`); what the QuTiP references use."""

    __slots__ = ()

    def expectation_vjp(self, ansatz: Ansatz, params: np.ndarray, observables: object,
                        cotangent: Cotangent, *, wrt: np.ndarray | None = None,
                        chunk_size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Values ``(B, M)`` and parameter-shift gradients ``(B, P)`` (slots outside `wrt` 0)."""
        obs = as_observables(observables, ansatz.n_qubits)
        return shift_vjp(self.expectations, ansatz, params, obs, cotangent, wrt)


@dataclass(frozen=True, slots=True)
class QutipBackend(ShiftGradients):
    """The QuTiP statevector reference as a `Backend` (slow: one `QubitCircuit.run` per row).

    States from `qutip_statevector`, expectation values from ``qutip.expect`` with QuTiP-built
    operators (`qutip_observable`), gradients by the parameter-shift rule (`shift_vjp`): nothing
    of the fast path is shared, which is what a reference is for.

    Examples
    --------
    >>> from etr.circuits import Ansatz
    >>> a = Ansatz.from_gates(1, [("RY", 0)])
    >>> v, g = QutipBackend().expectation_vjp(a, [[0.3]], ["Z"], [[1.0]])
    >>> bool(np.allclose(v, np.cos(0.3))), bool(np.allclose(g, -np.sin(0.3)))
    (True, True)
    """

    name: ClassVar[str] = "qutip"
    exact: ClassVar[bool] = True

    def states(self, ansatz: Ansatz, params: np.ndarray, *, chunk_size: int | None = None
               ) -> Iterator[tuple[slice, np.ndarray]]:
        """``(rows, states (b, 2**n) complex)`` per chunk."""
        theta = check_params(ansatz, params)
        for rows in chunks(theta.shape[0], ansatz.n_qubits, chunk_size):
            yield rows, qutip_statevectors(ansatz, theta[rows])

    def expectations(self, ansatz: Ansatz, params: np.ndarray, observables: object, *,
                     chunk_size: int | None = None) -> np.ndarray:
        """``qutip.expect`` of every observable on every row's state, ``(B, M)``."""
        theta = check_params(ansatz, params)
        ops = [qutip_observable(o) for o in as_observables(observables, ansatz.n_qubits)]
        out = np.empty((theta.shape[0], len(ops)))
        for b, row in enumerate(theta):
            ket = qutip_statevector(ansatz, row)
            out[b] = [qutip.expect(op, ket) for op in ops]
        return out
